"""The recommender: its offline evaluation from the manifest, example answers via the gateway."""

from typing import Any

import httpx

from eda.data import RunData
from eda.model import Figure, Section, Table
from eda.plots import grouped_bars, new_figure, png_bytes

EXAMPLES = 3
SHOWN = 5  # neighbours shown per example, as many as /get_recommendation returns
GATEWAY_TIMEOUT_SECONDS = 10.0
METRIC_LABELS = {
    "hr_at_k": "HR@{k}",
    "tail_hr_at_k": "tail HR@{k}",
    "queries": "queries",
    "distinct_recommended": "distinct movies",
}


def recommender_section(
    run: RunData, *, gateway_url: str | None, transport: httpx.BaseTransport | None = None
) -> Section:
    """Evaluation table (and chart) when the manifest has one; examples when a gateway answers."""
    section = Section(
        slug="recommender",
        title="The recommender",
        intro="Neighbours blend content similarity (genres, people, countries, "
        "description) with collaborative filtering on the user ratings; the "
        "ETL evaluates them offline on held-out users before publishing.",
    )
    model = run.manifest.get("model")
    if isinstance(model, dict) and model:
        rows = _scalars(model) + _scalars(run.manifest.get("redis") or {}, "published ")
        section.tables.append(Table("model", "The model this run trained", ["", "value"], rows))
    evaluation = run.manifest.get("evaluation")
    if isinstance(evaluation, dict) and evaluation:
        add_evaluation(section, evaluation)
    else:
        section.notes.append(
            "No offline evaluation in this run's manifest (the ETL run did not "
            "train the recommender), so there is no evaluation table."
        )
    if gateway_url:
        add_examples(section, run, gateway_url=gateway_url, transport=transport)
    else:
        section.notes.append(
            "No gateway URL was given (--gateway-url or GATEWAY_URL), so no "
            "example recommendations are shown: only the evaluation."
        )
    return section


def _scalars(entries: dict[str, Any], prefix: str = "") -> list[list[Any]]:
    """The entries of a manifest section that are no dict or list, as (name, value) rows."""
    return [
        [prefix + key, _cell(value)]
        for key, value in entries.items()
        if not isinstance(value, dict | list)
    ]


def _cell(value: Any, key: str = "") -> Any:
    """Hit rates with four decimals; other numbers as short as they can be."""
    if isinstance(value, float):
        return f"{value:.4f}" if key in METRIC_LABELS else f"{value:g}"
    return value


def add_evaluation(section: Section, evaluation: dict[str, Any]) -> None:
    k = evaluation.get("k", 5)
    models: dict[str, dict[str, Any]] = evaluation.get("models") or {}
    keys = list(dict.fromkeys(key for scores in models.values() for key in scores if key != "name"))
    columns = ["model", *[METRIC_LABELS.get(key, key).format(k=k) for key in keys]]
    rows = [
        [name, *[_cell(scores.get(key), key) for key in keys]] for name, scores in models.items()
    ]
    setup = _scalars(evaluation)
    section.tables.append(
        Table(
            "evaluation",
            "Offline evaluation",
            columns,
            rows,
            note=f"HR@{k}: share of held-out (user, liked movie) queries "
            f"whose {k} recommendations hold another movie the user "
            "liked; tail HR counts only hits outside the most-rated "
            "movies.",
        )
    )
    section.tables.append(
        Table("evaluation_setup", "Evaluation setup", ["setting", "value"], setup)
    )
    grid = evaluation.get("blend_grid")
    if isinstance(grid, list) and grid:
        grid_keys = list(dict.fromkeys(key for entry in grid for key in entry))
        section.tables.append(
            Table(
                "blend_grid",
                "Blend weights tried",
                [METRIC_LABELS.get(key, key).format(k=k) for key in grid_keys],
                [[_cell(entry.get(key), key) for key in grid_keys] for entry in grid],
            )
        )
    if "hr_at_k" in keys:
        section.figures.append(_evaluation_chart(models, k))


def _evaluation_chart(models: dict[str, dict[str, Any]], k: int) -> Figure:
    names = list(models)

    def score(name: str, key: str) -> float:
        return float(models[name].get(key) or 0.0)

    figure, (axes,) = new_figure(height=3.4)
    bars = {
        METRIC_LABELS[key].format(k=k): ([score(n, key) for n in names], colour)
        for key, colour in (("hr_at_k", "#0072B2"), ("tail_hr_at_k", "#E69F00"))
    }
    grouped_bars(axes, names, bars, fmt="{:.3f}")
    axes.set_ylabel("hit rate")

    def distinct(name: str) -> str:
        count = models[name].get("distinct_recommended")
        return f" from {count:,} distinct movies" if isinstance(count, int) else ""

    best_hr = max(names, key=lambda n: score(n, "hr_at_k"))
    best_tail = max(names, key=lambda n: score(n, "tail_hr_at_k"))
    finding = (
        f"Best HR@{k}: '{best_hr}' ({score(best_hr, 'hr_at_k'):.4f}{distinct(best_hr)}); "
        f"best tail HR@{k}: '{best_tail}' ({score(best_tail, 'tail_hr_at_k'):.4f}"
        f"{distinct(best_tail)})."
    )
    return Figure(
        slug="evaluation_chart",
        title=f"HR@{k} and tail HR@{k} per model",
        caption="The offline evaluation table as bars: each baseline and the blend "
        "that was shipped.",
        finding=finding,
        png=png_bytes(figure),
    )


def add_examples(
    section: Section, run: RunData, *, gateway_url: str, transport: httpx.BaseTransport | None
) -> None:
    rows: list[list[Any]] = []
    problems: list[str] = []
    with httpx.Client(
        base_url=gateway_url, timeout=GATEWAY_TIMEOUT_SECONDS, transport=transport
    ) as client:
        # The most-rated catalog movies: the ones a reader is likeliest to know.
        most_rated = run.movies.sort(["rating_count", "id"], descending=[True, False])
        for movie_id in most_rated.head(EXAMPLES)["id"].to_list():
            try:
                response = client.get(f"/titles/{movie_id}")
            except httpx.HTTPError as exc:
                problems.append(f"{movie_id}: the gateway did not answer ({exc!r})")
                break
            if response.status_code != 200:
                problems.append(f"{movie_id}: HTTP {response.status_code} {response.text[:200]}")
                continue
            page = response.json()
            recommendations = page.get("recommendations") or {}
            if not recommendations.get("available"):
                problems.append(f"{movie_id}: {recommendations.get('detail')}")
            record = page.get("title", {})
            query = record.get("display_title") or record.get("title", movie_id)
            rows += [
                [query, rank, item.get("title"), f"{item.get('score', 0):.3f}", item.get("reason")]
                for rank, item in enumerate((recommendations.get("items") or [])[:SHOWN], 1)
            ]
    section.tables.append(
        Table(
            "examples",
            "Example recommendations, with their reasons",
            ["for the movie", "rank", "recommended", "score", "reason"],
            rows,
            note=f"Asked of the gateway at {gateway_url} (GET /titles/{{id}}) for the "
            f"{EXAMPLES} most-rated catalog movies.",
        )
    )
    section.notes += [f"Example recommendation problem: {p}" for p in problems]
    if not rows:
        section.notes.append(f"The gateway at {gateway_url} gave no example recommendations.")
