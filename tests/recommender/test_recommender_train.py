"""train(): the neighbours frame on the hand-written catalog and ratings."""

import polars as pl
import pytest
from contracts.titles import normalise_title
from etl_job.recommender import NEIGHBOURS_SCHEMA, Blend, train
from etl_job.recommender.features import build_content_features
from etl_job.recommender.movies import index_movies
from etl_job.recommender.reasons import explain

MOVIES = {"ns1", "as1", "ns2", "ds1", "ds2", "hs1", "hs2", "as2"}
UNRATED_OR_UNLIKED = ["as1", "as2", "hs1", "hs2"]
BLEND = Blend(ease=1.0, bm25=0.5, content=1.0, lam=1.0)
BY_VIEWERS = Blend(ease=1.0, bm25=1.0, content=0.1, lam=1.0)
BY_CONTENT = Blend(ease=0.1, bm25=0.1, content=1.0, lam=1.0)


def lists(neighbours: pl.DataFrame) -> dict[str, list[str]]:
    return {movie: group["neighbour_id"].to_list()
            for (movie,), group in neighbours.sort("movie_id", "rank").group_by(
                "movie_id", maintain_order=True)}


def test_schema_is_exact_and_every_movie_has_k_neighbours(tiny_catalog, tiny_ratings):
    neighbours = train(catalog=tiny_catalog, ratings=tiny_ratings, blend=BLEND, top_k=3)
    assert dict(neighbours.schema) == NEIGHBOURS_SCHEMA
    assert list(neighbours.columns) == ["movie_id", "rank", "neighbour_id", "score", "reason"]
    assert set(neighbours["movie_id"]) == MOVIES
    counts = neighbours.group_by("movie_id").len()
    assert set(counts["len"]) == {3}


def test_ranks_run_from_one_and_scores_never_rise(tiny_catalog, tiny_ratings):
    neighbours = train(catalog=tiny_catalog, ratings=tiny_ratings, blend=BLEND, top_k=4)
    for (_movie,), group in neighbours.group_by("movie_id"):
        ordered = group.sort("rank")
        assert ordered["rank"].to_list() == [1, 2, 3, 4]
        scores = ordered["score"].to_list()
        assert scores == sorted(scores, reverse=True)
        assert len(set(ordered["neighbour_id"])) == 4


def test_never_itself_the_same_title_elsewhere_nor_a_tv_show(tiny_catalog, tiny_ratings):
    neighbours = train(catalog=tiny_catalog, ratings=tiny_ratings, blend=BLEND, top_k=7)
    titles = dict(zip(tiny_catalog["id"], tiny_catalog["title"], strict=True))
    assert "ns3" not in set(neighbours["movie_id"]) | set(neighbours["neighbour_id"])
    for movie, neighbour in neighbours.select("movie_id", "neighbour_id").iter_rows():
        assert movie != neighbour
        assert normalise_title(titles[movie]) != normalise_title(titles[neighbour])
    # ns1 and as1 are one film ("the heist" / "The Heist!"): six other movies remain for each.
    assert "as1" not in lists(neighbours)["ns1"]
    assert "ns1" not in lists(neighbours)["as1"]
    assert neighbours.filter(pl.col("movie_id") == "ns1").height == 6


def test_top_k_keeps_the_best_and_no_more(tiny_catalog, tiny_ratings):
    two = lists(train(catalog=tiny_catalog, ratings=tiny_ratings, blend=BLEND, top_k=2))
    five = lists(train(catalog=tiny_catalog, ratings=tiny_ratings, blend=BLEND, top_k=5))
    for movie in MOVIES:
        assert len(two[movie]) == 2
        assert len(five[movie]) == 5
        assert five[movie][:2] == two[movie]


def test_movies_nobody_liked_keep_their_content_ranking(tiny_catalog, tiny_ratings):
    low = lists(train(catalog=tiny_catalog, ratings=tiny_ratings, blend=BY_CONTENT, top_k=3))
    high = lists(train(catalog=tiny_catalog, ratings=tiny_ratings, blend=BY_VIEWERS, top_k=3))
    for movie in UNRATED_OR_UNLIKED:
        assert low[movie] == high[movie]
    assert high["hs1"][0] == "hs2"  # the two farm documentaries
    assert high["as1"][0] == "ns2"  # the other heist film by ann lee (ns1 is as1 itself)


def test_the_weight_moves_liked_movies_between_content_and_viewers(tiny_catalog, tiny_ratings):
    # Viewers who like the heist (ns1) also like the space cats (ds1); its content neighbour is
    # the other heist film ns2.
    by_viewers = lists(train(catalog=tiny_catalog, ratings=tiny_ratings, blend=BY_VIEWERS,
                             top_k=3))
    by_content = lists(train(catalog=tiny_catalog, ratings=tiny_ratings, blend=BY_CONTENT,
                             top_k=3))
    assert by_viewers["ns1"][0] == "ds1"
    assert by_content["ns1"][0] == "ns2"


def test_reasons_are_sentences_naming_what_is_shared_as_the_platforms_spell_it(
        tiny_catalog, tiny_ratings):
    # The catalog keeps each platform's spelling beside the lowercase columns.
    spelled = tiny_catalog.with_columns(
        pl.col(name).str.to_titlecase().alias(f"display_{name}")
        for name in ("title", "director", "cast", "listed_in"))
    neighbours = train(catalog=spelled, ratings=tiny_ratings, blend=BLEND, top_k=3)
    reason = dict(zip(zip(neighbours["movie_id"], neighbours["neighbour_id"], strict=True),
                      neighbours["reason"], strict=True))
    # What the films share leads when content is the stronger share, what viewers did when
    # EASE is; "people who liked" only where someone liked both (user 4 liked ns1 and ns2).
    assert reason[("ns1", "ns2")] == ("Shared genres: Thrillers. Same director: Ann Lee. "
                                      "Shared cast: Bob Stone. People who liked The Heist also "
                                      "liked this.")
    assert reason[("ns1", "ds1")] == "People who liked The Heist also liked this."
    # "documentaries" and "documentary" are one genre, named by its first spelling on a tie.
    # Description words come heaviest first, alphabetically on a tie (they are word stems).
    assert reason[("hs1", "hs2")] == ("Shared genres: Documentaries. "
                                      "Similar description: farm, sheep.")
    assert reason[("as2", "ns2")] == "Similar description: city."
    assert reason[("ds1", "ds2")] == ("Shared genres: Animation, Family. "
                                      "Similar description: rocket.")
    assert all(neighbours["reason"].str.len_chars() > 0)


def test_reasons_without_kept_spellings_name_the_lowercase_ones(tiny_catalog, tiny_ratings):
    neighbours = train(catalog=tiny_catalog, ratings=tiny_ratings, blend=BLEND, top_k=3)
    reason = dict(zip(zip(neighbours["movie_id"], neighbours["neighbour_id"], strict=True),
                      neighbours["reason"], strict=True))
    assert reason[("ns1", "ds1")] == "People who liked the heist also liked this."
    assert reason[("ds1", "ds2")] == ("Shared genres: animation, family. "
                                      "Similar description: rocket.")


def test_bad_arguments_are_refused(tiny_catalog, tiny_ratings):
    with pytest.raises(ValueError, match="blend weights"):
        Blend(ease=-1.0, bm25=0.0, content=1.0, lam=1.0)
    with pytest.raises(ValueError, match="not all 0"):
        Blend(ease=0.0, bm25=0.0, content=0.0, lam=1.0)
    with pytest.raises(ValueError, match="lambda"):
        Blend(ease=1.0, bm25=0.0, content=1.0, lam=0.0)
    with pytest.raises(ValueError, match="top_k"):
        train(catalog=tiny_catalog, ratings=tiny_ratings, blend=BLEND, top_k=0)
    with pytest.raises(ValueError, match="description"):
        train(catalog=tiny_catalog.drop("description"), ratings=tiny_ratings, blend=BLEND)


def test_short_lists_are_filled_with_popular_films_said_as_much(tiny_catalog, tiny_ratings):
    neighbours = train(catalog=tiny_catalog, ratings=tiny_ratings, blend=BLEND, top_k=3)
    hs1 = neighbours.filter(pl.col("movie_id") == "hs1").sort("rank")
    # Only hs2 shares anything with the farm film; the rest are the most liked films.
    assert hs1["neighbour_id"].to_list() == ["hs2", "ds1", "ns1"]
    assert hs1["score"].to_list()[1:] == [0.0, 0.0]
    assert hs1["reason"].to_list()[1:] == ["Popular with viewers."] * 2


def test_without_ratings_content_alone_ranks_and_nothing_claims_viewers(tiny_catalog,
                                                                         tiny_ratings):
    neighbours = train(catalog=tiny_catalog, ratings=tiny_ratings.clear(), blend=BLEND,
                       top_k=3)
    assert set(neighbours["movie_id"]) == MOVIES
    assert set(neighbours.group_by("movie_id").len()["len"]) == {3}
    assert not neighbours["reason"].str.contains("viewers").any()
    assert lists(neighbours)["ns1"][0] == "ns2"
    fillers = neighbours.filter(pl.col("score") == 0)
    assert fillers.height > 0
    assert set(fillers["reason"]) == {"Another film in the catalog."}


def test_viewers_reasons_are_claimed_only_as_far_as_true(tiny_catalog):
    index = index_movies(catalog=tiny_catalog)
    features = build_content_features(movies=index.movies)
    row = {movie_id: i for i, movie_id in enumerate(index.ids)}
    # ns1 -> ds1 share nothing in content: what viewers did is the whole reason.
    pairs = pl.DataFrame({
        "query": [row["ns1"]] * 3, "neighbour": [row["ds1"]] * 3,
        "ease": [0.9, 0.9, 0.0], "bm25": [0.0, 0.4, 0.7], "content": [0.0, 0.0, 0.0],
        "co_liked": [True, False, False]}).cast({"query": pl.Int32, "neighbour": pl.Int32})
    reasons = explain(movies=index.movies, features=features, neighbours=pairs, liked_rows=set())
    assert reasons == [
        "People who liked the heist also liked this.",
        # EASE without anyone liking both claims nothing about people; BM25 still says its part.
        "Liked by the same viewers.",
        "Liked by the same viewers.",
    ]


def test_known_content_lists_are_reused_and_give_the_same_lists(tiny_catalog, tiny_ratings):
    from etl_job.recommender.movies import index_ratings
    from etl_job.recommender.train import signal_lists

    index = index_movies(catalog=tiny_catalog)
    rated = index_ratings(ratings=tiny_ratings, index=index)
    features = build_content_features(movies=index.movies)
    rows = index.recommendable_rows()

    def content(chosen, known=None):
        return signal_lists(index=index, features=features, ratings=rated, rows=chosen,
                            candidates=3, known_content=known).content

    fresh = content(rows)
    assert fresh["query"].n_unique() > 3
    # Lists known for the first rows, the rest computed: the same as all computed at once.
    assert content(rows, known=content(rows[:3])).equals(fresh)
    # Known lists of rows not asked for are left out.
    assert content(rows[:2], known=fresh).equals(
        fresh.filter(pl.col("query").is_in(rows[:2].tolist())))
