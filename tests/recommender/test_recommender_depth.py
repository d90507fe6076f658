"""What a published list keeps (etl_job.recommender.depth), on a hand-made list worked by hand."""

import polars as pl
from etl_job.films import film_table
from etl_job.recommender.depth import keep_for_platforms

# id -> (title, year, platform): a1 and n1 are one film (A) on two platforms, q2 is the
# query's own film on hulu.
RECORDS = {"q1": ("query", 2000, "netflix"), "q2": ("Query!", 2000, "hulu"),
           "a1": ("film a", 2001, "amazon"), "n1": ("film a", 2001, "netflix"),
           "h2": ("film b", 2002, "hulu"), "d3": ("film c", 2003, "disney"),
           "n4": ("film d", 2004, "netflix"), "h5": ("film e", 2005, "hulu")}
RANKED = [("q2", 0.95), ("a1", 0.9), ("n1", 0.85), ("h2", 0.8), ("d3", 0.7), ("n4", 0.6),
          ("h5", 0.5)]


def test_a_list_keeps_the_best_overall_and_the_best_on_each_platform() -> None:
    films = film_table(pl.DataFrame({
        "id": list(RECORDS), "title": [r[0] for r in RECORDS.values()], "type": "movie",
        "release_year": [r[1] for r in RECORDS.values()],
        "platform": [r[2] for r in RECORDS.values()], "rating_count": 0}))
    neighbours = pl.DataFrame({
        "movie_id": "q1", "rank": list(range(1, len(RANKED) + 1)),
        "neighbour_id": [i for i, _ in RANKED], "score": [s for _, s in RANKED],
        "reason": "r"}, schema_overrides={"rank": pl.Int32})

    kept = keep_for_platforms(neighbours=neighbours, films=films, top=2, per_platform=1)

    # The query's own film goes, film A is listed once (its best record, a1, on amazon and
    # netflix); the two best are A and B; the best per platform adds C (disney) only:
    # netflix's best is A, hulu's B; D and E are nowhere the best.
    assert kept.select("neighbour_id", "rank").rows() == [("a1", 1), ("h2", 2), ("d3", 3)]
    assert films.filter(pl.col("id") == "n1")["available_on"].to_list() == [["amazon",
                                                                              "netflix"]]
