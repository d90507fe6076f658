"""Series found in hand-made catalogs (false friends included) and placed in lists, by hand."""

import polars as pl
from etl_job.recommender.series import (
    NEXT_REASON,
    PREVIOUS_REASON,
    detect_series,
    place_series,
    series_targets,
)

# (id, type, title, year, director, cast)
TITLES = [
    ("m1", "movie", "Toy Story", 1995, "John Lasseter", "Tom Hanks, Tim Allen"),
    ("m2", "movie", "Toy Story 2", 1999, "John Lasseter", "Tom Hanks, Tim Allen"),
    ("m3", "movie", "Toy Story 3", 2010, "Lee Unkrich", "Tom Hanks, Tim Allen"),
    ("m4", "movie", "Toy Story Toons: Small Fry", 2011, "Angus MacLane", "Tim Allen"),
    ("m5", "movie", "Toy Story 4", 2019, "Josh Cooley", "Tom Hanks, Tim Allen"),
    ("m6", "movie", "Frozen", 2013, "Chris Buck, Jennifer Lee", "Kristen Bell, Idina Menzel"),
    ("m7", "movie", "Frozen 2", 2019, "Chris Buck, Jennifer Lee", "Kristen Bell, Idina Menzel"),
    # False friends: they extend a title in words, with nobody in common.
    ("m8", "movie", "Frozen Planet", 2011, "Alastair Fothergill", "David Attenborough"),
    ("m9", "movie", "Up", 2009, "Pete Docter", "Ed Asner"),
    ("m10", "movie", "Up in the Air", 2009, "Jason Reitman", "George Clooney"),
    # A remake is not a series, a show is not a movie's sequel.
    ("m11", "movie", "Frozen", 2010, "Adam Green", "Shawn Ashmore"),
    ("s1", "tv show", "Frozen 2", 2019, "Chris Buck", "Kristen Bell"),
    ("m12", "movie", "The Lion King", 1994, "Roger Allers", "James Earl Jones"),
    ("m13", "movie", "The Lion King", 2019, "Jon Favreau", "James Earl Jones"),
    # A subtitle after a colon; a roman numeral.
    ("m14", "movie", "The Lord of the Rings: The Two Towers", 2002, "Peter Jackson",
     "Elijah Wood"),
    ("m15", "movie", "The Lord of the Rings: The Return of the King", 2003, "Peter Jackson",
     "Elijah Wood"),
    ("m16", "movie", "Rocky", 1976, "John G. Avildsen", "Sylvester Stallone"),
    ("m17", "movie", "Rocky II", 1979, "Sylvester Stallone", "Sylvester Stallone"),
    # The same film on a second platform is one entry.
    ("n5", "movie", "Toy Story 4", 2019, None, "Tom Hanks"),
]


def catalog() -> pl.DataFrame:
    return pl.DataFrame(TITLES, schema=["id", "type", "title", "release_year", "director",
                                        "cast"], orient="row").with_columns(
        description=pl.lit("a film"))


def entries(series: pl.DataFrame) -> dict[str, list[str]]:
    """series name -> its first record per entry, in order."""
    firsts = series.group_by("film", maintain_order=True).agg(
        pl.col("series", "position").first(), pl.col("id").min())
    return {name: group.sort("position")["id"].to_list()
            for (name,), group in firsts.group_by("series")}


def test_series_are_found_and_false_friends_left_alone():
    found = entries(detect_series(catalog()))
    assert found == {
        "toy story": ["m1", "m2", "m3", "m4", "m5"],
        "frozen": ["m6", "m7"],
        "the lord of the rings": ["m14", "m15"],
        "rocky": ["m16", "m17"],
    }


def test_both_records_of_a_film_are_one_entry():
    series = detect_series(catalog())
    toy_story_4 = series.filter(pl.col("id").is_in(["m5", "n5"]))
    assert toy_story_4["position"].to_list() == [5, 5]
    assert toy_story_4["size"].to_list() == [5, 5]


def test_the_next_entry_is_the_next_number_then_the_next_release():
    targets = {q: (t, r) for q, t, r in series_targets(detect_series(catalog())).iter_rows()}
    # toy story 3 -> toy story 4, past the short that came out between them.
    assert targets["m3"] == ("m5", NEXT_REASON)
    assert targets["m1"] == ("m2", NEXT_REASON)
    assert targets["m4"] == ("m5", NEXT_REASON)
    # The last entry gets the one before it: toy story 4 -> toy story 3, on both records.
    assert targets["m5"] == targets["n5"] == ("m3", PREVIOUS_REASON)
    assert targets["m7"] == ("m6", PREVIOUS_REASON)
    assert not {"m8", "m9", "m10", "m11", "m12", "m13"} & set(targets)


def lists(**per_query: list[str]) -> pl.DataFrame:
    rows = [(q, place + 1, n, 10.0 - place, "blend") for q, ns in per_query.items()
            for place, n in enumerate(ns)]
    return pl.DataFrame(rows, schema={"query": pl.String, "rank": pl.Int32,
                                      "neighbour": pl.String, "score": pl.Float64,
                                      "reason": pl.String}, orient="row")


TARGETS = pl.DataFrame({"query": ["q", "r", "s"], "target": ["t", "t", "u"],
                        "reason": [NEXT_REASON, NEXT_REASON, PREVIOUS_REASON]})
FILMS = pl.DataFrame({"item": ["t", "t2", "u"], "film": ["T", "T", "U"]})


def test_a_missing_entry_is_placed_second_and_the_rest_move_down():
    out = place_series(lists=lists(q=["a", "b", "c", "d", "e", "f", "t"]), targets=TARGETS,
                       film_of=FILMS)
    assert out["neighbour"].to_list() == ["a", "t", "b", "c", "d", "e", "f"]
    assert out["rank"].to_list() == [1, 2, 3, 4, 5, 6, 7]
    assert out["reason"].to_list()[1] == NEXT_REASON
    scores = out["score"].to_list()
    assert scores == sorted(scores, reverse=True)


def test_an_entry_shown_in_the_first_five_stays_where_it_is():
    # Listed under its film's other record at place 4: nothing moves.
    before = lists(r=["a", "b", "c", "t2", "e", "f"])
    out = place_series(lists=before, targets=TARGETS, film_of=FILMS)
    assert out.equals(before)


def test_a_list_without_the_entry_gets_it_keeps_its_length_and_other_lists_are_untouched():
    before = lists(s=["a", "b", "c", "d", "e"], x=["a", "b"])
    out = place_series(lists=before, targets=TARGETS, film_of=FILMS)
    # The entry moved in pushes the last one out: published lists keep their depth.
    assert out.filter(pl.col("query") == "s")["neighbour"].to_list() == [
        "a", "u", "b", "c", "d"]
    assert out.filter(pl.col("query") == "s")["rank"].to_list() == [1, 2, 3, 4, 5]
    assert out.filter(pl.col("query") == "x").equals(before.filter(pl.col("query") == "x"))
