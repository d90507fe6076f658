"""The Redis key layout of published recommendations and the packing of neighbour lists."""

import json
import zlib
from dataclasses import dataclass
from typing import Any

# Bumped when the key names or the value encodings change; stored in every version's meta.
LAYOUT_VERSION = 1
MAX_NEIGHBOURS = 20
# Scores are cosine-like numbers; four decimals rank identically and pack shorter.
SCORE_DECIMALS = 4
_IDS_SEPARATOR = ","  # catalog ids are letters and digits only (as123, ns42)


@dataclass(frozen=True, slots=True)
class Neighbour:
    """One recommended movie for a query movie."""

    id: str
    title: str
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class RedisLayout:
    """Key names under one prefix, so several deployments (and tests) can share a Redis.

    Every published version owns four keys, one hash or string each, so a whole version can be
    expired, persisted or deleted with a handful of commands however many movies it holds:

    - `{prefix}:current`                  string: the version readers use
    - `{prefix}:versions`                 list: committed versions, newest first
    - `{prefix}:v:{version}:neighbours`   hash: movie id -> packed neighbour list
    - `{prefix}:v:{version}:titles`       hash: movie id -> catalog title
    - `{prefix}:v:{version}:title_index`  hash: normalise_title(title) -> packed ids
    - `{prefix}:v:{version}:meta`         string: JSON of the model metadata and metrics

    Readers resolve `current` once per request, then read only that version's keys. A version
    is written completely before `current` names it and stays intact while it is current or
    the rollback target, so a reader sees one whole version, never a mix.
    """

    prefix: str

    @property
    def current(self) -> str:
        return f"{self.prefix}:current"

    @property
    def versions(self) -> str:
        return f"{self.prefix}:versions"

    def neighbours(self, version: str) -> str:
        return f"{self.prefix}:v:{version}:neighbours"

    def titles(self, version: str) -> str:
        return f"{self.prefix}:v:{version}:titles"

    def title_index(self, version: str) -> str:
        return f"{self.prefix}:v:{version}:title_index"

    def meta(self, version: str) -> str:
        return f"{self.prefix}:v:{version}:meta"

    def version_keys(self, version: str) -> tuple[str, str, str, str]:
        """Every key one version owns."""
        return (self.neighbours(version), self.titles(version), self.title_index(version),
                self.meta(version))


def encode_neighbours(neighbours: list[Neighbour]) -> bytes:
    """Pack a ranked neighbour list: compact JSON rows [id, title, score, reason], zlib'd.

    zlib (stdlib, so no extra dependency on either side) halves the value: reasons and genre
    names repeat within a list. Decoding 20 rows costs microseconds.
    """
    rows = [[n.id, n.title, round(n.score, SCORE_DECIMALS), n.reason] for n in neighbours]
    return zlib.compress(json.dumps(rows, separators=(",", ":"), ensure_ascii=False).encode())


def decode_neighbours(packed: bytes) -> list[Neighbour]:
    """Unpack what encode_neighbours wrote, best first."""
    rows = json.loads(zlib.decompress(packed))
    return [Neighbour(id=row[0], title=row[1], score=float(row[2]), reason=row[3]) for row in rows]


def encode_ids(ids: list[str]) -> bytes:
    """Pack the catalog ids sharing one normalised title."""
    return _IDS_SEPARATOR.join(ids).encode()


def decode_ids(packed: bytes) -> list[str]:
    return packed.decode().split(_IDS_SEPARATOR) if packed else []


def _json_value(value: Any) -> Any:
    """numpy scalars become their Python value, dates their ISO text, anything else its str."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def encode_meta(meta: dict[str, Any]) -> bytes:
    return json.dumps(meta, separators=(",", ":"), ensure_ascii=False, default=_json_value).encode()


def decode_meta(packed: bytes) -> dict[str, Any]:
    decoded = json.loads(packed)
    return decoded if isinstance(decoded, dict) else {"value": decoded}
