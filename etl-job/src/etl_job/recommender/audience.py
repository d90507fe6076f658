"""Lists fit for the title's audience: no adult-rated title on a kids' or family title's list.

A separate step over candidate frames, applied before lists are cut, so every other rule
composes with it.
"""

import numpy as np
import polars as pl
from contracts.audience import RATING_BANDS, SUITED, AgeBand

from etl_job.recommender.movies import MovieIndex

BANDS: tuple[AgeBand, ...] = tuple(AgeBand)
# ALLOWED[q, n]: a title of band BANDS[n] may be on the list of a title of band BANDS[q].
ALLOWED = np.array([[n in SUITED[q] for n in BANDS] for q in BANDS], dtype=bool)


def row_bands(index: MovieIndex) -> np.ndarray:
    """Each row's position in BANDS: from `age_band`, else `rating` (older frames), else
    unknown."""
    movies = index.movies
    if "age_band" in movies.columns:
        names = movies["age_band"]
    elif "rating" in movies.columns:
        spelled = {spelling: band.value for spelling, band in RATING_BANDS.items()}
        names = movies["rating"].str.to_lowercase().replace_strict(spelled, default=None)
    else:
        names = pl.Series([None] * movies.height, dtype=pl.String)
    position = {band.value: code for code, band in enumerate(BANDS)}
    unknown = BANDS.index(AgeBand.UNKNOWN)
    codes = names.replace_strict(position, default=unknown, return_dtype=pl.Int8)
    return codes.fill_null(unknown).to_numpy().copy()


def suited(pairs: pl.DataFrame, *, bands: np.ndarray) -> pl.DataFrame:
    """The rows of a query/neighbour frame whose neighbour suits the query's audience."""
    keep = ALLOWED[bands[pairs["query"].to_numpy()], bands[pairs["neighbour"].to_numpy()]]
    return pairs.filter(pl.Series(keep))


def suited_ids(lists: pl.DataFrame, *, index: MovieIndex, bands: np.ndarray) -> pl.DataFrame:
    """`suited` over a movie_id/neighbour_id frame (ids not in `index` are kept: their audience
    is decided where they are indexed)."""
    coded = index.coded(lists)
    known = coded["query"].is_not_null() & coded["neighbour"].is_not_null()
    keep = np.ones(coded.height, dtype=bool)
    mask = known.to_numpy()
    keep[mask] = ALLOWED[
        bands[coded["query"].to_numpy()[mask]], bands[coded["neighbour"].to_numpy()[mask]]
    ]
    return lists.filter(pl.Series(keep))
