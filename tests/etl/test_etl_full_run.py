"""`etl-job run` end to end: catalog, evaluation, training, Redis publish; and its failures."""

import json
import uuid
from pathlib import Path

import polars as pl
import pytest
import redis
from contracts.redis_layout import RedisLayout, as_text, decode_meta, decode_neighbours
from contracts.schema import CATALOG_FILE, MANIFEST_FILE
from testkit.stored import stored


@pytest.fixture
def prefix() -> str:
    return f"etltest-{uuid.uuid4().hex[:8]}"


def test_run_publishes_the_model_and_records_it_in_the_manifest(etl,
        sample_data_dir: Path, tmp_path: Path, redis_server, prefix: str) -> None:
    env = {"DATA_DIR": str(sample_data_dir), "OUTPUT_DIR": str(tmp_path / "out"),
           "REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": prefix}
    done = etl(env, "run")
    assert done.returncode == 0, done.stderr
    # The sample is too small to judge the blend: the run says so and ships the default blend.
    assert "too few to judge" in done.stdout
    # One line as each stage starts and one as it ends, in the order they run; the
    # evaluation ends with the evaluated blend's three figures, its table only under -v.
    said = [line for line in done.stdout.splitlines() if line.startswith("etl: ")]
    order = ["reading", "cleaning", "ratings", "writing", "evaluating", "training",
             "checking lists", "publishing"]
    assert [line.split(" — ")[0].removeprefix("etl: ") for line in said] == [
        name for name in order for _ in ("start", "end")]
    assert all(" — done in " in line for line in said[1::2]), said
    evaluated = said[order.index("evaluating") * 2 + 1]
    for figure in ("HR@5 ", "tail HR@5 ", "NDCG@10 "):
        assert figure in evaluated
    assert "offline evaluation:" not in done.stdout
    assert "offline evaluation:" in etl(env, "run", "-v").stdout
    manifest = json.loads((tmp_path / "out" / "current" / MANIFEST_FILE).read_text())
    client = redis.Redis.from_url(redis_server.url)
    layout = RedisLayout(prefix)
    version = stored(client.get(layout.current)).decode()
    assert manifest["redis"] == {"version": version, "key_prefix": prefix}
    assert manifest["evaluation"]["verdict"] == "inconclusive"
    assert set(manifest["evaluation"]["models"]) == {
        "popularity", "content only", "BM25 item-item only", "EASE only (λ 500)",
        "EASE only (λ 2000)", "EASE only (λ 8000)", "blend"}
    assert manifest["evaluation"]["sample"]["max_queries"] == 20_000
    assert manifest["model"]["blend"] == {"ease": 1.0, "bm25": 0.5, "content": 1.0,
                                          "lam": 500.0, "tail": 0}  # the default (inconclusive)
    assert {"evaluate", "train", "series_evaluation", "publish"} <= set(
        manifest["stage_seconds"])
    meta = decode_meta(stored(client.get(layout.meta(version))))
    assert meta["model"]["run_id"] == manifest["run_id"]
    # Every catalog movie and show has neighbours; none is itself, movies get movies and
    # shows get shows.
    catalog = pl.read_parquet(tmp_path / "out" / "current" / CATALOG_FILE)
    movies = set(catalog.filter(pl.col("type") == "movie")["id"])
    shows = set(catalog.filter(pl.col("type") == "tv show")["id"])
    fields = {as_text(key): decode_neighbours(value)
              for key, value in client.hgetall(layout.neighbours(version)).items()}
    lists = {key: value for key, value in fields.items() if not key.startswith("taste:")}
    # Beside the lists, the rated movies' sparse rows of EASE's B: movies only, never
    # their own film.
    taste = {key.removeprefix("taste:"): value for key, value in fields.items()
             if key.startswith("taste:")}
    assert taste
    assert set(taste) <= movies
    for movie_id, row in taste.items():
        assert movie_id not in {n.id for n in row}
        assert {n.id for n in row} <= movies
    assert set(lists) == movies | shows
    for movie_id, neighbours in lists.items():
        ids = [n.id for n in neighbours]
        assert movie_id not in ids
        assert set(ids) <= (movies if movie_id in movies else shows)


def test_run_without_redis_url_stops_before_writing(etl, sample_data_dir: Path,
                                                    tmp_path: Path) -> None:
    done = etl({"DATA_DIR": str(sample_data_dir), "OUTPUT_DIR": str(tmp_path / "out")}, "run")
    assert done.returncode == 2
    assert "REDIS_URL" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "current").exists()


def test_run_with_redis_down_leaves_the_previous_run_current(etl,
        sample_data_dir: Path, tmp_path: Path, redis_server, prefix: str,
        unused_port) -> None:
    out = tmp_path / "out"
    good = etl({"DATA_DIR": str(sample_data_dir), "OUTPUT_DIR": str(out),
                "REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": prefix}, "run")
    assert good.returncode == 0, good.stderr
    before = (out / "current").resolve()
    down = etl({"DATA_DIR": str(sample_data_dir), "OUTPUT_DIR": str(out),
                "REDIS_URL": f"redis://127.0.0.1:{unused_port()}/0",
                "REDIS_KEY_PREFIX": prefix}, "run")
    assert down.returncode == 1
    assert "Redis is unavailable" in down.stderr
    assert "Traceback" not in down.stderr
    assert (out / "current").resolve() == before
    assert sorted(p.name for p in (out / "runs").iterdir()) == [before.name]


def test_rollback_and_evaluate_commands(etl, sample_data_dir: Path, tmp_path: Path,
                                        redis_server, prefix: str) -> None:
    env = {"DATA_DIR": str(sample_data_dir), "OUTPUT_DIR": str(tmp_path / "out"),
           "REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": prefix}
    nothing_to_roll_back = etl(env, "rollback")
    assert nothing_to_roll_back.returncode == 2
    assert etl(env, "run").returncode == 0
    client = redis.Redis.from_url(redis_server.url)
    first = stored(client.get(RedisLayout(prefix).current)).decode()
    assert etl(env, "run").returncode == 0
    assert stored(client.get(RedisLayout(prefix).current)).decode() != first
    rolled = etl(env, "rollback")
    assert rolled.returncode == 0, rolled.stderr
    assert stored(client.get(RedisLayout(prefix).current)).decode() == first
    assert first in rolled.stdout
    # The catalog follows the model back: the symlink names the run of the version rolled to.
    assert (tmp_path / "out" / "current").resolve().name == first
    evaluated = etl(env, "evaluate")
    assert evaluated.returncode == 0
    assert "blend" in evaluated.stdout
    assert "evaluation inconclusive" in evaluated.stdout


def test_real_run_passes_the_evaluation_guard(etl, real_data_dir: Path, tmp_path: Path,
                                              redis_server, prefix: str) -> None:
    env = {"DATA_DIR": str(real_data_dir), "OUTPUT_DIR": str(tmp_path / "out"),
           "REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": prefix}
    done = etl(env, "run", "-v")  # -v: the table and the series figures too
    assert done.returncode == 0, done.stderr
    evaluation = json.loads((tmp_path / "out" / "current" / MANIFEST_FILE).read_text())[
        "evaluation"]
    assert evaluation["verdict"] == "passed"
    # Series: the hand-listed catalog series reach their target on the published lists, and
    # the cold start of the shipped blend is reported with its interval, beside the table.
    known, cold = evaluation["series"]["known_series"], evaluation["series"]["cold_start"]
    assert known["hit_rate"] >= 0.9, known["missed"]
    assert known["films"] >= 100
    assert cold["hidden_films"] > 0
    for arm in ("blend", "blend_with_series"):
        low, high = cold[arm]["hr_interval"]
        assert low <= cold[arm]["cold_hr_at_k"] <= high
    assert "item cold start:" in done.stdout
    models = evaluation["models"]
    blend, content = models["blend"], models["content only"]
    # "by a wide margin": at least 1.5x content-only on both metrics.
    assert blend["hr_at_k"] >= 1.5 * content["hr_at_k"]
    assert blend["tail_hr_at_k"] >= 1.5 * content["tail_hr_at_k"]
    assert set(models) > {"popularity", "content only", "BM25 item-item only",
                          "EASE only (λ 500)", "blend"}
    for name, other in models.items():
        if name == "blend":
            continue
        assert not (other["hr_at_k"] >= blend["hr_at_k"]
                    and other["tail_hr_at_k"] >= blend["tail_hr_at_k"]), name
