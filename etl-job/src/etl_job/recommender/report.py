"""The offline evaluation's result: per-model scores, the shipped blend, as a table or a dict."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

POPULARITY = "popularity"
CONTENT = "content only"
BM25 = "BM25 item-item only"
BLEND = "blend"
# The quality targets for the shipped blend, both at once.
TARGET_HR = 0.80
TARGET_TAIL = 0.33
SELECTION_RULE = (
    f"a blend is a weighting of the signals, an EASE λ and a share of places kept for films "
    f"outside the head; ship the blend with the best HR@5 among the blends that no single "
    f"signal dominates (equal or better on both HR@5 and tail HR@5) and whose tail HR@5 is at "
    f"least {TARGET_TAIL:g} (the target); if none reaches {TARGET_TAIL:g}, the undominated "
    f"blend with the best tail HR@5; ties go to the blend listed first"
)


def ease_name(lam: float) -> str:
    return f"EASE only (λ {lam:g})"


@dataclass(frozen=True)
class ModelScore:
    """One model's scores over the held-out queries."""

    name: str
    hr_at_k: float
    tail_hr_at_k: float
    queries: int
    distinct_recommended: int
    ndcg_at_10: float = 0.0
    coverage: float = 0.0
    # 95% bootstrap interval of HR@k, held-out users resampled.
    hr_interval: tuple[float, float] = (0.0, 0.0)

    def dominates(self, other: "ModelScore") -> bool:
        """Equal or better than `other` on both HR@k and tail HR@k."""
        return self.hr_at_k >= other.hr_at_k and self.tail_hr_at_k >= other.tail_hr_at_k


def choose_blend(
    *, grid: Sequence[ModelScore], baselines: Sequence[ModelScore]
) -> tuple[int, bool]:
    """(position of the shipped blend in `grid`, whether it is undominated): SELECTION_RULE."""
    if not grid:
        raise ValueError("the blend grid is empty")
    undominated = [i for i, s in enumerate(grid) if not any(b.dominates(s) for b in baselines)]
    pool = undominated or list(range(len(grid)))
    floor = [i for i in pool if grid[i].tail_hr_at_k >= TARGET_TAIL]
    if floor:
        best = max(floor, key=lambda i: (grid[i].hr_at_k, grid[i].tail_hr_at_k, -i))
    else:
        best = max(pool, key=lambda i: (grid[i].tail_hr_at_k, grid[i].hr_at_k, -i))
    return best, bool(undominated)


@dataclass(frozen=True)
class SecondSplit:
    """The shipped blend on another seeded split (other held-out users, models retrained)."""

    seed: int
    held_out_users: int
    score: ModelScore

    def as_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "held_out_users": self.held_out_users, **_score_dict(self.score)}


@dataclass(frozen=True)
class EvaluationReport:
    """Every single signal and every blend tried, the shipped one, and the setup."""

    baselines: tuple[ModelScore, ...]
    grid: tuple[ModelScore, ...]
    # Per grid entry: {"ease", "bm25", "content", "lam", "tail"} (Blend's fields).
    grid_settings: tuple[dict[str, Any], ...]
    shipped: int
    k: int
    seed: int
    holdout_fraction: float
    train_users: int
    held_out_users: int
    liked_rating: float
    tail_cutoff: int
    sample: dict[str, int] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    second_split: SecondSplit | None = None

    @property
    def blend(self) -> ModelScore:
        return self.grid[self.shipped]

    @property
    def blend_settings(self) -> dict[str, Any]:
        return self.grid_settings[self.shipped]

    @property
    def models(self) -> tuple[ModelScore, ...]:
        """Single signals then every blend, in table order."""
        return (*self.baselines, *self.grid)

    def table(self) -> str:
        return render_table(self.as_dict())

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form for the manifest and the model metadata."""
        low, high = self.blend.hr_interval
        setup = ("seed", "holdout_fraction", "train_users", "held_out_users", "liked_rating")
        return {
            "k": self.k,
            "ndcg_k": 10,
            **{name: getattr(self, name) for name in (*setup, "tail_cutoff")},
            "sample": {**self.sample, "hr_interval_width": round(high - low, 4)},
            "blend_weight": self.blend.name,
            "blend": self.blend_settings,
            "lambda": self.blend_settings["lam"],
            "selection_rule": SELECTION_RULE,
            "targets": {
                "hr_at_k": TARGET_HR,
                "tail_hr_at_k": TARGET_TAIL,
                "met": self.blend.hr_at_k >= TARGET_HR and self.blend.tail_hr_at_k >= TARGET_TAIL,
            },
            "models": {m.name: _score_dict(m) for m in self.baselines}
            | {BLEND: _score_dict(self.blend)},
            "blend_grid": [
                {"name": s.name, **settings, **_score_dict(s), "shipped": i == self.shipped}
                for i, (s, settings) in enumerate(zip(self.grid, self.grid_settings, strict=True))
            ],
            "second_split": (
                self.second_split.as_dict() if self.second_split is not None else None
            ),
            "parameters": self.parameters,
        }


def _score_dict(score: ModelScore) -> dict[str, Any]:
    values = {key: value for key, value in asdict(score).items() if key != "name"}
    return values | {"hr_interval": list(score.hr_interval)}


def _rows(evaluation: dict[str, Any]) -> list[tuple[str, dict[str, Any], bool]]:
    rows = [(name, values, False) for name, values in evaluation["models"].items() if name != BLEND]
    rows += [(entry["name"], entry, bool(entry["shipped"])) for entry in evaluation["blend_grid"]]
    return rows


def _header(evaluation: dict[str, Any]) -> str:
    k, sample, sampled = evaluation["k"], evaluation.get("sample"), ""
    if sample:
        low, high = evaluation["models"][BLEND]["hr_interval"]
        sampled = (
            f"; {sample['sampled_queries']} of {sample['held_out_queries']} queries "
            f"({sample['sampled_users']} users, at most {sample['max_queries']}; the shipped "
            f"blend's HR@{k} interval is {sample.get('hr_interval_width', high - low):.3f} wide)"
        )
    return (
        f"{evaluation['held_out_users']} held-out users ({evaluation['holdout_fraction']:.0%},"
        f" seed {evaluation['seed']}), models trained on the other "
        f"{evaluation['train_users']}{sampled}; liked = rated {evaluation['liked_rating']:g} "
        f"or more; tail = hits outside the {evaluation['tail_cutoff']} most-rated movies; "
        f"HR@{k} with its 95% bootstrap interval (users resampled)"
    )


def _cells(values: dict[str, Any]) -> list[str]:
    low, high = values["hr_interval"]
    rates = [f"{values[key]:.4f}" for key in ("tail_hr_at_k", "ndcg_at_10", "coverage")]
    return [f"{values['hr_at_k']:.4f}", f"{low:.3f}-{high:.3f}", *rates, str(values["queries"])]


def _checks(evaluation: dict[str, Any]) -> list[str]:
    """The series and taste sentences, when the run measured them."""
    series = evaluation.get("series")
    return (series_lines(series).splitlines() if series else []) + (
        [taste_lines(evaluation["taste"])] if evaluation.get("taste") else []
    )


def render_table(evaluation: dict[str, Any]) -> str:
    """The plain-text table the ETL prints, from the manifest's evaluation section."""
    table = [["model", *_columns(evaluation["k"])]] + [
        [f"{'* ' if shipped else ''}{name}", *_cells(values)]
        for name, values, shipped in _rows(evaluation)
    ]
    width = max(len(label) for label, *_ in table) + 2
    lines = [f"offline evaluation: {_header(evaluation)}", ""] + [
        f"{label:<{width}}"
        + "".join(f"  {c:>{w}}" for c, w in zip(cells, (6, 15, 11, 7, 8, 7), strict=True))
        for label, *cells in table
    ]
    lines += [
        "",
        f"* shipped: {evaluation['blend_weight']}",
        f"rule: {SELECTION_RULE}",
        _target_line(evaluation),
    ]
    extra = [_second_line(evaluation), lists_line(evaluation), *_checks(evaluation)]
    return "\n".join(lines + [line for line in extra if line])


def _columns(k: int) -> list[str]:
    return [f"HR@{k}", "95% interval", f"tail HR@{k}", "NDCG@10", "coverage", "queries"]


def lists_line(evaluation: dict[str, Any]) -> str:
    """The published lists' figures (recommender.coherence), when the run measured them."""
    lists = evaluation.get("lists")
    if not lists:
        return ""
    exposure = "; ".join(
        f"most frequent title {where}: {lists[key]['title']} in {lists[key]['share']:.1%}"
        for key, where in (
            ("max_exposure_all", "over every list"),
            ("max_exposure_most_rated", "over the 400 most-rated films' lists"),
        )
        if key in lists
    )
    return (
        f"published lists (first 5 of {lists['lists']}): kids' lists with an adult-rated "
        f"title {lists['kids_lists_with_adult']} of {lists['kids_lists']}, family lists "
        f"with one {lists['family_lists_with_adult']} of {lists['family_lists']}; "
        f"{exposure}; titles sharing a genre family with their query "
        f"{lists['genre_family_share']:.1%}"
    )


def _target_line(evaluation: dict[str, Any]) -> str:
    shipped = evaluation["models"][BLEND]
    verdict = "met" if evaluation["targets"]["met"] else "NOT met"
    return (
        f"targets HR@{evaluation['k']} >= {TARGET_HR:g} and tail >= {TARGET_TAIL:g} at once: "
        f"{verdict} (shipped {shipped['hr_at_k']:.4f} / {shipped['tail_hr_at_k']:.4f})"
    )


def _second_line(evaluation: dict[str, Any]) -> str:
    second = evaluation.get("second_split")
    if not second:
        return ""
    k = evaluation["k"]
    low, high = second["hr_interval"]
    met = second["hr_at_k"] >= TARGET_HR and second["tail_hr_at_k"] >= TARGET_TAIL
    return (
        f"second split (seed {second['seed']}, {second['held_out_users']} other held-out "
        f"users, models retrained, the same blend): HR@{k} {second['hr_at_k']:.4f} "
        f"({low:.3f}-{high:.3f}), tail HR@{k} {second['tail_hr_at_k']:.4f}, NDCG@10 "
        f"{second['ndcg_at_10']:.4f}, coverage {second['coverage']:.4f}, "
        f"{second['queries']} queries: targets {'met' if met else 'NOT met'}"
    )


def series_lines(series: dict[str, Any]) -> str:
    """The hand-made list's hit rate and the cold start, one line each."""
    known, cold = series["known_series"], series["cold_start"]
    verdict = "met" if known["hit_rate"] >= series["target_hit_rate"] else "NOT met"
    lines = [
        f"series: {known['hits']} of {known['films']} films of {known['series']} "
        f"hand-listed catalog series ({known['hit_rate']:.1%}) show another film of their "
        f"series in their first {known['k']} (target >= {series['target_hit_rate']:.0%}: "
        f"{verdict})"
    ]
    if "blend_with_series" in cold:
        plain, placed = cold["blend"], cold["blend_with_series"]
        lines.append(
            f"item cold start: {cold['hidden_films']} liked films with every rating hidden, "
            f"models retrained; a hidden film is back in the first {cold['k']} of a film its "
            f"viewer liked for {placed['cold_hr_at_k']:.4f} of (viewer, film) pairs "
            f"({placed['hr_interval'][0]:.4f}-{placed['hr_interval'][1]:.4f}; "
            f"{plain['cold_hr_at_k']:.4f} without the series step), "
            f"{cold['viewers']} viewers, {cold['queries']} (viewer, liked film) queries"
        )
    else:
        lines.append(f"item cold start: no film liked twice to hide ({cold['queries']} queries)")
    return "\n".join(lines)


def taste_lines(taste: dict[str, Any]) -> str:
    """The taste evaluation's arms (recommender.taste_eval)."""
    if not taste.get("users"):
        return "taste: no held-out user has enough liked films to score a taste"
    depth = taste["depth"]
    arms = [
        f"{name} HR@{depth} {taste[name]['hr_at_k']:.4f} / Recall@{depth} "
        f"{taste[name]['recall_at_k']:.4f}"
        for name in ("sparse fold-in", "exact EASE fold-in", "merged lists")
    ]
    return (
        f"taste ({taste['users']} held-out users, {taste['given']} liked films in, "
        f"{depth} out; sparse = the {taste['sparse_k']} largest weights of each row of B, "
        f"what the service sums): " + "; ".join(arms)
    )


def markdown_table(evaluation: dict[str, Any], *, source: str = "") -> str:
    """The evaluation table of docs/recommender.md, from a manifest's evaluation section."""
    lines = [
        f"Generated from {source or 'a run manifest'} by "
        "`python -m etl_job.recommender.readme_table`: " + _header(evaluation) + ".",
        "",
        "| " + " | ".join(["model", *_columns(evaluation["k"])]) + " |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, values, shipped in _rows(evaluation):
        cells = [name, *_cells(values)]
        if shipped:
            cells = [f"**{cell}**" for cell in cells[:5]] + cells[5:]
        lines.append("| " + " | ".join(cells) + " |")
    more = "".join(
        f" The {line}." for line in (_second_line(evaluation), lists_line(evaluation)) if line
    )
    lines += [
        "",
        f"Shipped (bold): {evaluation['blend_weight']}. Rule: {SELECTION_RULE}. "
        f"{_target_line(evaluation)}.{more}",
    ]
    extra = _checks(evaluation)
    if extra:
        lines += ["", *(f"{line[0].upper()}{line[1:]}." for line in extra)]
    return "\n".join(lines)


class BlendDominated(RuntimeError):
    """The shipped blend is no better than a single signal on either metric."""

    def __init__(self, report: EvaluationReport) -> None:
        self.report = report
        beaten_by = ", ".join(
            f"{b.name} (HR@{report.k} {b.hr_at_k:.4f} >= {report.blend.hr_at_k:.4f}, tail HR@"
            f"{report.k} {b.tail_hr_at_k:.4f} >= {report.blend.tail_hr_at_k:.4f})"
            for b in report.baselines
            if b.dominates(report.blend)
        )
        super().__init__(
            f"the blend ({report.blend.name}) is dominated by {beaten_by}; no blend tried beats "
            f"every single signal on HR@{report.k} or tail HR@{report.k}"
        )
