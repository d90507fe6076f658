"""The offline evaluation's result: per-model hit rates, rendered as a table or a JSON-able dict."""

from dataclasses import asdict, dataclass, field
from typing import Any

POPULARITY = "popularity"
CONTENT = "content only"
COLLABORATIVE = "collaborative only"
BLEND = "blend"


@dataclass(frozen=True)
class ModelScore:
    """HR@k and tail HR@k of one model over the held-out queries."""

    name: str
    hr_at_k: float
    tail_hr_at_k: float
    queries: int
    distinct_recommended: int

    def dominates(self, other: "ModelScore") -> bool:
        """Equal or better than `other` on both HR@k and tail HR@k."""
        return self.hr_at_k >= other.hr_at_k and self.tail_hr_at_k >= other.tail_hr_at_k


@dataclass(frozen=True)
class EvaluationReport:
    """Scores of the baselines and the shipped blend, the weights tried, and the setup."""

    baselines: tuple[ModelScore, ...]
    blend: ModelScore
    blend_weight: float
    grid: dict[float, ModelScore]
    k: int
    seed: int
    holdout_fraction: float
    train_users: int
    held_out_users: int
    liked_rating: float
    tail_cutoff: int
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def models(self) -> tuple[ModelScore, ...]:
        """Baselines then the shipped blend, in table order."""
        return (*self.baselines, self.blend)

    def dominating_baselines(self) -> list[ModelScore]:
        """The single-signal baselines that are equal or better than the blend on both metrics."""
        return [b for b in self.baselines if b.dominates(self.blend)]

    def table(self) -> str:
        """Plain-text table of the models, then the blend weights tried."""
        k = self.k
        header = (f"offline evaluation: {self.held_out_users} held-out users "
                  f"({self.holdout_fraction:.0%}, seed {self.seed}), models trained on the other "
                  f"{self.train_users}\nliked = rated {self.liked_rating:g} or more; tail = hits "
                  f"outside the {self.tail_cutoff} most-rated movies only")
        names = [self._label(m) for m in self.models]
        width = max(len(n) for n in [*names, "model"])
        lines = [header, "",
                 f"{'model':<{width}}  {f'HR@{k}':>7}  {f'tail HR@{k}':>11}  {'queries':>8}  "
                 f"{'distinct movies':>15}"]
        for name, model in zip(names, self.models, strict=True):
            lines.append(f"{name:<{width}}  {model.hr_at_k:>7.4f}  {model.tail_hr_at_k:>11.4f}  "
                         f"{model.queries:>8d}  {model.distinct_recommended:>15d}")
        tried = ", ".join(f"{w:g}: {s.hr_at_k:.4f}/{s.tail_hr_at_k:.4f}"
                          for w, s in sorted(self.grid.items()))
        lines += ["", f"blend weights tried (HR@{k}/tail HR@{k}): {tried}"]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form for the manifest and the model metadata."""
        return {
            "k": self.k,
            "seed": self.seed,
            "holdout_fraction": self.holdout_fraction,
            "train_users": self.train_users,
            "held_out_users": self.held_out_users,
            "liked_rating": self.liked_rating,
            "tail_cutoff": self.tail_cutoff,
            "blend_weight": self.blend_weight,
            "models": {m.name: _score_dict(m) for m in self.models},
            "blend_grid": [{"weight": w, **_score_dict(s)} for w, s in sorted(self.grid.items())],
            "parameters": self.parameters,
        }

    def _label(self, model: ModelScore) -> str:
        return f"{BLEND} (weight {self.blend_weight:g})" if model is self.blend else model.name


def _score_dict(score: ModelScore) -> dict[str, Any]:
    values = asdict(score)
    values.pop("name")
    return values


class BlendDominated(RuntimeError):
    """The shipped blend is no better than a single signal on either metric."""

    def __init__(self, report: EvaluationReport) -> None:
        self.report = report
        beaten_by = ", ".join(
            f"{b.name} (HR@{report.k} {b.hr_at_k:.4f} >= {report.blend.hr_at_k:.4f}, tail HR@"
            f"{report.k} {b.tail_hr_at_k:.4f} >= {report.blend.tail_hr_at_k:.4f})"
            for b in report.dominating_baselines())
        super().__init__(f"the blend (weight {report.blend_weight:g}) is dominated by "
                         f"{beaten_by}; at no weight tried does it beat every single-signal "
                         f"baseline on HR@{report.k} or tail HR@{report.k}")
