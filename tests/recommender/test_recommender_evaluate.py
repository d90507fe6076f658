"""Offline evaluation: the user split, HR@k by hand, the report and the BlendDominated guard."""

import json

import numpy as np
import polars as pl
import pytest
from etl_job.recommender import BlendDominated, EvaluationReport, ModelScore, evaluate
from etl_job.recommender.evaluate import choose_weight, hit_rates, split_users


def ratings_of(users: int, movies: int = 3) -> pl.DataFrame:
    return pl.DataFrame({"user_id": np.repeat(np.arange(1, users + 1), movies),
                         "row": np.tile(np.arange(movies), users).astype(np.int32),
                         "rating": 4.0})


def test_split_is_deterministic_user_disjoint_and_sized():
    ratings = ratings_of(50)
    train_a, held_a = split_users(ratings=ratings, seed=7, holdout_fraction=0.2)
    train_b, held_b = split_users(ratings=ratings, seed=7, holdout_fraction=0.2)
    assert train_a.equals(train_b)
    assert held_a.equals(held_b)
    train_users, held_users = set(train_a["user_id"]), set(held_a["user_id"])
    assert not train_users & held_users
    assert train_users | held_users == set(range(1, 51))
    assert len(held_users) == 10
    assert train_a.height + held_a.height == ratings.height  # every rating of a user goes along
    _, held_other = split_users(ratings=ratings, seed=8, holdout_fraction=0.2)
    assert set(held_other["user_id"]) != held_users


def test_split_refuses_a_fraction_leaving_a_side_empty():
    with pytest.raises(ValueError, match="holdout_fraction"):
        split_users(ratings=ratings_of(5), seed=1, holdout_fraction=1.0)
    with pytest.raises(ValueError, match="cannot hold out"):
        split_users(ratings=ratings_of(2), seed=1, holdout_fraction=0.1)


def test_hit_rates_by_hand():
    # User 1 liked movies 0, 1, 2; user 2 liked 0 and 3: five queries.
    liked = pl.DataFrame({"user_id": [1, 1, 1, 2, 2], "row": [0, 1, 2, 0, 3]},
                         schema={"user_id": pl.Int64, "row": pl.Int32})
    recommendations = pl.DataFrame({"query": [0, 0, 1, 2, 3], "neighbour": [1, 4, 5, 0, 4]},
                                   schema={"query": pl.Int32, "neighbour": pl.Int32})
    # (1, 0) hits through 1, (1, 2) through 0; (1, 1), (2, 0), (2, 3) miss: HR = 2/5.
    # Movie 1 is in the head, so only (1, 2) is a tail hit: 1/5.
    score = hit_rates(name="x", recommendations=recommendations, liked=liked, head={1})
    assert score.hr_at_k == pytest.approx(0.4)
    assert score.tail_hr_at_k == pytest.approx(0.2)
    assert score.queries == 5
    assert score.distinct_recommended == 4  # 1, 4, 5, 0


def test_a_query_with_no_recommendation_is_a_miss():
    liked = pl.DataFrame({"user_id": [1, 1], "row": [0, 1]},
                         schema={"user_id": pl.Int64, "row": pl.Int32})
    empty = pl.DataFrame(schema={"query": pl.Int32, "neighbour": pl.Int32})
    score = hit_rates(name="x", recommendations=empty, liked=liked, head=set())
    assert (score.hr_at_k, score.tail_hr_at_k, score.queries) == (0.0, 0.0, 2)


GROUPS = ("pirate", "robot", "ghost")


def taste_world(users: int = 45, per_group: int = 10) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Three taste groups of films. Viewers of a group like most of its films; a film's genre
    names its group for only ~half of the films, so content alone is a weak guide. Each viewer
    also likes one "cold" film nobody else rated, whose genre does name its group."""
    rng = np.random.default_rng(11)
    films: list[tuple[str, str, str]] = []  # id, title, genre

    def add(group: int, label: str, reliable: bool) -> str:
        film = f"ns{len(films)}"
        genre_group = group if reliable or rng.random() < 0.4 else int(rng.integers(3))
        films.append((film, f"{label} {len(films)}", f"{GROUPS[genre_group]} stories"))
        return film

    warm = [[add(g, "warm", reliable=False) for _ in range(per_group)] for g in range(3)]
    ratings = []
    for user in range(1, users + 1):
        group = user % 3
        ratings += [(user, film, 4.5) for film in warm[group] if rng.random() < 0.6]
        ratings.append((user, add(group, "cold", reliable=True), 5.0))
    catalog = pl.DataFrame({
        "id": [f[0] for f in films], "type": "movie", "title": [f[1] for f in films],
        "listed_in": [f[2] for f in films], "description": [f"tale {f[0]}" for f in films],
        "director": None, "cast": None, "country": None,
    }, schema_overrides={"director": pl.String, "cast": pl.String, "country": pl.String})
    return catalog, pl.DataFrame(ratings, schema={"user_id": pl.Int32, "movie_id": pl.String,
                                                  "rating": pl.Float32}, orient="row")


def test_report_renders_and_serialises():
    catalog, ratings = taste_world()
    report = evaluate(catalog=catalog, ratings=ratings, weights=[0.3, 0.6], tail_cutoff=5)
    assert isinstance(report, EvaluationReport)
    assert report.blend_weight in (0.3, 0.6)
    assert [m.name for m in report.models] == ["popularity", "content only",
                                               "collaborative only", "blend"]
    assert report.held_out_users == 9
    assert report.train_users == 36
    assert report.tail_cutoff == 5
    table = report.table()
    for label in ("HR@5", "tail HR@5", "queries", "distinct movies", "popularity",
                  "content only", "collaborative only", f"blend (weight {report.blend_weight:g})"):
        assert label in table
    data = json.loads(json.dumps(report.as_dict()))
    assert data["blend_weight"] == report.blend_weight
    assert set(data["models"]) == {"popularity", "content only", "collaborative only", "blend"}
    assert data["models"]["blend"]["hr_at_k"] == report.blend.hr_at_k
    assert [row["weight"] for row in data["blend_grid"]] == [0.3, 0.6]


def test_blend_equal_to_a_baseline_on_both_metrics_is_refused():
    # At weight 0 the blend ranks by content alone, exactly as content-only does: equal on both
    # metrics counts as dominated.
    catalog, ratings = taste_world()
    with pytest.raises(BlendDominated, match="dominated by content only") as raised:
        evaluate(catalog=catalog, ratings=ratings, weights=[0.0], tail_cutoff=5)
    report = raised.value.report
    content = report.baselines[1]
    assert (report.blend.hr_at_k, report.blend.tail_hr_at_k) == (
        content.hr_at_k, content.tail_hr_at_k)
    assert report.blend.hr_at_k > 0
    assert "blend (weight 0)" in report.table()


def test_choose_weight_by_hand():
    def score(hr: float, tail: float) -> ModelScore:
        return ModelScore(name="m", hr_at_k=hr, tail_hr_at_k=tail, queries=10,
                          distinct_recommended=3)

    baselines = [score(0.9, 0.0), score(0.3, 0.3), score(0.5, 0.4)]
    # 0.2 is dominated by the third baseline (0.5 >= 0.45, 0.4 >= 0.4); 0.8 has the best HR.
    grid = {0.2: score(0.45, 0.4), 0.5: score(0.55, 0.41), 0.8: score(0.6, 0.45)}
    assert choose_weight(grid=grid, baselines=baselines) == (0.8, True)
    # Without 0.8 and 0.5, only the dominated weight is left: reported, flagged dominated.
    assert choose_weight(grid={0.2: grid[0.2]}, baselines=baselines) == (0.2, False)
    # A tie on both metrics goes to the smaller weight.
    assert choose_weight(grid={0.7: grid[0.8], 0.6: grid[0.8]}, baselines=baselines) == (0.6, True)


def test_the_shipped_weight_is_the_best_undominated_one():
    catalog, ratings = taste_world()
    report = evaluate(catalog=catalog, ratings=ratings, weights=[0.0, 0.3, 0.6, 0.9],
                      tail_cutoff=5)
    undominated = {w: s for w, s in report.grid.items()
                   if not any(b.dominates(s) for b in report.baselines)}
    assert report.blend_weight in undominated
    assert report.blend.hr_at_k == max(s.hr_at_k for s in undominated.values())
    assert 0.0 not in undominated
    assert report.blend_weight > 0.0


def test_evaluate_refuses_bad_weights(tiny_catalog, tiny_ratings):
    with pytest.raises(ValueError, match="at least one"):
        evaluate(catalog=tiny_catalog, ratings=tiny_ratings, weights=[])
    with pytest.raises(ValueError, match="blend_weight"):
        evaluate(catalog=tiny_catalog, ratings=tiny_ratings, weights=[-0.1])
    with pytest.raises(ValueError, match="k must be"):
        evaluate(catalog=tiny_catalog, ratings=tiny_ratings, k=0)
