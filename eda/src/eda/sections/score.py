"""The score column: its distribution, what it follows, and whether it is a rating or noise."""

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats

from eda.data import PLATFORMS, RunData
from eda.model import Figure, Section
from eda.plots import NEUTRAL, PLATFORM_COLOURS, new_figure, no_data, per_platform_figure, png_bytes

BIN_EDGES = np.arange(0.5, 101, 10)  # ten equal bins of ten scores each: 1-10 ... 91-100
MIN_FOR_TEST = 5 * (len(BIN_EDGES) - 1)  # chi-square wants about 5 expected per bin
ALPHA = 0.05
MIN_USER_RATINGS = 5  # a title's mean user rating is too noisy below this
WEAK = 0.1  # |rho| below this is no relation worth the name


@dataclass(frozen=True)
class Correlation:
    """Spearman rank correlation of two columns over `n` titles."""

    rho: float
    p: float
    n: int

    def text(self) -> str:
        return f"Spearman rho = {self.rho:+.3f} (p = {self.p:.3g}, n = {self.n:,})"


def spearman(frame: pl.DataFrame, x: str, y: str) -> Correlation | None:
    """Rank correlation of x and y over rows with both; None when it cannot be computed."""
    pairs = frame.select(x, y).drop_nulls()
    if pairs.height < 3 or pairs[x].n_unique() < 2 or pairs[y].n_unique() < 2:
        return None
    result = stats.spearmanr(pairs[x].to_numpy(), pairs[y].to_numpy())
    return Correlation(rho=float(result.statistic), p=float(result.pvalue), n=pairs.height)


def _relation(correlation: Correlation | None, what: str) -> str:
    if correlation is None:
        return f"Too few titles to relate the score to {what}."
    if correlation.p >= ALPHA:
        return (
            f"{correlation.text()}: not significant at {ALPHA:.0%}, no evidence of a "
            f"relation between the score and {what}."
        )
    if abs(correlation.rho) < WEAK:
        return (
            f"{correlation.text()}: significant but negligible, no relation worth the name "
            f"between the score and {what}."
        )
    direction = "higher" if correlation.rho > 0 else "lower"
    return f"{correlation.text()}: titles with a higher {what} tend to have a {direction} score."


def score_section(run: RunData) -> Section:
    """Figures of the score and a verdict with the test statistic."""
    from_file = run.catalog.filter(pl.col("score_source") == "file")
    section = Section(
        slug="score",
        title="The score column",
        intro="`score` (0-100) comes with the source files; where a file has no "
        "score column the ETL derives it from the user ratings (mean x 20), "
        "so the tests below use the file scores only "
        f"({from_file['score'].drop_nulls().len():,} titles).",
    )
    user = from_file.filter(pl.col("rating_count") >= MIN_USER_RATINGS)
    with_user = spearman(user, "score", "avg_rating")
    section.notes.append(verdict(from_file["score"], with_user))
    section.figures += [
        distribution(from_file),
        versus(from_file, "release_year", "score_vs_year", "release year"),
        versus(
            from_file.filter(pl.col("type") == "movie").filter(pl.col("duration_type") == "min"),
            "duration_int",
            "score_vs_duration",
            "movie minutes",
        ),
        versus(
            user,
            "avg_rating",
            "score_vs_user_rating",
            f"mean user rating (titles with {MIN_USER_RATINGS}+ ratings)",
        ),
    ]
    return section


def uniformity(scores: pl.Series) -> tuple[float, float, int] | None:
    """(chi-square, p, n) of the scores against a uniform 1-100 in ten equal bins."""
    values = scores.drop_nulls().to_numpy()
    if len(values) < MIN_FOR_TEST:
        return None
    observed, _ = np.histogram(values, bins=BIN_EDGES)
    result = stats.chisquare(observed)
    return float(result.statistic), float(result.pvalue), len(values)


def verdict(scores: pl.Series, with_user: Correlation | None) -> str:
    """One paragraph: real rating or uniform noise, with the statistic it rests on."""
    test = uniformity(scores)
    if test is None:
        return (
            f"Verdict: none — only {scores.drop_nulls().len()} file scores, fewer than the "
            f"{MIN_FOR_TEST} a chi-square test over ten bins needs."
        )
    chi2, p, n = test
    statistic = (
        f"chi-square goodness of fit to a uniform 1-100 over ten equal bins: "
        f"χ² = {chi2:.2f} with {len(BIN_EDGES) - 2} degrees of freedom, p = {p:.3g}, "
        f"n = {n:,}"
    )
    users = (
        ""
        if with_user is None
        else f" Against the mean MovieLens rating of the same titles: {with_user.text()}."
    )
    if p >= ALPHA:
        tail = (
            " A real rating would follow what viewers think; this one does not."
            if with_user is not None and (with_user.p >= ALPHA or abs(with_user.rho) < WEAK)
            else ""
        )
        return (
            f"Verdict: the score behaves like uniform noise. Its distribution cannot be "
            f"told from a uniform one ({statistic}).{users}{tail}"
        )
    return (
        f"Verdict: the score is not uniform ({statistic}): it has a shape, as a real "
        f"rating would.{users}"
    )


def distribution(frame: pl.DataFrame) -> Figure:
    figure, panels = per_platform_figure()
    for platform, axes in panels.items():
        values = frame.filter(pl.col("platform") == platform)["score"].drop_nulls().to_list()
        if not values:
            no_data(axes, "no file scores")
            continue
        axes.hist(values, bins=BIN_EDGES.tolist(), color=PLATFORM_COLOURS[platform], alpha=0.8)
        axes.axhline(
            len(values) / (len(BIN_EDGES) - 1), color=NEUTRAL, linestyle="--", label="uniform"
        )
        axes.legend(fontsize=7)
    for platform in PLATFORMS[2:]:  # the bottom row; the top row shares its x axis
        panels[platform].set_xlabel("score")
    per_platform = []
    for platform in PLATFORMS:
        test = uniformity(frame.filter(pl.col("platform") == platform)["score"])
        if test is not None:
            per_platform.append(f"{platform} χ² = {test[0]:.1f}, p = {test[1]:.2g}")
    finding = (
        "Per platform against a uniform 1-100: " + "; ".join(per_platform) + "."
        if per_platform
        else "Too few file scores on any platform for a test."
    )
    return Figure(
        slug="score_distribution",
        title="Score distribution per platform",
        caption="Histogram of the file scores in ten bins per platform; the dashed "
        "line is what a uniform score would give.",
        finding=finding,
        png=png_bytes(figure),
    )


def versus(frame: pl.DataFrame, column: str, slug: str, what: str) -> Figure:
    pairs = frame.select(column, "score").drop_nulls()
    figure, (axes,) = new_figure(height=3.8)
    if pairs.height:
        points = pairs[column].to_numpy(), pairs["score"].to_numpy()
        if pairs.height > 2000:
            axes.hexbin(*points, gridsize=40, cmap="Greys", mincnt=1)
        else:
            axes.scatter(*points, s=10, alpha=0.5, color=NEUTRAL)
        # Tenths by rank (equal values share a tenth), so each point on the line is a mean
        # over about a tenth of the titles.
        tenth = (pl.col(column).rank("min") - 1) * 10 // pl.len()
        binned = (
            pairs.with_columns(bin=tenth)
            .group_by("bin")
            .agg(pl.col(column).median(), pl.col("score").mean())
            .sort(column)
        )
        x, y = binned[column].to_list(), binned["score"].to_list()
        axes.plot(x, y, color="#D55E00", marker="o", label="mean score per decile")
        axes.legend(fontsize=8)
        axes.set_xlabel(what)
        axes.set_ylabel("score")
    else:
        no_data(axes)
    return Figure(
        slug=slug,
        title=f"Score against {what}",
        caption=f"Each title's file score against its {what}; the line is the mean "
        "score in each tenth of the x axis.",
        finding=_relation(spearman(frame, column, "score"), what),
        png=png_bytes(figure),
    )
