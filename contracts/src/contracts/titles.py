"""Title normalisation: the one rule every part uses to compare titles."""

import functools
import re
import unicodedata

_APOSTROPHES = re.compile(r"['\u2019\u2018`]")
_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")


# Pure and called for every neighbour of every recommendation answer (about 20 a request),
# over a catalog of some 20k titles: remembered, it costs a dict lookup.
@functools.lru_cache(maxsize=65_536)
def normalise_title(title: str) -> str:
    """Fold case, accents, punctuation and spaces: 'Amélie!!' -> 'amelie'."""
    decomposed = unicodedata.normalize("NFKD", title)
    no_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    no_apostrophes = _APOSTROPHES.sub("", no_accents.casefold())
    no_punct = _NON_WORD.sub(" ", no_apostrophes).replace("_", " ")
    return _SPACES.sub(" ", no_punct).strip()


def film_key(title: str, release_year: int | None, kind: str) -> str:
    """One film (or show): same normalised title, release year and type.

    The same film is often listed on several platforms under one title and year; two films
    sharing a title (les miserables 2012 and 2020) differ by year, a movie and a show by type.
    """
    return f"{kind}|{release_year if release_year is not None else ''}|{normalise_title(title)}"
