"""Age bands: the platforms' maturity ratings folded into kids / family / teen / adult / unknown.

One mapping for every part: the ETL writes each title's band (catalog column `age_band`), the
recommender keeps adult titles off kids' and family lists, the services filter on `max_age`,
the EDA report shows the mapping. Spellings are the four files' own, lowercased.
"""

from enum import StrEnum
from typing import Final


class AgeBand(StrEnum):
    """Who a title is for, youngest first; `unknown` when the platform gave no rating."""

    KIDS = "kids"
    FAMILY = "family"
    TEEN = "teen"
    ADULT = "adult"
    UNKNOWN = "unknown"


class MaxAge(StrEnum):
    """The oldest band a `max_age` filter lets through (unknown is no age: only `adult`)."""

    KIDS = "kids"
    FAMILY = "family"
    TEEN = "teen"
    ADULT = "adult"


# The bands a `max_age` filter may name, youngest first.
ORDERED_BANDS: Final = (AgeBand.KIDS, AgeBand.FAMILY, AgeBand.TEEN, AgeBand.ADULT)

# Every rating spelling of the four platform files (lowercased), by band. US film (MPAA) and TV
# Parental Guidelines ratings, and Amazon's age labels ("13+", "ages_16_").
RATING_BANDS: Final[dict[str, AgeBand]] = {
    # General audiences and the TV ratings written for children.
    "g": AgeBand.KIDS,
    "tv-y": AgeBand.KIDS,
    "tv-y7": AgeBand.KIDS,
    "tv-y7-fv": AgeBand.KIDS,
    "tv-g": AgeBand.KIDS,
    "all": AgeBand.KIDS,
    "all_ages": AgeBand.KIDS,
    # Parental guidance suggested: watched by children with their family.
    "pg": AgeBand.FAMILY,
    "tv-pg": AgeBand.FAMILY,
    "7+": AgeBand.FAMILY,
    "pg-13": AgeBand.TEEN,
    "tv-14": AgeBand.TEEN,
    "13+": AgeBand.TEEN,
    "16+": AgeBand.TEEN,
    "16": AgeBand.TEEN,
    "ages_16_": AgeBand.TEEN,
    "r": AgeBand.ADULT,
    "nc-17": AgeBand.ADULT,
    "tv-ma": AgeBand.ADULT,
    "18+": AgeBand.ADULT,
    "ages_18_": AgeBand.ADULT,
    # Not rated: nothing is known about the audience.
    "nr": AgeBand.UNKNOWN,
    "tv-nr": AgeBand.UNKNOWN,
    "unrated": AgeBand.UNKNOWN,
    "not_rate": AgeBand.UNKNOWN,
    "not rated": AgeBand.UNKNOWN,
    "ur": AgeBand.UNKNOWN,
}

# What a list for a title of each band may hold. A kids' title gets kids' and family titles
# only (not even unrated ones: an unrated title may be anything); a family title everything but
# adult-rated titles (measured: see docs/recommender.md); the others any title.
SUITED: Final[dict[AgeBand, frozenset[AgeBand]]] = {
    AgeBand.KIDS: frozenset({AgeBand.KIDS, AgeBand.FAMILY}),
    AgeBand.FAMILY: frozenset({AgeBand.KIDS, AgeBand.FAMILY, AgeBand.TEEN, AgeBand.UNKNOWN}),
    AgeBand.TEEN: frozenset(AgeBand),
    AgeBand.ADULT: frozenset(AgeBand),
    AgeBand.UNKNOWN: frozenset(AgeBand),
}


def age_band(rating: str | None) -> AgeBand:
    """The band of a maturity rating as a platform file spells it (any case); unknown for an
    empty one. An unmapped spelling raises KeyError: a new spelling must be placed by a person."""
    if rating is None or not rating.strip():
        return AgeBand.UNKNOWN
    return RATING_BANDS[rating.strip().lower()]


def within(band: AgeBand | str | None, max_age: AgeBand | MaxAge | str) -> bool:
    """Whether a title of `band` passes the filter `max_age` (unknown, or a list published
    without bands, passes only `adult`)."""
    limit = ORDERED_BANDS.index(AgeBand(max_age))
    if band is None or AgeBand(band) is AgeBand.UNKNOWN:
        return limit == len(ORDERED_BANDS) - 1
    return ORDERED_BANDS.index(AgeBand(band)) <= limit
