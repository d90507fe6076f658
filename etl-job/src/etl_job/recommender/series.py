"""Series found in the catalog itself, and the next entry of a series placed in every list.

Two films of one type are entries of one series when one title extends the other (or both one
base) by a number, a roman numeral or a subtitle, and they share a director or a cast member
(`frozen planet` extends `frozen` with nobody in common). place_series runs on finished lists,
so the blend stays unaware of it.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import takewhile

import numpy as np
import polars as pl
from contracts.titles import film_key, normalise_title
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from etl_job.recommender.features import name_lists
from etl_job.transform import is_placeholder

# The entry a film must show within its first WITHIN places, put at PLACE when missing.
WITHIN = 5
PLACE = 2
NEXT_REASON = "The next film of the series."
PREVIOUS_REASON = "The previous film of the series."

# series: the words its titles start with (series_id tells two of one name apart); position:
# 1, 2, ... in release order; number: `toy story 3`'s 3 (1 for the title numbered ones extend).
SERIES_SCHEMA = pl.Schema(
    {
        "id": pl.String(),
        "film": pl.String(),
        "series_id": pl.Int32(),
        "series": pl.String(),
        "position": pl.Int32(),
        "number": pl.Int32(),
        "size": pl.Int32(),
    }
)

_NUMERALS = ("ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii")
_ROMAN = {numeral: n for n, numeral in enumerate(_NUMERALS, start=2)}
# Words that may stand between a base and its number: `john wick chapter 2`, `kill bill vol 2`.
_NUMBER_WORDS = frozenset({"part", "chapter", "vol", "volume", "episode", "book"})
# Dropped from the end of a series' name (`the lord of the rings the`).
_FILLER = frozenset({"the", "a", "an", "and", "of", "in", "on", "to"})
# A subtitle starts after a colon or a spaced dash in the title as written.
_SUBTITLE = re.compile(r"\s*(?::|\s[-\u2013\u2014]\s)\s*")
# Four digits are a year or a name (`blade runner 2049`), not an entry number.
_MAX_NUMBER_DIGITS = 3


@dataclass(frozen=True)
class _Film:
    key: str
    kind: str
    title: str
    norm: str
    year: int
    people: frozenset[str]


def _numbered(norm: str) -> tuple[str, int] | None:
    """(base, number) of a title ending in a number or a roman numeral, else None."""
    *base, last = norm.split() or [""]
    if not base:
        return None
    number = int(last) if last.isdigit() and len(last) <= _MAX_NUMBER_DIGITS else _ROMAN.get(last)
    if number is None:
        return None
    if len(base) > 1 and base[-1] in _NUMBER_WORDS:
        base = base[:-1]
    return " ".join(base), number


def _bases(title: str, norm: str) -> list[str]:
    """The bases a title extends by a number or a subtitle (none for a plain title)."""
    head = _SUBTITLE.split(title, maxsplit=1)
    heads = [normalise_title(head[0])] if len(head) == 2 and head[1].strip() else []
    numbered = [found[0] for found in map(_numbered, [norm, *heads]) if found]
    return [base for base in dict.fromkeys(heads + numbered) if base and base != norm]


def _numbers(norms: list[str]) -> dict[str, int | None]:
    """Each title's entry number: its own, 1 for the title numbered entries extend, else None."""
    numbered = {norm: _numbered(norm) for norm in norms}
    bases = {found[0] for found in numbered.values() if found is not None}
    return {
        norm: found[1] if found is not None else (1 if norm in bases else None)
        for norm, found in numbered.items()
    }


def _common_words(norms: list[str]) -> str:
    """The words every title starts with (`star wars`) but trailing filler, else the first."""
    columns = zip(*(norm.split() for norm in norms), strict=False)
    common = [same[0] for same in takewhile(lambda words: len(set(words)) == 1, columns)]
    while common and common[-1] in _FILLER:
        common.pop()
    return " ".join(common) or norms[0]


def detect_series(catalog: pl.DataFrame) -> pl.DataFrame:
    """Every catalog record (placeholders aside) of a film that has other entries of its series
    in the catalog (SERIES_SCHEMA), ordered by series and position."""
    year = (
        pl.col("release_year")
        if "release_year" in catalog.columns
        else pl.lit(None, dtype=pl.Int32).alias("release_year")
    )
    records = (
        catalog.filter(~is_placeholder())
        .select("id", "type", "title", year, "director", "cast")
        .unique("id", keep="first")
        .sort("id")
    )
    people = name_lists(records["director"]).list.concat(name_lists(records["cast"])).to_list()
    films: dict[str, _Film] = {}
    ids: dict[str, list[str]] = {}
    for (record, kind, title, year, *_), names in zip(records.iter_rows(), people, strict=True):
        norm = normalise_title(title or "")
        if not norm:
            continue
        key = film_key(title, year, kind)
        ids.setdefault(key, []).append(record)
        known = films.get(key, _Film(key, kind, title, norm, int(year or 0), frozenset()))
        films[key] = replace(known, people=known.people | frozenset(names))
    groups = _components(_pairs(films.values()))
    rows = []
    for number, members in enumerate(groups):
        numbers = _numbers([films[k].norm for k in members])
        ordered = sorted(
            members, key=lambda k: (films[k].year, numbers[films[k].norm] or 1, films[k].norm)
        )
        name = _common_words([films[k].norm for k in ordered])
        for position, key in enumerate(ordered, start=1):
            rows += [
                (record, key, number, name, position, numbers[films[key].norm], len(ordered))
                for record in ids[key]
            ]
    return pl.DataFrame(rows, schema=SERIES_SCHEMA, orient="row").sort(
        "series", "series_id", "position", "id"
    )


def _pairs(films: Iterable[_Film]) -> list[tuple[str, str]]:
    """Pairs of films of one series (module docstring); a title extending another's by words
    alone pairs with that title only, a numbered entry of a film without names passes."""
    by_title: dict[tuple[str, str], list[_Film]] = {}
    for film in films:
        by_title.setdefault((film.kind, film.norm), []).append(film)
    extending: dict[tuple[str, str], list[tuple[_Film, bool]]] = {}
    for (kind, norm), same in by_title.items():
        words = norm.split()
        for film in same:
            bases = _bases(film.title, norm)
            for base in bases:
                extending.setdefault((kind, base), []).append((film, True))
            for cut in range(1, len(words)):
                prefix = " ".join(words[:cut])
                if prefix not in bases and (kind, prefix) in by_title:
                    extending.setdefault((kind, prefix), []).append((film, False))
    found = []
    for anchor, extensions in extending.items():
        numbered = [film for film, derived in extensions if derived]
        for film, derived in extensions:
            partners = by_title.get(anchor, []) + (numbered if derived else [])
            for other in partners:
                if other.norm != film.norm and _same_people(film, other, numbered=derived):
                    found.append((film.key, other.key))
    return found


def _same_people(left: _Film, right: _Film, *, numbered: bool) -> bool:
    if left.people & right.people:
        return True
    return numbered and (not left.people or not right.people) and _numbered(left.norm) is not None


def _components(pairs: list[tuple[str, str]]) -> list[set[str]]:
    """The connected films of `pairs`, ordered by their first key."""
    keys, codes = np.unique(np.array(pairs, dtype=str).reshape(-1, 2), return_inverse=True)
    codes = codes.reshape(-1, 2)
    graph = sparse.coo_matrix((np.ones(len(pairs)), codes.T), shape=(len(keys),) * 2)
    labels = connected_components(graph, directed=False)[1]
    groups: dict[int, set[str]] = {}
    for key, label in zip(keys.tolist(), labels, strict=True):
        groups.setdefault(int(label), set()).add(key)
    return sorted((members for members in groups.values() if len(members) > 1), key=min)


def series_targets(series: pl.DataFrame) -> pl.DataFrame:
    """query, target (catalog ids), reason: the entry each entry's list must show. The next
    number for a numbered entry (`toy story 3` -> `toy story 4`, past the shorts between),
    else the next release; the last gets the one before (by number where it has one)."""
    entries = (
        series.group_by("film", maintain_order=True)
        .agg(pl.col("series_id", "position", "number").first(), target=pl.col("id").min())
        .sort("series_id", "position")
    )
    chosen = []
    for _, group in entries.group_by("series_id", maintain_order=True):
        films = group.rows(named=True)
        for at, entry in enumerate(films):
            number = entry["number"]
            numbered = [] if number is None else [f for f in films if f["number"] is not None]
            later = [f for f in numbered if f["number"] > number]
            earlier = [f for f in numbered if f["number"] < number]
            if later:
                pick, why = min(later, key=lambda f: (f["number"], f["position"])), NEXT_REASON
            elif at + 1 < len(films):
                pick, why = films[at + 1], NEXT_REASON
            elif earlier:
                pick = max(earlier, key=lambda f: (f["number"], f["position"]))
                why = PREVIOUS_REASON
            else:
                pick, why = films[at - 1], PREVIOUS_REASON
            chosen.append((entry["film"], pick["target"], why))
    picks = pl.DataFrame(
        chosen, schema={"film": pl.String, "target": pl.String, "reason": pl.String}, orient="row"
    )
    return (
        series.select(pl.col("id").alias("query"), "film")
        .join(picks, on="film", how="inner")
        .select("query", "target", "reason")
    )


def with_series(*, neighbours: pl.DataFrame, catalog: pl.DataFrame) -> pl.DataFrame:
    """Published lists (movie_id, rank, neighbour_id, score, reason) with each series entry's
    target among its first WITHIN places (place_series over detect_series(catalog))."""
    series = detect_series(catalog)
    placed = place_series(
        lists=neighbours.rename({"movie_id": "query", "neighbour_id": "neighbour"}),
        targets=series_targets(series),
        film_of=series.select(pl.col("id").alias("item"), "film"),
    )
    return placed.rename({"query": "movie_id", "neighbour": "neighbour_id"})


def place_series(
    *, lists: pl.DataFrame, targets: pl.DataFrame, film_of: pl.DataFrame
) -> pl.DataFrame:
    """Each list with its series target among its first WITHIN places.

    `lists`: query, neighbour, score (any other columns kept), best first; `targets`: query,
    target, reason (series_targets); `film_of`: item, film (any record of the target counts).
    A list lacking it gets it at PLACE, the rest moved down and the last pushed out; scores
    are given back in place order, a `reason` column says why, a `rank` column is renumbered.
    """
    if lists.is_empty() or targets.is_empty():
        return lists
    items = lists.schema["neighbour"]
    film = film_of.select(pl.col("item").cast(items), "film")
    wanted = targets.select(
        pl.col("query").cast(lists.schema["query"]),
        pl.col("target").cast(items),
        pl.col("reason").alias("_why"),
    ).join(film.rename({"item": "target", "film": "_target_film"}), on="target", how="left")
    shown = (pl.col("_is_target") & (pl.col("_place") < WITHIN)).any().over("query")
    marked = (
        lists.with_columns(_place=pl.int_range(0, pl.len()).over("query"))
        .join(film.rename({"item": "neighbour", "film": "_film"}), on="neighbour", how="left")
        .join(wanted, on="query", how="left")
        .with_columns(
            _is_target=(pl.col("_film") == pl.col("_target_film")).fill_null(False)
            | (pl.col("neighbour") == pl.col("target")).fill_null(False)
        )
        .with_columns(_moving=pl.col("target").is_not_null().any().over("query") & ~shown)
    )
    kept = marked.filter(~(pl.col("_moving") & pl.col("_is_target"))).with_columns(
        _order=pl.int_range(0, pl.len()).over("query").cast(pl.Float64)
    )
    inserted = (
        marked.filter("_moving")
        .unique("query", keep="first", maintain_order=True)
        .select("query", neighbour=pl.col("target"), _why="_why", _order=pl.lit(PLACE - 1.5))
    )
    if "reason" in lists.columns:
        inserted = inserted.rename({"_why": "reason"})
    lengths = lists.group_by("query").agg(_length=pl.len())
    placed = (
        pl.concat([kept.select(*lists.columns, "_order"), inserted], how="diagonal")
        .sort("query", "_order", maintain_order=True)
        .join(lengths, on="query", how="left", maintain_order="left")
        .filter(pl.int_range(0, pl.len()).over("query") < pl.col("_length"))
        .with_columns(
            score=pl.col("score")
            .fill_null(strategy="forward")
            .fill_null(strategy="backward")
            .sort(descending=True, nulls_last=True)
            .over("query")
        )
    )
    if "rank" in lists.columns:
        placed = placed.with_columns(
            rank=pl.int_range(1, pl.len() + 1).over("query").cast(lists.schema["rank"])
        )
    return placed.select(lists.columns)
