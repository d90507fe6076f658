"""Title normalisation: the one rule every part uses to compare titles."""

import re
import unicodedata

_APOSTROPHES = re.compile(r"['\u2019\u2018`]")
_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")


def normalise_title(title: str) -> str:
    """Fold case, accents, punctuation and spaces: 'Amélie!!' -> 'amelie'."""
    decomposed = unicodedata.normalize("NFKD", title)
    no_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    no_apostrophes = _APOSTROPHES.sub("", no_accents.casefold())
    no_punct = _NON_WORD.sub(" ", no_apostrophes).replace("_", " ")
    return _SPACES.sub(" ", no_punct).strip()
