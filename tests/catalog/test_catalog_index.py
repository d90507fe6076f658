"""The precomputed tables of the catalog index on small hand-written frames: filters, ties."""

import datetime
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from catalog_service.exceptions import CatalogUnreadable
from catalog_service.index import CatalogIndex, build_index, load_index
from catalog_service.service import search_titles
from contracts.domain import ContentKind, Platform

ROWS: list[dict[str, Any]] = [
    # netflix 2020: two 120-minute movies tie, the alphabetically first title wins.
    {"id": "ns1", "title": "b movie", "duration_int": 120, "score": 80,
     "cast": "ann, bob", "country": "argentina, spain, argentina", "rating": "tv-ma"},
    {"id": "ns2", "title": "a movie", "duration_int": 120, "score": 50,
     "cast": "bob", "country": "argentina", "listed_in": "documentaries", "rating": "pg-13"},
    {"id": "ns3", "type": "tv show", "title": "a show", "duration_int": 9,
     "duration_type": "season", "cast": "ann", "country": "argentina",
     "listed_in": "docuseries, tv dramas", "rating": "tv-ma", "score": 99},
    # amazon 2019
    {"id": "as1", "platform": "amazon", "title": "long one", "release_year": 2019,
     "duration_int": 200, "score": 90, "cast": "zed, ann", "country": "united states,",
     "listed_in": "documentary", "rating": "13+"},
    {"id": "as2", "platform": "amazon", "title": "season movie", "release_year": 2019,
     "duration_int": 5, "duration_type": "season", "score": None, "country": " united states "},
    # amazon 2018: a name listed twice in one cast counts twice.
    {"id": "as3", "platform": "amazon", "type": "tv show", "title": "eve's show",
     "release_year": 2018, "cast": "eve, eve", "duration_int": 1, "duration_type": "season"},
    {"id": "as4", "platform": "amazon", "title": "dee's film", "release_year": 2018,
     "cast": "dee", "duration_int": None, "duration_type": None},
    # hulu 2021: a movie without a duration never answers max-duration.
    {"id": "hs1", "platform": "hulu", "title": "no duration", "release_year": 2021,
     "duration_int": None, "duration_type": None, "score": 70, "cast": " , "},
    # The same film on two platforms, and accents / punctuation in titles.
    {"id": "ds1", "platform": "disney", "title": "amélie!", "release_year": 2001, "cast": "x"},
    {"id": "ns4", "title": "amelie", "release_year": 2001, "date_added": None},
]


@pytest.fixture
def index(make_frame: Callable[[list[dict[str, Any]]], pl.DataFrame]) -> CatalogIndex:
    return build_index(make_frame(ROWS), data_version="v1")


@pytest.mark.parametrize(("key", "title"), [
    ((None, None, None), "long one"),
    ((2020, None, None), "a movie"),  # tie at 120 -> alphabetical
    ((None, "netflix", None), "a movie"),
    ((2020, "netflix", "min"), "a movie"),
    ((None, None, "season"), "season movie"),  # tv shows never count, movies in seasons do
    ((2019, "amazon", None), "long one"),
    ((2019, None, "season"), "season movie"),
    ((None, "disney", None), "amélie!"),
    ((2001, None, None), "amelie"),  # 90 = 90 -> "amelie" < "amélie!"
])
def test_longest_movie_under_every_filter_combination(
    index: CatalogIndex, key: tuple[Any, ...], title: str
) -> None:
    assert index.longest_movie[key] == title


@pytest.mark.parametrize("key", [(2021, None, None), (None, "hulu", None), (2020, None, "season"),
                                 (2018, "amazon", None)])
def test_longest_movie_absent_when_no_movie_has_a_duration(
    index: CatalogIndex, key: tuple[Any, ...]
) -> None:
    assert key not in index.longest_movie


def test_movie_scores_are_sorted_and_skip_shows_and_nulls(index: CatalogIndex) -> None:
    assert index.movie_scores[("netflix", 2020)] == [50, 80]  # the show's 99 is left out
    assert index.movie_scores[("amazon", 2019)] == [90]  # season movie has no score
    assert index.movie_scores[("hulu", 2021)] == [70]


def test_movies_per_platform_counts_movies_only(index: CatalogIndex) -> None:
    assert index.movies_per_platform == {"netflix": 3, "amazon": 3, "hulu": 1, "disney": 1}


def test_top_cast_ties_go_to_the_first_name(index: CatalogIndex) -> None:
    # netflix 2020: ann (ns1, ns3) and bob (ns1, ns2) both twice.
    assert index.top_cast[("netflix", 2020)] == "ann"
    assert index.top_cast[("amazon", 2019)] == "ann"  # ann 1, zed 1


def test_top_cast_counts_every_appearance(index: CatalogIndex) -> None:
    assert index.top_cast[("amazon", 2018)] == "eve"  # eve 2 (one title), dee 1


def test_top_cast_absent_when_casts_are_blank(index: CatalogIndex) -> None:
    assert ("hulu", 2021) not in index.top_cast


def test_country_production_per_kind(index: CatalogIndex) -> None:
    production = index.country_production
    # ns1 lists argentina twice: still one title.
    assert production[(ContentKind.pelicula, "argentina", 2020)] == 2
    assert production[(ContentKind.serie, "argentina", 2020)] == 1
    assert production[(ContentKind.documental, "argentina", 2020)] == 2  # ns2 + ns3
    assert production[(ContentKind.pelicula, "spain", 2020)] == 1
    assert (ContentKind.documental, "spain", 2020) not in production
    # Trailing comma and padding trimmed: both amazon 2019 movies list "united states".
    assert production[(ContentKind.pelicula, "united states", 2019)] == 2
    assert production[(ContentKind.documental, "united states", 2019)] == 1


def test_known_countries_are_trimmed_and_never_empty(index: CatalogIndex) -> None:
    assert index.countries == {"argentina", "spain", "united states"}


def test_titles_per_rating_counts_every_type(index: CatalogIndex) -> None:
    assert index.titles_per_rating == {"tv-ma": 2, "pg-13": 1, "13+": 1, "g": 6}


def test_records_carry_every_column_with_iso_dates(index: CatalogIndex) -> None:
    record = index.records["ns2"]
    assert record.title == "a movie"
    assert record.date_added == datetime.date(2021, 1, 1)
    assert b'"date_added":"2021-01-01"' in (index.records.json("ns2") or b"")
    assert record.duration_int == 120
    assert index.records["ns4"].date_added is None
    assert len(index.records) == len(ROWS)


def test_search_table_has_one_entry_per_normalised_title(index: CatalogIndex) -> None:
    assert index.search_choices == sorted(index.search_choices)
    assert index.search_choices.count("amelie") == 1
    assert "a show" in index.search_choices  # tv shows are searched too
    entry = index.search_entries[index.search_choices.index("amelie")]
    assert entry.id == "ds1"  # one film (same year): the smaller id stands for it
    assert entry.available_on == ("disney", "netflix")
    assert index.records["ns4"].available_on == ["disney", "netflix"]
    assert "dees film" in index.search_choices
    movie_positions = index.search_words["movie"]
    assert {index.search_choices[p] for p in movie_positions} == {"a movie", "b movie",
                                                                    "season movie"}


def test_load_index_reads_parquet_and_run_id(
    tmp_path: Path, make_frame: Callable[..., pl.DataFrame], write_run: Callable[..., Path]
) -> None:
    parquet = write_run(tmp_path / "run", make_frame(ROWS), run_id="20250101-abc")
    for path in (parquet, parquet.parent):  # the parquet or its run directory
        loaded = load_index(path)
        assert loaded.rows == len(ROWS)
        assert loaded.data_version == "20250101-abc"
        assert loaded.longest_movie[(None, None, None)] == "long one"


def test_load_index_without_manifest_names_the_file(
    tmp_path: Path, make_frame: Callable[..., pl.DataFrame]
) -> None:
    make_frame(ROWS).write_parquet(tmp_path / "catalog.parquet")
    with pytest.raises(CatalogUnreadable, match=r"manifest\.json"):
        load_index(tmp_path / "catalog.parquet")


def test_load_index_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogUnreadable, match="no catalog parquet"):
        load_index(tmp_path / "nowhere" / "catalog.parquet")


def test_load_index_missing_column_names_it(
    tmp_path: Path, make_frame: Callable[..., pl.DataFrame]
) -> None:
    frame = make_frame(ROWS).drop("listed_in")
    frame.write_parquet(tmp_path / "catalog.parquet")
    (tmp_path / "manifest.json").write_text(json.dumps({"run_id": "x"}))
    with pytest.raises(CatalogUnreadable, match="listed_in"):
        load_index(tmp_path / "catalog.parquet")


def test_load_index_not_parquet(tmp_path: Path) -> None:
    (tmp_path / "catalog.parquet").write_text("show_id,type\n")
    (tmp_path / "manifest.json").write_text(json.dumps({"run_id": "x"}))
    with pytest.raises(CatalogUnreadable, match="not a readable parquet"):
        load_index(tmp_path / "catalog.parquet")


def test_empty_catalog_gives_empty_tables(make_frame: Callable[..., pl.DataFrame]) -> None:
    empty = build_index(make_frame([]), data_version="v0")
    assert empty.rows == 0
    assert empty.longest_movie == {}
    assert empty.countries == frozenset()
    assert empty.search_choices == []


# One title, four records, three films: the 2012 film on netflix and hulu (50 ratings), a 2020
# film on amazon (5 ratings), a 2019 show; and an unrelated 2020 film on amazon, rated more.
LES_MIS: list[dict[str, Any]] = [
    {"id": "ns10", "title": "les misérables", "release_year": 2012, "rating_count": 50},
    {"id": "hs10", "platform": "hulu", "title": "Les Miserables", "release_year": 2012},
    {"id": "as10", "platform": "amazon", "title": "les miserables", "release_year": 2020,
     "rating_count": 5},
    {"id": "ns11", "type": "tv show", "title": "les misérables", "release_year": 2019,
     "rating_count": 90},
    {"id": "as11", "platform": "amazon", "title": "jaws", "release_year": 1975},
]


def test_a_title_two_films_share_is_two_films_the_most_rated_movie_first(
        make_frame: Callable[[list[dict[str, Any]]], pl.DataFrame]) -> None:
    index = build_index(make_frame(LES_MIS), data_version="v1")
    films = index.search_films[index.search_choices.index("les miserables")]

    # A movie before a show whatever its ratings; among movies the most rated (50 over 5).
    assert [(f.id, f.type, f.release_year, f.available_on) for f in films] == [
        ("hs10", "movie", 2012, ("hulu", "netflix")),
        ("as10", "movie", 2020, ("amazon",)),
        ("ns11", "tv show", 2019, ("netflix",)),
    ]
    assert index.records["as10"].available_on == ["amazon"]
    assert index.records["ns10"].available_on == ["hulu", "netflix"]


def test_search_as_you_type_gives_one_hit_per_film_on_the_platforms_asked(
        make_frame: Callable[[list[dict[str, Any]]], pl.DataFrame]) -> None:
    index = build_index(make_frame(LES_MIS), data_version="v1")

    # "les mis" starts "les miserables" (95 + its similarity share), one hit per film.
    hits = search_titles(index=index, query="Les Mis", limit=5)
    assert [(h.id, h.type, h.release_year, h.available_on) for h in hits] == [
        ("hs10", "movie", 2012, ["hulu", "netflix"]), ("as10", "movie", 2020, ["amazon"]),
        ("ns11", "tv show", 2019, ["netflix"])]
    # fuzz.ratio("les mis", "les miserables") = 2 * 7 / (7 + 14) * 100 = 66.67: 95 + 5 * 0.6667.
    assert hits[0].similarity == round((95 + 5 * 2 * 7 / 21) / 100, 4)
    on_amazon = search_titles(index=index, query="les mis", limit=5,
                              platforms=[Platform.amazon])
    assert [h.id for h in on_amazon] == ["as10"]  # jaws is too far from "les mis"
    assert [h.title for h in search_titles(index=index, query="ja", limit=1)] == ["jaws"]
