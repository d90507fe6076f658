"""The catalog queries, each answered from the precomputed index."""

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Mapping
from dataclasses import asdict

from cachetools import LRUCache
from contracts.api import TitleHit
from contracts.domain import ContentKind, DurationType, Platform
from contracts.errors import NotFound, echo
from contracts.titles import normalise_title
from rapidfuzz import fuzz, process

from catalog_service.index import CatalogIndex

# Below this similarity (0-100) a title is too far from the query to suggest.
SEARCH_MIN_SCORE = 50.0
# The longest catalog title has 98 characters: past this a query cannot be a title, and
# scoring all of a 200-character one cost twice as much for nothing.
SEARCH_MAX_CHARS = 100
# Titles holding every word of the query score from here up to 100 (100 = the same title).
CONTAINS_ALL_WORDS_SCORE = 90.0
# Titles starting with what was typed ("toy sto" -> "toy story") score from here up to 100.
STARTS_WITH_SCORE = 95.0


def longest_movie(
    *,
    index: CatalogIndex,
    year: int | None,
    platform: Platform | None,
    duration_type: DurationType | None,
) -> str:
    """Title of the longest movie under the optional filters, ties to the first title."""
    title = index.longest_movie.get((year, platform, duration_type))
    if title is None:
        filters = {"year": year, "platform": platform, "duration_type": duration_type}
        given = ", ".join(f"{name}={value}" for name, value in filters.items() if value is not None)
        raise NotFound(f"No movie with a duration matches {given or 'no filters'}.")
    return title


def count_scored_movies(*, index: CatalogIndex, platform: Platform, scored: int, year: int) -> int:
    """Number of the platform's movies released in `year` with a score above `scored`."""
    scores = index.movie_scores.get((platform.value, year), [])
    return len(scores) - bisect_right(scores, scored)


def count_platform_movies(*, index: CatalogIndex, platform: Platform) -> int:
    """Number of movies on the platform."""
    return index.movies_per_platform.get(platform.value, 0)


def top_cast_name(*, index: CatalogIndex, platform: Platform, year: int) -> str:
    """The name listed most often in the casts of the platform's titles of `year`."""
    name = index.top_cast.get((platform.value, year))
    if name is None:
        raise NotFound(f"No {platform.value} title released in {year} lists a cast.")
    return name


def count_country_production(
    *, index: CatalogIndex, kind: ContentKind, country: str, year: int
) -> int:
    """Number of titles of `kind` released in `year` that list `country`."""
    if country not in index.countries:
        raise NotFound(
            f"Country {echo(country)} does not appear in the catalog.", parameter="country"
        )
    return index.country_production.get((kind, country, year), 0)


def count_rated_titles(*, index: CatalogIndex, rating: str) -> int:
    """Number of titles of any type and platform with that maturity rating."""
    count = index.titles_per_rating.get(rating)
    if count is None:
        accepted = sorted(index.titles_per_rating)
        detail = f"Rating {echo(rating)} does not appear in the catalog."
        # A '+' typed into a URL arrives as a space, which the parameter trims away.
        suggestions = [f"{rating}+"] if f"{rating}+" in index.titles_per_rating else None
        if suggestions:
            detail += f" Did you mean {suggestions[0]!r}? Write '+' in a URL as %2B."
        raise NotFound(detail, parameter="rating", accepted=accepted, suggestions=suggestions)
    return count


def title_record(*, index: CatalogIndex, title_id: str) -> bytes:
    """The full catalog record of one title id as its JSON answer (ids are lowercase)."""
    record = index.records.json(title_id.strip().lower())
    if record is None:
        raise NotFound(f"No title with id {echo(title_id)} in the catalog.", parameter="id")
    return record


# (data version, normalised query, limit, platforms): a new ETL run's answers never mix in.
SearchKey = tuple[str, str, int, frozenset[str] | None]


class SearchCache:
    """Search answers kept for repeated questions, least recently used out first.

    The search route runs in FastAPI's thread pool, so many threads share one cache; every
    read and write holds the lock (an LRU read reorders the entries, so reads write too).
    The scan itself runs outside it: two threads asking the same new question both scan,
    and neither waits for the other.
    """

    def __init__(self, max_entries: int) -> None:
        self._hits: LRUCache[SearchKey, list[TitleHit]] = LRUCache(maxsize=max_entries)
        self._lock = threading.Lock()

    def get(self, key: SearchKey) -> list[TitleHit] | None:
        with self._lock:
            return self._hits.get(key)

    def put(self, key: SearchKey, hits: list[TitleHit]) -> None:
        with self._lock:
            self._hits[key] = hits

    def __len__(self) -> int:
        with self._lock:
            return len(self._hits)


def search_titles(
    *,
    index: CatalogIndex,
    query: str,
    limit: int,
    platforms: Collection[Platform] | None = None,
    cache: SearchCache | None = None,
) -> list[TitleHit]:
    """Films and shows whose normalised title is closest to the query's, best first, one hit
    per film (a title two films share gives two hits), only those on `platforms` if given.

    The fuzzy scan is the catalog's most expensive answer (an unknown title's suggestions), so
    its cost is bounded: the query is cut to SEARCH_MAX_CHARS (longer than any title), and
    answers are kept per data version in `cache` for repeated questions.
    """
    normalised = normalise_title(query)[:SEARCH_MAX_CHARS].strip()
    if not normalised:
        return []  # no letter or digit: the route refuses it first (contracts.domain.TitleText)
    allowed = frozenset(p.value for p in platforms) if platforms else None
    key = (index.data_version, normalised, limit, allowed)
    kept = cache.get(key) if cache is not None else None
    if kept is not None:
        return kept
    hits = _search(index=index, normalised=normalised, limit=limit, allowed=allowed)
    if cache is not None:
        cache.put(key, hits)
    return hits


def _search(
    *, index: CatalogIndex, normalised: str, limit: int, allowed: frozenset[str] | None
) -> list[TitleHit]:
    positions = (
        frozenset().union(*(index.search_platforms.get(p, frozenset()) for p in allowed))
        if allowed
        else None
    )
    choices: Mapping[int, str] | list[str] = (
        index.search_choices
        if positions is None
        else {position: index.search_choices[position] for position in sorted(positions)}
    )
    scores = {
        position: score
        for _, score, position in process.extract(
            normalised,
            choices,
            # Plain Indel similarity of whole titles: ~2 ms over 16k titles and good at
            # typos; WRatio took ~35 ms and ranked long titles that merely contain "the" first.
            scorer=fuzz.ratio,
            processor=None,
            limit=limit,
            score_cutoff=SEARCH_MIN_SCORE,
        )
    }

    def raise_to(floor: float, candidates: Collection[int]) -> None:
        """Score the `limit` closest candidates from `floor` up to 100 (kept if higher)."""
        among = {position: index.search_choices[position] for position in sorted(candidates)}
        for _, similarity, position in process.extract(
            normalised, among, scorer=fuzz.ratio, processor=None, limit=limit
        ):
            raised = floor + similarity * (100 - floor) / 100
            scores[position] = max(raised, scores.get(position, 0.0))

    # A title holding every word of the query ("star wars" -> "star wars the last jedi")
    # is a better suggestion than a short look-alike ("dark waters"), whatever its length.
    found = sorted((index.search_words.get(w, frozenset()) for w in normalised.split()), key=len)
    holding = found[0].intersection(*found[1:]) if found else frozenset()
    raise_to(CONTAINS_ALL_WORDS_SCORE, holding if positions is None else holding & positions)
    # As you type: the titles starting with the text so far, a range of the sorted choices.
    starts = range(
        bisect_left(index.search_choices, normalised),
        bisect_left(index.search_choices, normalised + "\uffff"),
    )
    raise_to(STARTS_WITH_SCORE, [p for p in starts if positions is None or p in positions])
    hits: list[TitleHit] = []
    for position, score in sorted(scores.items(), key=lambda item: (-item[1], item[0])):
        for entry in index.search_films[position]:
            if allowed is None or allowed.intersection(entry.available_on):
                fields = asdict(entry) | {"display_title": entry.display_title or entry.title}
                hits.append(TitleHit(**fields, similarity=round(score / 100, 4)))
        if len(hits) >= limit:
            break
    return hits[:limit]
