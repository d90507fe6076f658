"""Offline evaluation: split, sample, metrics and intervals by hand, the selection rule."""

import json

import numpy as np
import polars as pl
import pytest
from etl_job.recommender import BlendDominated, EvaluationReport, ModelScore, evaluate
from etl_job.recommender.evaluate import sample_users, split_users
from etl_job.recommender.metrics import bootstrap_interval, per_query_table, score_model
from etl_job.recommender.movies import RatedMatrix
from etl_job.recommender.readme_table import README_END, README_START
from etl_job.recommender.readme_table import main as readme_main
from etl_job.recommender.report import choose_blend, markdown_table


def ratings_of(users: int, movies: int = 3) -> RatedMatrix:
    return RatedMatrix.from_frame(pl.DataFrame({
        "user_id": np.repeat(np.arange(1, users + 1), movies),
        "row": np.tile(np.arange(movies), users).astype(np.int32),
        "rating": 4.0}))


def test_split_is_deterministic_user_disjoint_and_sized():
    ratings = ratings_of(50)
    train_a, held_a = split_users(ratings=ratings, seed=7, holdout_fraction=0.2)
    train_b, held_b = split_users(ratings=ratings, seed=7, holdout_fraction=0.2)
    assert train_a.frame().equals(train_b.frame())
    assert held_a.frame().equals(held_b.frame())
    train_users, held_users = set(train_a.frame()["user_id"]), set(held_a.frame()["user_id"])
    assert not train_users & held_users
    assert train_users | held_users == set(range(1, 51))
    assert len(held_users) == 10
    assert train_a.height + held_a.height == ratings.height  # every rating of a user goes along
    _, held_other = split_users(ratings=ratings, seed=8, holdout_fraction=0.2)
    assert set(held_other.frame()["user_id"]) != held_users


def test_split_refuses_a_fraction_leaving_a_side_empty():
    with pytest.raises(ValueError, match="holdout_fraction"):
        split_users(ratings=ratings_of(5), seed=1, holdout_fraction=1.0)
    with pytest.raises(ValueError, match="cannot hold out"):
        split_users(ratings=ratings_of(2), seed=1, holdout_fraction=0.1)


def test_hit_rates_and_ndcg_by_hand():
    # User 1 liked movies 0, 1, 2; user 2 liked 0 and 3: five queries.
    liked = pl.DataFrame({"user_id": [1, 1, 1, 2, 2], "row": [0, 1, 2, 0, 3]},
                         schema={"user_id": pl.Int64, "row": pl.Int32})
    recommendations = pl.DataFrame({"query": [0, 0, 1, 2, 3], "neighbour": [1, 4, 5, 0, 4]},
                                   schema={"query": pl.Int32, "neighbour": pl.Int32})
    # (1, 0) hits through 1 at rank 1, (1, 2) through 0 at rank 1; (1, 1), (2, 0), (2, 3) miss:
    # HR = 2/5. Movie 1 is in the head, so only (1, 2) is a tail hit: 1/5.
    score = score_model(name="x", recommendations=recommendations, liked=liked, head={1}, k=5,
                        recommendable=10, seed=1, resamples=200)
    assert score.hr_at_k == pytest.approx(0.4)
    assert score.tail_hr_at_k == pytest.approx(0.2)
    assert score.queries == 5
    assert score.distinct_recommended == 4  # 1, 4, 5, 0
    assert score.coverage == pytest.approx(0.4)
    # User 1 has two other liked movies per query: ideal DCG = 1 + 1/log2(3). Each of its two
    # hits is at rank 1 (DCG 1); user 2's queries have one other liked movie, none found.
    ideal = 1 + 1 / np.log2(3)
    assert score.ndcg_at_10 == pytest.approx(round((2 / ideal) / 5, 4))
    low, high = score.hr_interval
    assert 0.0 <= low <= 0.4 <= high <= 1.0


def test_hits_count_only_within_k_and_ndcg_discounts_by_rank():
    liked = pl.DataFrame({"user_id": [1, 1], "row": [0, 7]},
                         schema={"user_id": pl.Int64, "row": pl.Int32})
    # Query 0's list: the liked movie 7 comes 3rd.
    recommendations = pl.DataFrame({"query": [0, 0, 0], "neighbour": [4, 5, 7]},
                                   schema={"query": pl.Int32, "neighbour": pl.Int32})
    table = per_query_table(recommendations=recommendations, liked=liked, head=set(), k=2)
    row = table.filter(pl.col("query") == 0).row(0, named=True)
    assert row["hit"] is False  # beyond k = 2
    assert row["ndcg"] == pytest.approx(1 / np.log2(4))  # rank 3, one other liked movie


def test_a_query_with_no_recommendation_is_a_miss():
    liked = pl.DataFrame({"user_id": [1, 1], "row": [0, 1]},
                         schema={"user_id": pl.Int64, "row": pl.Int32})
    empty = pl.DataFrame(schema={"query": pl.Int32, "neighbour": pl.Int32})
    score = score_model(name="x", recommendations=empty, liked=liked, head=set(), k=5,
                        recommendable=3, seed=1, resamples=100)
    assert (score.hr_at_k, score.tail_hr_at_k, score.queries) == (0.0, 0.0, 2)
    assert (score.ndcg_at_10, score.coverage) == (0.0, 0.0)


def per_query(users: int, rate: float, queries_each: int = 5) -> pl.DataFrame:
    """`users` users with `queries_each` queries, the first `rate` share of each user's hit."""
    hits = round(rate * queries_each)
    return pl.DataFrame({
        "user_id": np.repeat(np.arange(users), queries_each),
        "hit": np.tile(np.arange(queries_each) < hits, users) ^ np.repeat(
            np.arange(users) % 4 == 0, queries_each),
    })


def test_bootstrap_interval_is_seeded_and_shrinks_with_more_queries():
    small, large = per_query(20, 0.6), per_query(2000, 0.6)
    mean = float(small["hit"].mean())
    first = bootstrap_interval(per_query=small, seed=3, resamples=400)
    assert first == bootstrap_interval(per_query=small, seed=3, resamples=400)
    assert first != bootstrap_interval(per_query=small, seed=4, resamples=400)
    low, high = first
    assert low < mean < high
    large_low, large_high = bootstrap_interval(per_query=large, seed=3, resamples=400)
    assert large_low < float(large["hit"].mean()) < large_high
    # ~sqrt(100) = 10 times narrower with 100 times the users; at least 4 times, with noise.
    assert (large_high - large_low) * 4 < high - low
    with pytest.raises(ValueError, match="level"):
        bootstrap_interval(per_query=small, seed=3, level=1.5)


def test_bootstrap_resamples_users_not_queries():
    # Each user hits all or none of 10 queries: the users' spread, not the queries', decides.
    table = pl.DataFrame({"user_id": np.repeat(np.arange(10), 10),
                          "hit": np.repeat(np.arange(10) < 5, 10)})
    low, high = bootstrap_interval(per_query=table, seed=1, resamples=1000)
    # Ten users, half hitting: the mean of ten coin flips (sd ~0.16), far wider than 100
    # independent queries would give (sd 0.05).
    assert high - low > 0.4


def test_sample_users_keeps_whole_users_within_the_bound():
    liked = pl.DataFrame({"user_id": np.repeat(np.arange(1, 21), 3), "row": np.arange(60)})
    sample, info = sample_users(liked=liked, seed=5, max_queries=10)
    assert info == {"held_out_queries": 60, "sampled_users": 3, "sampled_queries": 9,
                    "max_queries": 10}
    assert set(sample.group_by("user_id").len()["len"]) == {3}  # whole users only
    again, _ = sample_users(liked=liked, seed=5, max_queries=10)
    assert again.equals(sample)
    everyone, info = sample_users(liked=liked, seed=5, max_queries=1000)
    assert everyone.height == 60
    assert info["sampled_users"] == 20
    _one, info = sample_users(liked=liked, seed=5, max_queries=1)
    assert info["sampled_users"] == 1  # a user larger than the bound still counts
    with pytest.raises(ValueError, match="max_queries"):
        sample_users(liked=liked, seed=5, max_queries=0)


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


WEIGHTS = ((1.0, 0.0, 0.5), (1.0, 0.5, 1.0))


def test_report_renders_and_serialises():
    catalog, ratings = taste_world()
    report = evaluate(catalog=catalog, ratings=ratings, lambdas=[5.0, 50.0], weights=WEIGHTS,
                      tails=(0, 2), tail_cutoff=5, resamples=100)
    assert isinstance(report, EvaluationReport)
    names = [m.name for m in report.models]
    assert names[:5] == ["popularity", "content only", "BM25 item-item only",
                         "EASE only (λ 5)", "EASE only (λ 50)"]
    assert len(report.grid) == 8
    assert names[5:7] == ["blend ease 1 + bm25 0 + content 0.5 (λ 5)",
                          "blend ease 1 + bm25 0 + content 0.5 (λ 5), 2 of 5 outside the head"]
    assert report.held_out_users == 9
    assert report.train_users == 36
    assert report.sample["sampled_queries"] == report.blend.queries
    low, high = report.blend.hr_interval
    assert report.as_dict()["sample"]["hr_interval_width"] == pytest.approx(high - low)
    table = report.table()
    for label in ("HR@5", "tail HR@5", "NDCG@10", "coverage", "95% interval",
                  "EASE only (λ 50)", f"* {report.blend.name}", "rule: ", "targets"):
        assert label in table
    data = json.loads(json.dumps(report.as_dict()))
    assert data["blend_weight"] == report.blend.name
    assert data["lambda"] in (5.0, 50.0)
    assert data["models"]["blend"]["hr_at_k"] == report.blend.hr_at_k
    assert [row["shipped"] for row in data["blend_grid"]].count(True) == 1
    assert {(row["ease"], row["bm25"], row["content"], row["lam"], row["tail"])
            for row in data["blend_grid"]} == {(*w, lam, tail) for w in WEIGHTS
                                               for lam in (5.0, 50.0) for tail in (0, 2)}
    # The shipped blend again on another split: seed + 1, other held-out users, same blend.
    second = data["second_split"]
    assert second["seed"] == 43
    assert second["held_out_users"] == 9
    assert 0.0 <= second["hr_at_k"] <= 1.0
    assert second["queries"] > 0
    assert report.second_split is not None
    assert second == json.loads(json.dumps(report.second_split.as_dict()))
    # The same figures as a whole evaluation on seed 43 that tries the shipped blend alone.
    shipped = report.blend_settings
    # On so small a world the blend may tie a single signal there (refused as dominated):
    # the figures are what is compared.
    try:
        alone = evaluate(catalog=catalog, ratings=ratings, seed=43, lambdas=[shipped["lam"]],
                         weights=[(shipped["ease"], shipped["bm25"], shipped["content"])],
                         tails=[shipped["tail"]], tail_cutoff=5, resamples=100)
    except BlendDominated as exc:
        alone = exc.report
    assert report.second_split.score == alone.blend
    assert "second split (seed 43, 9 other held-out users" in table
    markdown = markdown_table(data, source="a test")
    assert f"| **{report.blend.name}** |" in markdown
    assert "The second split (seed 43" in markdown
    assert markdown.count("\n| ") == len(report.models) + 2  # header, rule, a row per model


def test_blend_equal_to_a_baseline_on_both_metrics_is_refused():
    # Content alone as the only blend ranks as content-only does: equal on both metrics is
    # dominated.
    catalog, ratings = taste_world()
    with pytest.raises(BlendDominated, match="dominated by content only") as raised:
        evaluate(catalog=catalog, ratings=ratings, lambdas=[50.0], weights=[(0.0, 0.0, 1.0)],
                 tails=(0,), tail_cutoff=5, resamples=50)
    report = raised.value.report
    content = report.baselines[1]
    assert (report.blend.hr_at_k, report.blend.tail_hr_at_k) == (
        content.hr_at_k, content.tail_hr_at_k)
    assert report.blend.hr_at_k > 0


def score(hr: float, tail: float, name: str = "m") -> ModelScore:
    return ModelScore(name=name, hr_at_k=hr, tail_hr_at_k=tail, queries=10,
                      distinct_recommended=3)


def test_selection_rule_on_a_hand_made_grid():
    baselines = [score(0.9, 0.0), score(0.6, 0.35), score(0.8, 0.28)]
    high_hr, balanced, tail_heavy = score(0.85, 0.25), score(0.78, 0.34), score(0.76, 0.36)
    dominated = score(0.6, 0.34)  # the second baseline is as good on HR and better on tail
    # Best HR@5 among the undominated blends whose tail reaches 0.33: balanced.
    assert choose_blend(grid=[high_hr, balanced, tail_heavy, dominated],
                        baselines=baselines) == (1, True)
    # None reaches the floor: the best tail among the undominated; the dominated one never.
    assert choose_blend(grid=[dominated, high_hr], baselines=baselines) == (1, True)
    # Every blend dominated: reported as such (evaluate raises BlendDominated).
    assert choose_blend(grid=[dominated], baselines=baselines) == (0, False)
    # A tie goes to the blend listed first.
    assert choose_blend(grid=[balanced, score(0.78, 0.34)], baselines=baselines) == (0, True)
    with pytest.raises(ValueError, match="empty"):
        choose_blend(grid=[], baselines=baselines)


def test_evaluate_refuses_bad_arguments(tiny_catalog, tiny_ratings):
    with pytest.raises(ValueError, match="at least one"):
        evaluate(catalog=tiny_catalog, ratings=tiny_ratings, weights=[])
    with pytest.raises(ValueError, match="blend weights"):
        evaluate(catalog=tiny_catalog, ratings=tiny_ratings, weights=[(-0.1, 0.0, 1.0)])
    with pytest.raises(ValueError, match="k must be"):
        evaluate(catalog=tiny_catalog, ratings=tiny_ratings, k=0)
    with pytest.raises(ValueError, match="tail shares"):
        evaluate(catalog=tiny_catalog, ratings=tiny_ratings, tails=[6])
    with pytest.raises(ValueError, match="at least one"):
        evaluate(catalog=tiny_catalog, ratings=tiny_ratings, tails=[])


def test_readme_table_is_written_between_its_markers_from_a_manifest(tmp_path, capsys):
    catalog, ratings = taste_world()
    report = evaluate(catalog=catalog, ratings=ratings, lambdas=[50.0], weights=WEIGHTS,
                      tail_cutoff=5, resamples=50)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"run_id": "r1", "evaluation": report.as_dict()}))
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{README_START}\nold table\n{README_END}\nafter\n")
    assert readme_main([str(manifest), "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert "old table" not in text
    assert text.startswith("intro\n")
    assert text.endswith("after\n")
    assert "Generated from run `r1`" in text
    assert f"| **{report.blend.name}** |" in text
    readme.write_text("no markers here\n")
    with pytest.raises(ValueError, match="markers"):
        readme_main([str(manifest), "--readme", str(readme)])
    assert readme_main([str(tmp_path / "missing.json")]) == 2
    assert "no readable evaluation section" in capsys.readouterr().err
