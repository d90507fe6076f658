"""The Redis key layout of published recommendations and the packing of neighbour lists."""

import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partialmethod
from typing import Any

# Bumped when the key names or the value encodings change; stored in every version's meta.
LAYOUT_VERSION = 5
# A stored list holds the TOP_NEIGHBOURS best films overall plus, for every platform, the
# PLATFORM_NEIGHBOURS best films available there (etl_job.recommender.depth): a platform filter
# (one platform or several) then still leaves that many, exactly as a deeper list would.
TOP_NEIGHBOURS = 20
PLATFORM_NEIGHBOURS = 10
PLATFORM_COUNT = 4
MAX_NEIGHBOURS = TOP_NEIGHBOURS + PLATFORM_COUNT * PLATFORM_NEIGHBOURS
# A page holds an unfiltered answer's first PAGE_NEIGHBOURS neighbours, what the gateway asks
# for; deeper pages cost Redis memory (about 1 MB per 1,000 titles per neighbour).
PAGE_NEIGHBOURS = 10
# Scores are cosine-like numbers; four decimals rank identically and pack shorter.
SCORE_DECIMALS = 4


@dataclass(frozen=True, slots=True)
class Neighbour:
    """One recommended film (or show) for a query title: where to watch it, and why."""

    id: str
    title: str
    score: float
    reason: str
    type: str = "movie"
    release_year: int | None = None
    # The platforms listing this film (same normalised title, year and type), sorted.
    available_on: tuple[str, ...] = ()
    # Who it is for (contracts.audience.AgeBand); None in lists published before bands.
    age_band: str | None = None


@dataclass(frozen=True, slots=True)
class FilmEntry:
    """One film a normalised title stands for: its catalog ids, type, year, ratings count."""

    ids: tuple[str, ...]
    type: str
    release_year: int | None
    ratings: int


@dataclass(frozen=True, slots=True)
class RedisLayout:
    """Key names under one prefix, so several deployments (and tests) can share a Redis.

    Keys are hash-tagged for Redis Cluster, where a transaction and a multi-key command touch
    one hash slot only (Redis hashes the text between the first `{` and `}`).

    The control slot, tag `{prefix}`, the keys that change together in one transaction:
    - `{prefix}:current`   string: the version readers use
    - `{prefix}:versions`  list: committed versions, newest first (current, rollback target)
    - `{prefix}:retired`   list: versions a switch dropped, whose keys still await their TTL
                           (written in the switch's transaction: a crash leaves a to-do list)

    One slot per version, tag `{prefix:version}`, so versions spread over a cluster's masters:
    - `{prefix:version}:neighbours`   hash: title id -> packed neighbour list; and
                                      taste_field(id) -> the movie's row of EASE's B cut to
                                      its largest weights, packed the same way (score = the
                                      weight): what a taste of several films sums
    - `{prefix:version}:titles`       hash: title id -> catalog title
    - `{prefix:version}:title_index`  hash: normalise_title(title) -> packed films, the one a
                                      bare title means first (movie, most rated, newest)
    - `{prefix:version}:meta`         string: JSON of the model metadata and metrics
    - `{prefix:version}:pages`        hash: title id -> packed page (pack_page): the answer of
                                      GET /v1/neighbours/{id} as JSON, cut at any k
    - `{prefix:version}:title_pages`  hash: normalise_title(title) -> packed page: the answer
                                      of GET /v1/neighbours?title= after its `query` field

    A version is written whole before `current` names it and stays intact while it is current
    or the rollback target; readers resolve `current` once per request, so they never see a
    mix. A single Redis ignores the braces.
    """

    prefix: str

    def __post_init__(self) -> None:
        if not self.prefix or any(c in self.prefix for c in "{}"):
            raise ValueError(
                f"Redis key prefix {self.prefix!r} must be non-empty and carry no "
                "'{' or '}' (they delimit hash tags)."
            )

    @property
    def current(self) -> str:
        return f"{{{self.prefix}}}:current"

    @property
    def versions(self) -> str:
        return f"{{{self.prefix}}}:versions"

    @property
    def retired(self) -> str:
        return f"{{{self.prefix}}}:retired"

    def _version_key(self, version: str, name: str) -> str:
        return f"{{{self.prefix}:{version}}}:{name}"

    # layout.neighbours(version) -> "{prefix:version}:neighbours", and so on.
    neighbours = partialmethod(_version_key, name="neighbours")
    titles = partialmethod(_version_key, name="titles")
    title_index = partialmethod(_version_key, name="title_index")
    meta = partialmethod(_version_key, name="meta")
    pages = partialmethod(_version_key, name="pages")
    title_pages = partialmethod(_version_key, name="title_pages")

    def version_keys(self, version: str) -> tuple[str, ...]:
        """Every key one version owns (one hash slot)."""
        names = ("neighbours", "titles", "title_index", "meta", "pages", "title_pages")
        return tuple(self._version_key(version, name) for name in names)

    @property
    def match_all(self) -> str:
        """A SCAN pattern for every key of this prefix (control and versions)."""
        return f"{{{self.prefix}[}}:]*"


TASTE_FIELD_PREFIX = "taste:"


def taste_field(movie_id: str) -> str:
    """The field of `neighbours` holding a movie's sparse row of B (no catalog id has a ':')."""
    return f"{TASTE_FIELD_PREFIX}{movie_id}"


def encode_neighbours(neighbours: list[Neighbour]) -> bytes:
    """Pack a ranked neighbour list: JSON rows [id, title, score, reason, type, year,
    platforms, age band], zlib'd (halves it: reasons and genre names repeat within a list)."""
    rows = [
        [
            n.id,
            n.title,
            round(n.score, SCORE_DECIMALS),
            n.reason,
            n.type,
            n.release_year,
            list(n.available_on),
            n.age_band,
        ]
        for n in neighbours
    ]
    return zlib.compress(json.dumps(rows, separators=(",", ":"), ensure_ascii=False).encode())


# A value as redis-py types it; the clients run without decode_responses, so it is bytes.
Stored = bytes | str


def as_bytes(value: Stored) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def as_text(value: Stored) -> str:
    return value.decode() if isinstance(value, bytes) else value


def decode_neighbours(
    packed: Stored, *, loads: Callable[[bytes], Any] = json.loads
) -> list[Neighbour]:
    """Unpack what encode_neighbours wrote, best first (the services pass orjson's `loads`)."""
    rows = loads(zlib.decompress(as_bytes(packed)))
    # Positional: a keyword call costs more, and the services decode a list per request.
    return [
        Neighbour(
            row[0],
            row[1],
            float(row[2]),
            row[3],
            row[4],
            row[5],
            tuple(row[6]),
            row[7] if len(row) >= 8 else None,
        )
        if len(row) >= 7
        else Neighbour(id=row[0], title=row[1], score=float(row[2]), reason=row[3])
        for row in rows
    ]


# A page: a byte holding n (the neighbours it has), a byte saying whether those are all the
# answer has, then n + 1 little-endian uint32 offsets into the body (where the head ends,
# where each neighbour ends), then the body zlib'd (to about a third): the answer's JSON up
# to its neighbours' `[`, then the neighbours joined by commas. The JSON ends with PAGE_TAIL.
PAGE_TAIL = b"]}"
_OFFSET = struct.Struct("<I")


def pack_page(head: bytes, items: list[bytes], *, complete: bool) -> bytes:
    """Pack an answer's head and its first neighbours (at most 255), each already JSON."""
    if len(items) > 255:
        raise ValueError(f"a page holds at most 255 neighbours, got {len(items)}")
    ends = [len(head)]
    for number, item in enumerate(items):
        ends.append(ends[-1] + len(item) + (1 if number else 0))
    header = bytes((len(items), int(complete))) + b"".join(_OFFSET.pack(e) for e in ends)
    return header + zlib.compress(head + b",".join(items))


def cut_page(packed: bytes, k: int) -> bytes | None:
    """The answer with its first k neighbours as JSON bytes; None when the page holds fewer
    than k and the answer has more (the caller then decodes the lists)."""
    count = packed[0]
    if k > count and not packed[1]:
        return None
    (end,) = _OFFSET.unpack_from(packed, 2 + _OFFSET.size * min(k, count))
    # Inflated only as far as the k-th neighbour.
    body = zlib.decompressobj().decompress(
        memoryview(packed)[2 + _OFFSET.size * (count + 1) :], end
    )
    return body + PAGE_TAIL


def encode_films(films: list[FilmEntry]) -> bytes:
    """Pack the films sharing one normalised title, in the order a bare title picks them."""
    rows = [[list(f.ids), f.type, f.release_year, f.ratings] for f in films]
    return json.dumps(rows, separators=(",", ":")).encode()


def decode_films(packed: Stored) -> list[FilmEntry]:
    return [
        FilmEntry(ids=tuple(row[0]), type=row[1], release_year=row[2], ratings=row[3])
        for row in json.loads(as_bytes(packed))
    ]


def _json_value(value: Any) -> Any:
    """numpy scalars become their Python value, dates their ISO text, anything else its str."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def encode_meta(meta: dict[str, Any]) -> bytes:
    return json.dumps(meta, separators=(",", ":"), ensure_ascii=False, default=_json_value).encode()


def decode_meta(packed: Stored) -> dict[str, Any]:
    decoded = json.loads(as_bytes(packed))
    return decoded if isinstance(decoded, dict) else {"value": decoded}
