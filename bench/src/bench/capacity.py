"""docs/capacity.md from bench/results.json and bench/scaling.json (the last step of `make bench`).

`python -m bench.capacity` renders it again from the two files alone; every figure in it is
read from them or computed from them here (bench.capacity_model), never typed in.
"""

import argparse
import sys
from pathlib import Path

from bench import generate
from bench.capacity_model import (
    CORES_PER_POD,
    ETL_MEMORY_HEADROOM,
    GIB,
    MB,
    PLANNED_RATINGS,
    PLANNED_RPS,
    SERVICE_MEMORY_HEADROOM,
    SERVICES,
    UTILISATION,
    VERSIONS_AT_PEAK,
    Ease,
    Model,
    load,
)

REPO = generate.REPO
CHECKED_BY = "tests/deploy/test_deploy_capacity.py"
EASE_SIZES = (10_000, 20_000, 50_000)


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value / MB:,.1f} MB"


def _gb(value: float | None) -> str:
    return "n/a" if value is None else f"{value / GIB:,.2f} GiB"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _millions(rows: int) -> str:
    return f"{rows / 1e6:g}M"


def _sources(model: Model) -> list[str]:
    lines = ["# Capacity model", "",
             "Rendered by `python -m bench.capacity` (the last step of `make bench`) from the "
             "two files `make bench` writes; do not edit it by hand, run that command again. "
             "Every figure below is read from one of them or is *arithmetic* over them with "
             "the planning inputs listed next, and says which.", ""]
    lines += _table(["file", "written", "commit", "machine load"],
                    [[f"[`{s.name}`](../{s.name})", s.date, s.commit, s.load]
                     for s in model.sources])
    lines += ["", "The ratings are GENERATED (`bench.generate`), the catalog is the real one. "
              "Seconds depend on how busy the machine was (the load column); CPU per request "
              "(read from the kernel for each process) less, though it too rises on a busy "
              "machine (fewer requests per wake-up), and memory hardly. MB = 2²⁰ bytes, "
              "GiB = 2³⁰.", "",
              "**Planning inputs** (choices, not measurements):", "",
              f"- the worked example: {PLANNED_RPS:,} requests/s and "
              f"{PLANNED_RATINGS / 1e6:g}M ratings over the measured catalog;",
              f"- each pod runs one uvicorn process: one event loop, so at most "
              f"{CORES_PER_POD:g} core of CPU whatever its limit;",
              f"- pods are counted to run at {UTILISATION:.0%} of that core (the HPAs' CPU "
              "target), leaving the rest for bursts and a lost pod;",
              f"- Redis holds up to {VERSIONS_AT_PEAK} versions at once (current, rollback "
              "target, and the retired one during its hour of expiry);",
              f"- memory limits: {SERVICE_MEMORY_HEADROOM:g}x a service's measured RSS, "
              f"{ETL_MEMORY_HEADROOM:g}x the ETL's extrapolated peak."]
    return lines


def _serving(model: Model) -> list[str]:
    lines = ["", "## What one replica serves", "",
             "Random traffic (`bench.random_load`): every request a new path over the whole "
             "domain, so no cache answers it — the costly case. CPU per request is each "
             "process's user + system time over the requests answered in its closed-loop "
             f"run at c={model.reference}. The `mix` is every random route in equal turns; "
             "the heaviest route is the one costing that service most per request. A "
             "replica's req/s is *arithmetic*: cores of one process / CPU per request.", ""]
    rows = []
    for service in SERVICES:
        s = model.services[service]
        alone = "; ".join(f"{name} {rps:,.0f}" for name, rps in s.alone.items()) or "—"
        rows.append([service, f"{s.mix_ms:.2f}", f"{s.worst_route} {s.worst_ms:.2f}",
                     f"{s.per_core_rps(s.mix_ms):,.0f}",
                     f"{s.per_core_rps(s.worst_ms):,.0f}", alone, _mb(s.rss_bytes)])
    lines += _table(["service", "CPU ms / request, mix", "heaviest route, CPU ms",
                     "req/s per replica (1 core), mix", "req/s per replica, heaviest route",
                     "measured alone, req/s (shared cores)", "RSS after the load"], rows)
    lines += ["", "Measured throughput of the whole stack on the bench machine (wrk, the three "
              "services, Redis and the load generator on the same cores, so these are floors "
              "for a replica with a core of its own):", ""]
    rows = [["bare FastAPI app (one process, constant answer)", "random",
             f"{model.bare_rps:,.0f}" if model.bare_rps else "n/a"]]
    rows += [[f"gateway `{name}`", "random", f"{rps:,.0f}"]
             for name, rps in model.gateway_rps.items()]
    rows += [[f"gateway `{name}`", "cached (48 queries rotating)", f"{rps:,.0f}"]
             for name, rps in model.cached_rps.items()]
    lines += _table(["target", "traffic", f"req/s at c={model.reference}"], rows)
    return lines


def _redis(model: Model) -> list[str]:
    r = model.redis
    lines = ["", "## Redis memory per 1,000 titles x neighbours kept", "",
             f"After the ETL published one version: `used_memory` {_mb(r.used_bytes)}"
             + (f", of which the empty server's {_mb(r.empty_bytes)} before the ETL"
                if r.empty_bytes is not None else
                " (the empty server's own memory was not recorded: included, an upper line)")
             + f"; {r.titles:,} titles with a neighbour list"
             + (f", {r.neighbour_rows:,} neighbour rows kept ({r.neighbours_per_title:.1f} per "
                f"title, at most {r.max_neighbours})" if r.neighbours_per_title else
                " (neighbour rows not recorded in this file)")
             + (f", {r.keys:,} keys." if r.keys is not None else ".")]
    if r.by_size:
        lines += ["", "The same after each `bench.scaling` size: " + ", ".join(
            f"{_millions(rows)} ratings {_mb(used)}" for rows, used in sorted(r.by_size.items()))
            + " — it follows the titles and the list depth, not the ratings."]
    per_neighbour = r.per_thousand_title_neighbours
    lines += ["", "*Arithmetic*: one version takes "
              f"**{_mb(r.per_thousand_titles)} per 1,000 titles**"
              + (f" at {r.neighbours_per_title:.1f} neighbours each, **"
                 f"{per_neighbour / 1024:,.1f} KB per 1,000 titles per neighbour kept** (the "
                 "titles hash and the title index folded in: an upper line)"
                 if per_neighbour else "")
              + f"; at the peak of {VERSIONS_AT_PEAK} versions the measured catalog needs "
              f"{_mb(r.peak_bytes(r.titles))}. A catalog of N titles: about N / 1,000 x "
              f"{VERSIONS_AT_PEAK} x {_mb(r.per_thousand_titles)}."]
    return lines


def _etl(model: Model) -> list[str]:
    lines = ["", "## ETL time and memory per million ratings", "",
             "`bench.scaling`: the whole `etl-job run` (generated ratings, the real catalog, its "
             "own Redis) at each size; peak RSS of the process tree.", ""]
    rows = []
    for size in model.etl_sizes:
        top = max(size.stages, key=lambda st: st.get("peak_rss_bytes") or 0)
        slow = max(size.stages, key=lambda st: st["seconds"])
        rows.append([f"{size.rows:,}", f"{size.seconds:,.1f}", _mb(size.peak_bytes),
                     f"{slow['name']} {slow['seconds']:,.1f} s",
                     f"{top['name']} {_mb(top.get('peak_rss_bytes'))}",
                     f"{size.load_average_after}" if size.load_average_after else "n/a"])
    lines += _table(["ratings", "wall s", "peak RSS", "longest stage", "stage holding the peak",
                     "load average after"], rows)
    steps = list(zip(model.etl_sizes, model.etl_sizes[1:], strict=False))
    if steps:
        lines += ["", "*Arithmetic*, per extra million ratings: " + "; ".join(
            f"{_millions(a.rows)}→{_millions(b.rows)} "
            f"{(b.seconds - a.seconds) / ((b.rows - a.rows) / 1e6):,.1f} s and "
            f"{_mb((b.peak_bytes - a.peak_bytes) / ((b.rows - a.rows) / 1e6))}"
            for a, b in steps) + ". Equal steps would mean linear growth."]
    shipped = model.shipped
    if shipped is not None:
        lines += ["", f"The ETL of `bench.run` on {shipped.rows:,} ratings (the shipped "
                  f"dataset's size): {shipped.seconds:,.1f} s, peak {_mb(shipped.peak_bytes)}."]
    return lines


def _ease(model: Model) -> list[str]:
    lines = ["", "## ETL per thousand movies: the item x item bound", ""]
    ease = model.ease
    if model.catalog_titles and model.catalog_stage_seconds is not None:
        lines += [f"Reading and checking the catalog: {model.catalog_stage_seconds:.2f} s for "
                  f"{model.catalog_titles:,} titles "
                  f"({model.catalog_stage_seconds / model.catalog_titles * 1000:.3f} s per "
                  "1,000, linear). The ratings count does not change the item x item work; "
                  "the number of movies does.", ""]
    if ease is None:
        return [*lines, "The run's manifest has no EASE section."]
    lines += [f"EASE solves one dense movies x movies system: its Gram matrix XᵀX is "
              f"float32, 4 bytes x movies², and the solve grows with movies³. The run kept "
              f"the {ease.movies:,} most-liked of {ease.liked_movies:,} liked movies (the "
              f"bound is {ease.max_movies:,}; the rest are ranked by BM25 and content): "
              f"{ease.train_seconds:.1f} s in train, {ease.evaluate_seconds:.1f} s in evaluate "
              f"({ease.lambdas} penalties tried).", ""]
    sizes = sorted({ease.movies, ease.liked_movies, *EASE_SIZES})
    rows = [[f"{n:,}", _mb(Ease.gram_bytes(n)), f"{ease.train_seconds_at(n):,.0f}",
             "measured" if n == ease.movies else "*arithmetic*"] for n in sizes]
    lines += _table(["movies in EASE", "one Gram matrix", "train s (x movies³)", ""], rows)
    biggest = EASE_SIZES[-1]
    lines += ["", f"**Where the limit is**: the {ease.max_movies:,}-movie bound keeps EASE at "
              f"{_mb(Ease.gram_bytes(ease.max_movies))} per matrix copy and "
              f"{ease.train_seconds_at(ease.max_movies):,.0f} s of training. Lifting it to every "
              "liked movie multiplies the solve by "
              f"{(ease.liked_movies / ease.movies) ** 3:,.0f}; at {biggest:,} movies one copy "
              f"is {_gb(Ease.gram_bytes(biggest))} and training "
              f"{ease.train_seconds_at(biggest) / 3600:,.1f} h. **Past it**: keep the bound "
              "(the long tail has too few likes for EASE to learn from) and let BM25 and "
              "content rank the rest, as now; or split the catalog (per genre or language) "
              "and fit one EASE per block; or move to a sparse or low-rank model (SLIM, "
              "ALS) with approximate nearest neighbours over its item vectors."]
    return lines


def _plan(model: Model) -> list[str]:
    lines = ["", f"## Worked example: {PLANNED_RPS:,} req/s and {PLANNED_RATINGS / 1e6:g}M "
             "ratings", "", "*Arithmetic* over the figures above.", "",
             "**Pods.** Per service: pods for the mix (steady state), and pods if every "
             "request took that service's heaviest route (what `maxReplicas` must allow). "
             f"Pods = {PLANNED_RPS:,} x CPU ms / 1000 / ({CORES_PER_POD:g} core x "
             f"{UTILISATION:.0%}).", ""]
    rows = []
    for service in SERVICES:
        s = model.services[service]
        rows.append([service, str(model.mix_pods(service)), str(model.plan_pods(service)),
                     f"{CORES_PER_POD:g}", _mb(s.memory_limit_bytes)])
    lines += _table(["service", "pods, mix", "maxReplicas at least", "CPU limit per pod (cores)",
                     "memory limit at least"], rows)
    lines += ["", f"The mix keeps about **{model.mix_cores:,.1f} cores** busy at "
              f"{UTILISATION:.0%} across the three services: the node pool needs them "
              "beyond Redis and the system pods. The pods' CPU *requests* in `k8s/` are kept "
              "small so the default install fits a small cluster; the HPAs' 70% is of the "
              "request, so they reach `maxReplicas` early and the pods then run up to their "
              "limit: on a node pool sized for this example, set each request to about "
              f"{UTILISATION:g} core so the scheduler reserves what the pods use."]
    r = model.redis
    lines += ["", f"**Redis.** {_mb(r.peak_bytes(r.titles))} at the peak for the measured "
              f"catalog ({r.titles:,} titles); the ratings count does not change it. Requests "
              "per second on Redis were not measured by `make bench` (one pipelined round trip "
              "per recommendation): check the target Redis with `redis-benchmark` before "
              "relying on one node, or run a cluster (`REDIS_CLUSTER=true`)."]
    fit, peak, seconds = model.fit, model.etl_peak_bytes, model.etl_seconds
    if fit is None or peak is None or seconds is None:
        return [*lines, "", "**ETL node.** Fewer than two scaling sizes: no line to extend."]
    lines += ["", f"**ETL node.** The line through {_millions(fit.low.rows)} and "
              f"{_millions(fit.high.rows)} ({_mb(fit.bytes_per_million)} and "
              f"{fit.seconds_per_million:,.1f} s per extra million) gives at "
              f"{_millions(PLANNED_RATINGS)}: **peak {_gb(peak)}**, **{seconds:,.0f} s** at "
              "that run's load. Memory limit at least "
              f"**{model.etl_memory_limit_gib} Gi** ({ETL_MEMORY_HEADROOM:g}x); give the node "
              "that much free and set the pod's memory request to the peak there. A straight "
              "line is only as good as the two points: rerun `bench.scaling` at the largest "
              "size that fits before trusting it."]
    lines += ["", f"**Checked against `k8s/`** by `{CHECKED_BY}`: each HPA's `maxReplicas` "
              "and each service's CPU and memory limit against the table above, the ETL "
              "pod's memory limit against the extrapolated peak and its memory request against "
              "the shipped dataset's measured peak, its deadline against the extrapolated time, "
              "and Redis' memory limit against the peak of its versions."]
    return lines


def render(model: Model) -> str:
    """The whole docs/capacity.md."""
    lines = [*_sources(model), *_serving(model), *_redis(model), *_etl(model),
             *_ease(model), *_plan(model)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__)
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "results.json")
    parser.add_argument("--scaling", type=Path, default=REPO / "bench" / "scaling.json")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "capacity.md")
    args = parser.parse_args(argv)
    try:
        model = load(args.results, args.scaling)
    except (OSError, KeyError, TypeError, ValueError) as error:
        print(f"bench.capacity: cannot build the model from {args.results} and {args.scaling} "
              f"({type(error).__name__}: {error}); {args.out} left as it was. It needs a "
              "bench.run that reached random traffic and a bench.scaling with a finished size.",
              file=sys.stderr)
        return 1
    args.out.write_text(render(model), encoding="utf-8")
    print(f"bench.capacity: {args.out} written from {args.results} and {args.scaling}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
