"""Lists fit for the audience, on hand-made candidates; the published lists' figures."""

import numpy as np
import polars as pl
from contracts.audience import AgeBand
from etl_job.recommender.audience import BANDS, row_bands, suited
from etl_job.recommender.coherence import list_figures
from etl_job.recommender.movies import index_movies
from etl_job.recommender.popularity import fill_short_lists

TITLES = [  # id, rating as the files spell it
    ("ds1", "G"), ("ds2", "TV-Y7"), ("ds3", "PG"), ("ns1", "PG-13"), ("ns2", "R"),
    ("ns3", "TV-MA"), ("as1", "NR"), ("as2", None),
]


def catalog() -> pl.DataFrame:
    return pl.DataFrame({
        "id": [t for t, _ in TITLES], "type": "movie", "title": [f"film {t}" for t, _ in TITLES],
        "rating": [r for _, r in TITLES], "listed_in": "dramas", "description": "a story",
        "director": None, "cast": None, "country": None,
    }, schema_overrides={"director": pl.String, "cast": pl.String, "country": pl.String})


def code(band: AgeBand) -> int:
    return BANDS.index(band)


def test_bands_come_from_the_ratings_when_the_catalog_has_no_band_column():
    index = index_movies(catalog=catalog())
    bands = dict(zip(index.ids, (BANDS[b] for b in row_bands(index)), strict=True))
    assert bands == {"as1": AgeBand.UNKNOWN, "as2": AgeBand.UNKNOWN, "ds1": AgeBand.KIDS,
                     "ds2": AgeBand.KIDS, "ds3": AgeBand.FAMILY, "ns1": AgeBand.TEEN,
                     "ns2": AgeBand.ADULT, "ns3": AgeBand.ADULT}


def test_a_kids_list_keeps_kids_and_family_titles_and_a_family_list_drops_adult_ones():
    index = index_movies(catalog=catalog())
    rows = {movie_id: row for row, movie_id in enumerate(index.ids)}
    bands = row_bands(index)
    others = [m for m in rows if m not in ("ds1", "ds3", "ns2")]
    pairs = pl.DataFrame({
        "query": [rows[q] for q in ("ds1", "ds3", "ns2") for _ in others],
        "neighbour": [rows[n] for _ in range(3) for n in others],
    }, schema={"query": pl.Int32, "neighbour": pl.Int32})
    kept = suited(pairs, bands=bands)
    listed = {q: [index.ids[n] for n in kept.filter(pl.col("query") == rows[q])["neighbour"]]
              for q in ("ds1", "ds3", "ns2")}
    assert listed["ds1"] == ["ds2"]  # not PG-13, R, TV-MA nor the unrated ones
    assert listed["ds3"] == ["as1", "as2", "ds2", "ns1"]
    assert listed["ns2"] == others  # an adult title's list is not limited


def test_popular_fill_skips_titles_unsuited_to_the_audience():
    bands = np.array([code(AgeBand.KIDS), code(AgeBand.ADULT), code(AgeBand.FAMILY),
                      code(AgeBand.KIDS)], dtype=np.int8)
    empty = pl.DataFrame(schema={"query": pl.Int32, "neighbour": pl.Int32, "score": pl.Float64,
                                 "ease": pl.Float64, "bm25": pl.Float64, "content": pl.Float64})
    filled = fill_short_lists(neighbours=empty, order=np.array([1, 2, 3, 0]),
                              groups=np.arange(4), rows=np.array([0, 1]), k=2, bands=bands)
    lists = {q: filled.filter(pl.col("query") == q)["neighbour"].to_list() for q in (0, 1)}
    assert lists == {0: [2, 3], 1: [2, 3]}


def test_list_figures_count_adult_titles_crowd_pleasers_and_shared_genres():
    catalog = pl.DataFrame({
        "id": ["k1", "k2", "f1", "a1", "a2"], "type": "movie",
        "title": ["kid one", "kid two", "family one", "adult one", "adult two"],
        "age_band": ["kids", "kids", "family", "adult", "adult"],
        "listed_in": ["kids' tv", "children & family movies", "comedies", "dramas", "dramas"],
        "rating_count": [5, 4, 3, 2, 1],
    })
    lists = pl.DataFrame({
        "movie_id": ["k1", "k1", "k2", "k2", "f1", "f1", "a1", "a1"],
        "rank": [1, 2, 1, 2, 1, 2, 1, 2],
        "neighbour_id": ["k2", "a1", "k1", "f1", "k1", "k2", "a2", "k1"],
    })
    figures = list_figures(lists, catalog=catalog, k=2)
    assert figures["kids_lists"] == 2
    assert figures["kids_lists_with_adult"] == 1  # k1's list holds a1
    assert (figures["family_lists"], figures["family_lists_with_adult"]) == (1, 0)
    assert figures["max_exposure_all"] == {"title": "kid one", "share": 0.75}
    # k1: k2 shares family & animation, a1 not (1/2); k2: 1/2; f1 (comedy): 0; a1: 1/2.
    assert figures["genre_family_share"] == round((0.5 + 0.5 + 0.0 + 0.5) / 4, 4)
