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
    return {
        name: min(names, key=lambda n: (-counts[n], n))
        for names in spellings.values()
        for name in names
    }


# Genre families: each platform genre (by genre_key) in one of a few families a viewer would
# name, so lists can be compared with their query's genre mix. Labels that name no kind of story
# (a language, a country, "independent", "tv shows") are in NO_FAMILY; a key in neither fails
# the test that reads every spelling of the platform files.
FAMILY_GENRES: dict[str, frozenset[str]] = {
    "family & animation": frozenset(
        {
            "animation",
            "adult animation",
            "anime",
            "anime feature",
            "anime sery",
            "cartoon",
            "children family",
            "family",
            "kid",
        }
    ),
    "comedy": frozenset(
        {
            "comedy",
            "parody",
            "sitcom",
            "sketch comedy",
            "stand up",
            "stand up comedy",
            "stand up comedy talk",
            "buddy",
            "romantic comedy",
        }
    ),
    "drama": frozenset(
        {
            "drama",
            "biographical",
            "coming of age",
            "historical",
            "medical",
            "soap opera melodrama",
            "faith spirituality",
            "anthology",
        }
    ),
    "action & adventure": frozenset(
        {
            "action",
            "action adventure",
            "adventure",
            "military war",
            "spy espionage",
            "superhero",
            "survival",
            "western",
            "disaster",
            "sport",
        }
    ),
    "crime, thriller & horror": frozenset(
        {"crime", "horror", "mystery", "police cop", "suspense", "thriller"}
    ),
    "sci-fi & fantasy": frozenset({"fantasy", "sci fi fantasy", "science fiction"}),
    "documentary": frozenset(
        {
            "documentary",
            "docusery",
            "animal nature",
            "history",
            "new",
            "science nature",
            "science technology",
            "special interest",
            "art",
            "culture",
            "lifestyle",
            "lifestyle culture",
            "cooking food",
            "fitness",
            "health wellness",
            "travel",
        }
    ),
    "romance": frozenset({"romance", "romantic"}),
    "music & performance": frozenset(
        {"music", "music musical", "musical", "music video concert", "concert", "dance"}
    ),
    "reality & talk": frozenset(
        {
            "reality",
            "unscripted",
            "game",
            "game competition",
            "talk",
            "talk variety",
            "variety",
            "late night",
            "entertainment",
        }
    ),
}
NO_FAMILY = frozenset(
    {
        "international",
        "independent",
        "tv shows",
        "movies",
        "sery",
        "british",
        "korean",
        "spanish language",
        "latino",
        "black story",
        "lgbtq",
        "classic",
        "classic cult",
        "cult",
        "arthouse",
        "young adult audience",
        "teen",
    }
)
_FAMILY_OF = {key: family for family, keys in FAMILY_GENRES.items() for key in keys}


def genre_family(genre: str) -> str | None:
    """The family of one platform genre name ('comedies', 'Stand-Up Comedy' -> 'comedy');
    None for a label that names no kind of story; KeyError for a name never placed."""
    key = genre_key(genre)
    return None if key in NO_FAMILY else _FAMILY_OF[key]


def genre_families(listed_in: str | None) -> frozenset[str]:
    """The families of a comma-separated `listed_in` (unplaced names count as none)."""
    names = [name for name in (listed_in or "").split(",") if name.strip()]
    return frozenset(f for f in (_FAMILY_OF.get(genre_key(n)) for n in names) if f)
