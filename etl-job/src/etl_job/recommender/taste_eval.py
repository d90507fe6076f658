"""The taste evaluation: the sparse fold-in the service ranks with, beside the exact EASE
fold-in and the merge of the liked films' shipped lists, on held-out users."""

from typing import Any

import numpy as np
import polars as pl
from contracts.redis_layout import TOP_NEIGHBOURS

from etl_job.recommender.blend import Blend
from etl_job.recommender.ease import EaseModel
from etl_job.recommender.evaluate import make_split, retrained_lists
from etl_job.recommender.movies import MovieIndex, RatedMatrix, index_movies
from etl_job.recommender.taste import TASTE_K, fold_in, sparse_rows

TASTE_LIKED = 5
TASTE_DEPTH = 10


def taste_evaluation(
    *,
    model: EaseModel,
    index: MovieIndex,
    liked: pl.DataFrame,
    lists: pl.DataFrame,
    seed: int,
    k: int = TASTE_K,
    given: int = TASTE_LIKED,
    depth: int = TASTE_DEPTH,
) -> dict[str, Any]:
    """HR@depth and Recall@depth of the exact fold-in, the sparse one and the merged `lists`:
    users with more than `given` liked films (user_id, row) the model knows give `given` of
    them (seeded) and are scored on the others."""
    groups = index.groups[model.movies]
    rng = np.random.default_rng(seed)
    cases = []
    for (_,), films in liked.sort("user_id").group_by("user_id", maintain_order=True):
        known = np.unique(model.columns_of(films["row"].to_numpy()))
        known = known[known >= 0]
        if len(known) <= given:
            continue
        chosen = rng.choice(known, size=given, replace=False)
        cases.append((chosen, set(groups[np.setdiff1d(known, chosen)].tolist())))
    result: dict[str, Any] = {"users": len(cases), "given": given, "depth": depth, "sparse_k": k}
    if not cases:
        return result
    per_query = {
        q: list(zip(g["neighbour"].to_list(), g["score"].to_list(), strict=True))
        for (q,), g in lists.group_by("query", maintain_order=True)
    }
    folded = {
        "exact EASE fold-in": model.weights,
        "sparse fold-in": sparse_rows(model.weights, groups=groups, k=k),
    }

    def ranked(name: str, chosen: np.ndarray) -> list[int]:
        if name in folded:
            return groups[fold_in(folded[name], liked=chosen, groups=groups, depth=depth)].tolist()
        # What the route did before: each film's summed score over the liked films' lists.
        liked_rows = model.movies[chosen]
        own = set(index.groups[liked_rows].tolist())
        totals: dict[int, float] = {}
        for query in liked_rows.tolist():
            for neighbour, score in per_query.get(query, []):
                if (film := int(index.groups[neighbour])) not in own:
                    totals[film] = totals.get(film, 0.0) + score
        return sorted(totals, key=lambda film: -totals[film])[:depth]

    for name in (*folded, "merged lists"):
        hits = [len(set(ranked(name, chosen)) & wanted) for chosen, wanted in cases]
        recall = [h / min(depth, len(wanted)) for h, (_, wanted) in zip(hits, cases, strict=True)]
        result[name] = {
            "hr_at_k": round(float(np.mean([h > 0 for h in hits])), 4),
            "recall_at_k": round(float(np.mean(recall)), 4),
        }
    return result


def taste_on_split(
    *, catalog: pl.DataFrame, ratings: RatedMatrix, blend: Blend, seed: int
) -> dict[str, Any]:
    """taste_evaluation on the offline evaluation's split (same seed, same held-out users):
    EASE at the blend's λ and the blend's lists trained again on its training users."""
    index = index_movies(catalog=catalog)
    split = make_split(index=index, rated=ratings, seed=seed)
    shipped, model = retrained_lists(index=index, split=split, blend=blend, depth=TOP_NEIGHBOURS)
    if model is None:
        return {"users": 0}
    return {
        "seed": seed,
        **taste_evaluation(model=model, index=index, liked=split.liked, lists=shipped, seed=seed),
    }
