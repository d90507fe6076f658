"""The EDA figures read as a data scientist would: one genre across spellings, each platform's
own maturity labels, the partial last year, '1 season'."""

import datetime

import polars as pl
from eda.sections.content import genres_by_platform, harmonised_genres
from eda.sections.durations import counted
from eda.sections.platforms import maturity_ratings, partial_year_note, shown_ratings


def titles(rows: list[tuple[str, str, str, str]]) -> pl.DataFrame:
    """(id, platform, listed_in, rating) rows; every title a movie."""
    return pl.DataFrame(rows, schema=["id", "platform", "listed_in", "rating"],
                        orient="row").with_columns(type=pl.lit("movie"))


def test_the_platforms_spellings_of_a_genre_count_as_one():
    catalog = titles([("ns1", "netflix", "dramas, comedies", "tv-ma"),
                      ("ns2", "netflix", "dramas", "tv-ma"),
                      ("as1", "amazon", "drama", "13+"),
                      ("hs1", "hulu", "documentaries", "tv-14"),
                      ("ds1", "disney", "documentary, comedy", "tv-g")])
    genres = harmonised_genres(catalog)
    by_title = {i: sorted(g) for i, g in genres.group_by("id").agg("item").iter_rows()}
    # The most used spelling names the genre: 'dramas' (2 uses) over 'drama' (1); a tie goes
    # to the alphabetically first ('comedies' before 'comedy').
    assert by_title == {"ns1": ["comedies", "dramas"], "ns2": ["dramas"], "as1": ["dramas"],
                        "hs1": ["documentaries"], "ds1": ["comedies", "documentaries"]}
    finding = genres_by_platform(catalog).finding
    assert "amazon 'dramas' (100.0%)" in finding
    assert "disney 'comedies' (100.0%)" in finding


def test_tv_shows_of_a_genre_join_its_movies():
    genres = harmonised_genres(titles([("ns1", "netflix", "tv dramas", "tv-ma"),
                                       ("ns2", "netflix", "dramas", "tv-ma"),
                                       ("ns3", "netflix", "dramas", "tv-ma")]))
    assert genres["item"].to_list() == ["dramas"] * 3


def test_each_platforms_common_labels_are_shown_not_other():
    # Amazon's age labels outnumber Disney's tv-g and g overall: an overall top 5 would put
    # Disney's two labels in 'other'.
    amazon = ["16+"] * 30 + ["18+"] * 20 + ["13+"] * 15 + ["all"] * 12 + ["7+"] * 10 + ["nr"] * 8
    rows = [(f"a{i}", "amazon", "drama", r) for i, r in enumerate(amazon)]
    rows += [(f"d{i}", "disney", "family", r) for i, r in enumerate(["tv-g"] * 6 + ["g"] * 3)]
    catalog = titles(rows)
    assert shown_ratings(catalog) == ["16+", "18+", "13+", "all", "7+", "tv-g", "g"]
    figure = maturity_ratings(catalog)
    assert "disney tv-g (66.7%)" in figure.finding
    assert "every label among a platform's 5 most common" in figure.caption


def test_the_partial_last_year_is_named():
    added = pl.DataFrame({"date_added": [datetime.date(2020, 5, 1), datetime.date(2021, 9, 24)]})
    note = partial_year_note(added)
    assert "2021 is a partial year" in note
    assert "2021-09-24 (267 of its days)" in note
    whole = pl.DataFrame({"date_added": [datetime.date(2020, 12, 31)]})
    assert partial_year_note(whole) == ""


def test_one_season_is_singular():
    assert [counted(1, "season"), counted(3, "season"), counted(1, "min"),
            counted(90, "min")] == ["1 season", "3 seasons", "1 min", "90 min"]
