"""Genre names compared across platforms: 'dramas' (netflix) and 'drama' (amazon) are one genre.

Used by the recommender (shared genres), the EDA report (the genre heatmap) and the benchmark's
generator, so all three fold the platforms' spellings the same way.
"""

import re
from collections.abc import Mapping

# Words platforms add to genre names without naming a genre ("dramas" vs "drama movies").
GENRE_FILLER = frozenset({"movies", "movie", "films", "film", "and", "tv", "shows", "show"})
WORD = re.compile(r"[a-z0-9]+")


def stem_word(word: str) -> str:
    """Fold the plurals platforms disagree on: 'dramas' -> 'drama', 'comedies' -> 'comedy'."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def genre_words(genre: str) -> list[str]:
    """The words that name the genre: lowercase, filler dropped, plurals folded."""
    return [stem_word(w) for w in WORD.findall(genre.lower()) if w not in GENRE_FILLER]


def genre_key(genre: str) -> str:
    """One comparable key per genre name, so 'dramas' on one platform matches 'drama' on another."""
    return " ".join(genre_words(genre)) or genre.strip().lower()


def genre_display(counts: Mapping[str, int]) -> dict[str, str]:
    """Each spelling -> the one that names its genre (the most used of the spellings sharing its
    key, the alphabetically first on a tie); `counts` is how often each spelling is used."""
    spellings: dict[str, list[str]] = {}
    for name in counts:
        spellings.setdefault(genre_key(name), []).append(name)
    return {name: min(names, key=lambda n: (-counts[n], n))
            for names in spellings.values() for name in names}
