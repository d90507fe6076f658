"""GENERATED ratings in the real layout, at any size: `python -m bench.generate --rows N --out DIR`.

The output is a whole DATA_DIR: the four real catalog files (symlinked, or copied) beside
`ratings/1.csv` ... `8.csv` (`userId,rating,timestamp,movieId`), plus GENERATED.md and
GENERATED.json saying the ratings are synthetic. Users get a taste for one to three genres and
movies a long-tailed popularity, so a recommender trained on it has structure to find. Every
step is vectorised numpy/Polars; the same seed gives the same files byte for byte.
"""

import argparse
import itertools
import json
import shutil
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import polars as pl
from contracts.domain import CATALOG_TYPE_MOVIE, Platform
from contracts.genres import genre_words

GENERATOR_VERSION = 1
FULL_ROWS = 11_024_289
FULL_USERS = 270_896
FILES = 8
MARKER = "GENERATED.json"
README = "GENERATED.md"
T_FIRST = 820_454_400  # 1996-01-01T00:00:00Z
T_LAST = 1_514_764_799  # 2017-12-31T23:59:59Z
REPO = Path(__file__).resolve().parents[3]
DEFAULT_CATALOG_DIR = REPO.parent / "shared" / "data" / "raw"
DEFAULT_OUT = REPO / "var" / "bench" / "generated-data"

TASTE_SHARE = 0.8  # share of a user's ratings drawn from their favourite genres
TASTE_GENRES = 63  # favourites come from the most common genres (one bit each in a uint64)
MAX_ROUNDS = 100
TASTE_ROUNDS = 8  # after these, a user still short draws from the whole catalog
NO_GENRE = "other"


def genre_key(name: str) -> str:
    """One key per genre across platforms (contracts.genres); a name of filler only is 'other'."""
    return " ".join(genre_words(name)) or NO_GENRE


@dataclass(frozen=True)
class CatalogMovies:
    """Movies in catalog order: ids[i] has genres genre_ids[offsets[i]:offsets[i+1]]."""

    ids: list[str]
    genres: list[str]  # genre names, most common first
    offsets: np.ndarray  # int64, len(ids) + 1
    genre_ids: np.ndarray  # int32 indices into `genres`
    score: np.ndarray  # float64, file score 1-100, NaN when absent

    @property
    def size(self) -> int:
        return len(self.ids)


def read_movies(catalog_dir: Path) -> CatalogMovies:
    """Every movie the ETL keeps: a show_id, a title, type movie, an integer year; first id wins."""
    frames = []
    for platform in Platform:
        raw = pl.read_csv(
            catalog_dir / platform.source_file, infer_schema=False, truncate_ragged_lines=True
        )
        raw = raw.rename(
            {name: name.strip().lstrip("\ufeff").strip().lower() for name in raw.columns}
        )
        if "score" not in raw.columns:
            raw = raw.with_columns(score=pl.lit(None, pl.String))
        text = {
            name: pl.col(name).str.strip_chars()
            for name in ("show_id", "title", "type", "release_year", "score")
        }
        frames.append(
            raw.select(
                id=pl.lit(platform.id_letter) + text["show_id"].str.to_lowercase(),
                show_id=text["show_id"],
                title=text["title"],
                type=text["type"].str.to_lowercase(),
                year=text["release_year"].cast(pl.Int32, strict=False),
                listed_in=pl.col("listed_in").fill_null(""),
                score=text["score"].cast(pl.Float64, strict=False),
            )
        )
    named = (pl.col("show_id") != "") & (pl.col("title") != "") & pl.col("year").is_not_null()
    movies = pl.concat(frames).filter(named & (pl.col("type") == CATALOG_TYPE_MOVIE))
    movies = movies.unique("id", keep="first", maintain_order=True)
    if movies.is_empty():
        raise ValueError(f"{catalog_dir}: the four catalog files hold no movie")
    keys = [
        sorted({genre_key(part) for part in listed.split(",") if part.strip()} or {NO_GENRE})
        for listed in movies["listed_in"].to_list()
    ]
    counts = Counter(key for movie_keys in keys for key in movie_keys)
    genres = sorted(counts, key=lambda key: (-counts[key], key))
    position = {key: i for i, key in enumerate(genres)}
    offsets = np.concatenate([[0], np.cumsum([len(movie_keys) for movie_keys in keys])])
    genre_ids = np.array([position[key] for movie_keys in keys for key in movie_keys], np.int32)
    score = movies["score"].fill_null(float("nan")).to_numpy()
    return CatalogMovies(movies["id"].to_list(), genres, offsets.astype(np.int64), genre_ids, score)


@dataclass(frozen=True)
class Spec:
    """What to generate; the marker file records it."""

    rows: int = FULL_ROWS
    users: int = FULL_USERS
    seed: int = 42
    files: int = FILES

    def __post_init__(self) -> None:
        if self.rows < 1 or self.users < 1 or self.files < 1:
            raise ValueError("rows, users and files must be at least 1")
        if self.users > self.rows:
            raise ValueError(
                f"users ({self.users}) cannot exceed rows ({self.rows}): "
                "every user rates at least one movie"
            )


def default_users(rows: int) -> int:
    """The real ratio of users to ratings (270,896 per 11,024,289), at least one user."""
    return max(1, round(rows * FULL_USERS / FULL_ROWS))


def activity(rng: np.random.Generator, *, rows: int, users: int, cap: int) -> np.ndarray:
    """Ratings per user: long-tailed (log-normal), 1..cap each, summing to exactly `rows`."""
    if rows > users * cap:
        raise ValueError(f"{rows} ratings do not fit {users} users rating at most {cap} movies")
    weight = rng.lognormal(0.0, 1.1, users)
    counts = np.clip(np.floor(weight * rows / weight.sum()), 1, cap).astype(np.int64)
    while (diff := rows - int(counts.sum())) != 0:
        if diff > 0:
            room = counts < cap
            share = weight * room
            counts += rng.multinomial(diff, share / share.sum())
            counts = np.minimum(counts, cap)
        else:
            # Take one rating at a time from random surplus slots (every user keeps one).
            surplus = np.repeat(np.arange(users), counts - 1)
            counts -= np.bincount(rng.choice(surplus, -diff, replace=False), minlength=users)
    return counts


class InverseCdf:
    """searchsorted(keys, q) for millions of q at the cost of two gathers for nearly all of them.

    A grid over the key range stores where each grid point falls; a query between two grid
    points that fall in the same place needs no search, the rare others get a real one.
    """

    def __init__(self, keys: np.ndarray, *, top: float, cells: int = 1 << 22) -> None:
        self.keys = keys
        self.scale = cells / top
        self.cells = cells
        self.table = np.searchsorted(keys, np.arange(cells + 1) / self.scale, side="right")

    def __call__(self, q: np.ndarray) -> np.ndarray:
        cell = np.minimum((q * self.scale).astype(np.int64), self.cells - 1)
        found, upper = self.table[cell], self.table[cell + 1]
        unsure = np.flatnonzero(found != upper)
        found[unsure] = np.searchsorted(self.keys, q[unsure], side="right")
        return np.minimum(found, len(self.keys) - 1)


class MovieSampler:
    """Draw movies by long-tailed popularity, overall or within one genre (inverse CDF)."""

    def __init__(self, movies: CatalogMovies, rng: np.random.Generator) -> None:
        self.size = movies.size
        rank = rng.permutation(movies.size)
        score = np.nan_to_num(movies.score / 100.0, nan=0.5)
        weight = (0.5 + score) / (rank + 20.0) ** 1.1
        self.overall = InverseCdf(np.cumsum(weight) / weight.sum(), top=1.0)
        movie_of_pair = np.repeat(np.arange(movies.size), np.diff(movies.offsets))
        order = np.argsort(movies.genre_ids, kind="stable")
        genre_of_pair = movies.genre_ids[order].astype(np.int64)
        self.members = movie_of_pair[order]
        weights = weight[self.members]
        n_genres = len(movies.genres)
        totals = np.bincount(genre_of_pair, weights=weights, minlength=n_genres)
        before = np.concatenate([[0.0], np.cumsum(totals)[:-1]])
        # Genre g's members hold g + (their cumulative share within g): one sorted array in
        # which a search for g + u, 0 <= u < 1, lands inside g's segment.
        keys = genre_of_pair + (np.cumsum(weights) - before[genre_of_pair]) / totals[genre_of_pair]
        last = np.r_[genre_of_pair[1:] != genre_of_pair[:-1], True]
        keys[last] = genre_of_pair[last] + 1.0
        self._in_genre = InverseCdf(keys, top=float(n_genres))

    def in_genre(self, genre: np.ndarray, u: np.ndarray) -> np.ndarray:
        return self.members[self._in_genre(genre + u)]


@dataclass(frozen=True)
class Tastes:
    favourites: np.ndarray  # (users, 3) genre indices
    n_favourites: np.ndarray  # (users,) 1..3
    mask: np.ndarray  # (users,) uint64 bit set of favourite genres


def user_tastes(rng: np.random.Generator, *, users: int, movies: CatalogMovies) -> Tastes:
    """One to three favourite genres per user, common genres more often."""
    common = min(TASTE_GENRES, len(movies.genres))
    sizes = np.bincount(movies.genre_ids, minlength=len(movies.genres))[:common]
    share = sizes**0.7 / (sizes**0.7).sum()
    favourites = rng.choice(common, size=(users, 3), p=share)
    n_favourites = rng.choice(np.array([1, 2, 3]), size=users, p=[0.3, 0.4, 0.3])
    bits = np.left_shift(np.uint64(1), favourites.astype(np.uint64))
    bits[np.arange(3)[None, :] >= n_favourites[:, None]] = 0
    return Tastes(favourites, n_favourites, np.bitwise_or.reduce(bits, axis=1))


def draw(
    rng: np.random.Generator, who: np.ndarray, *, sampler: MovieSampler, tastes: Tastes
) -> np.ndarray:
    """One movie per entry of `who` (user indices): mostly a favourite genre, else anything."""
    pick = (rng.random(len(who)) * tastes.n_favourites[who]).astype(np.int64)
    genre = tastes.favourites[who, pick]
    movie = sampler.in_genre(genre, rng.random(len(who)))
    overall = rng.random(len(who)) >= TASTE_SHARE
    movie[overall] = sampler.overall(rng.random(int(overall.sum())))
    return movie


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    # np.unique's hash path is many times slower than a sort on ~10M int64 keys.
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def distinct_pairs(
    rng: np.random.Generator, counts: np.ndarray, *, sampler: MovieSampler, tastes: Tastes
) -> tuple[np.ndarray, np.ndarray]:
    """counts[u] distinct movies for every user u (a user rates a movie once).

    Draw what each user still lacks, drop repeated pairs, repeat for the users still short
    (fewer each round); users whose tastes ran dry get movies from the whole catalog.
    """
    finished: list[np.ndarray] = []
    n_movies = sampler.size
    pool = np.empty(0, dtype=np.int64)  # user * n_movies + movie of the users still short
    active = np.arange(len(counts))  # ascending
    have = np.zeros(len(active), dtype=np.int64)
    for round_ in range(MAX_ROUNDS):
        want = np.repeat(active, counts[active] - have)
        movies = (
            draw(rng, want, sampler=sampler, tastes=tastes)
            if round_ < TASTE_ROUNDS
            else rng.integers(0, n_movies, len(want))
        )
        # Never more than a user lacks is drawn, so every distinct pair is kept.
        pool = _sorted_unique(np.concatenate([pool, want * n_movies + movies]))
        slot_of = np.empty(len(counts), dtype=np.int64)
        slot_of[active] = np.arange(len(active))
        slot = slot_of[pool // n_movies]
        have = np.bincount(slot, minlength=len(active))
        complete = have == counts[active]
        finished.append(pool[complete[slot]])
        pool = pool[~complete[slot]]
        active, have = active[~complete], have[~complete]
        if not len(active):
            break
    if len(active):
        raise RuntimeError("could not give every user enough distinct movies")
    kept = np.concatenate(finished)
    return kept // n_movies, kept % n_movies


def ratings_frame(spec: Spec, movies: CatalogMovies) -> pl.DataFrame:
    """The generated ratings, sorted by user, columns userId,rating,timestamp,movieId."""
    rng = np.random.default_rng(spec.seed)
    cap = max(1, min(movies.size // 4, 3000))
    counts = activity(rng, rows=spec.rows, users=spec.users, cap=cap)
    sampler = MovieSampler(movies, rng)
    tastes = user_tastes(rng, users=spec.users, movies=movies)
    user, movie = distinct_pairs(rng, counts, sampler=sampler, tastes=tastes)
    # By user, each user's movies in random order (one float key: lexsort is ~10x slower).
    order = np.argsort(user * 2.0 + rng.random(len(user)))
    user, movie = user[order], movie[order]

    movie_mask = np.zeros(movies.size, dtype=np.uint64)
    pair_movie = np.repeat(np.arange(movies.size), np.diff(movies.offsets))
    taste_pairs = movies.genre_ids < TASTE_GENRES
    bits = np.left_shift(np.uint64(1), movies.genre_ids[taste_pairs].astype(np.uint64))
    np.bitwise_or.at(movie_mask, pair_movie[taste_pairs], bits)
    score = np.nan_to_num(movies.score / 100.0, nan=0.5)
    quality = 3.3 + 0.8 * (score - 0.5) + rng.normal(0, 0.35, movies.size)
    bias = rng.normal(0, 0.45, spec.users)
    liked = (movie_mask[movie] & tastes.mask[user]) != 0
    noise = rng.normal(0, 0.85, len(user))
    value = quality[movie] + bias[user] + np.where(liked, 0.7, -0.2) + noise
    # As in MovieLens, whole stars are more common than half stars.
    whole = rng.random(len(user)) < 0.55
    stars = np.clip(np.where(whole, np.round(value), np.round(value * 2) / 2), 0.5, 5.0)

    # Each user is active for a while (two years on average) somewhere in 1996-2017.
    span = np.minimum(rng.exponential(2 * 365 * 86_400, spec.users), T_LAST - T_FIRST)
    start = T_FIRST + rng.random(spec.users) * (T_LAST - T_FIRST - span)
    stamp = (start[user] + rng.random(len(user)) * span[user]).astype(np.int64)
    ids = pl.Series("movieId", movies.ids, dtype=pl.String)
    return pl.DataFrame(
        {
            "userId": (user + 1).astype(np.int32),
            "rating": stars.astype(np.float64),
            "timestamp": stamp,
            "movieId": ids.gather(movie.astype(np.int64)),
        }
    )


def _readme(spec: Spec, movies: CatalogMovies, catalog_dir: Path) -> str:
    return (
        "# GENERATED data: synthetic ratings, not real viewer behaviour\n\n"
        f"Written by `python -m bench.generate` (generator version {GENERATOR_VERSION}, seed "
        f"{spec.seed}): {spec.rows:,} ratings by {spec.users:,} generated users over the "
        f"{movies.size:,} movies of the real catalog, in {spec.files} files `ratings/1.csv` ... "
        f"`ratings/{spec.files}.csv` (`userId,rating,timestamp,movieId`, half stars 0.5-5, "
        "timestamps 1996-2017).\n\n"
        f"The four catalog files are the real ones from `{catalog_dir}`. The ratings are made "
        "up: users with a taste for one to three genres, movies with a long-tailed popularity. "
        "They exist to measure the system at the size of the full dataset; never present "
        "figures learnt from them as real.\n"
    )


def generate(
    *, out: Path, spec: Spec, catalog_dir: Path = DEFAULT_CATALOG_DIR, copy_catalog: bool = False
) -> dict[str, object]:
    """Write a whole generated DATA_DIR at `out`; returns what GENERATED.json records."""
    for protected in (catalog_dir.resolve(), DEFAULT_CATALOG_DIR.parent.resolve()):
        if out.resolve() == protected or protected in out.resolve().parents:
            raise ValueError(f"refusing to write generated data into {protected}")
    if out.exists() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise ValueError(
            f"{out.resolve()} holds files that were not generated here ({MARKER} missing); "
            "pick an empty or generated folder"
        )
    started = time.perf_counter()
    movies = read_movies(catalog_dir)
    frame = ratings_frame(spec, movies)
    out.mkdir(parents=True, exist_ok=True)
    ratings_dir = out / "ratings"
    if ratings_dir.exists():
        shutil.rmtree(ratings_dir)
    ratings_dir.mkdir()
    bounds = np.linspace(0, frame.height, spec.files + 1).astype(np.int64)
    for number, (low, high) in enumerate(itertools.pairwise(bounds), start=1):
        part = frame.slice(int(low), int(high - low))
        part.write_csv(ratings_dir / f"{number}.csv", float_precision=1)
    for platform in Platform:
        target = out / platform.source_file
        target.unlink(missing_ok=True)
        source = (catalog_dir / platform.source_file).resolve()
        if copy_catalog:
            shutil.copyfile(source, target)
        else:
            target.symlink_to(source)
    record: dict[str, object] = {
        "generated": True,
        "generator": "bench.generate",
        "generator_version": GENERATOR_VERSION,
        **asdict(spec),
        "movies": movies.size,
        "catalog_dir": str(catalog_dir.resolve()),
        "note": "synthetic ratings for benchmarks; not real viewer behaviour",
    }
    (out / MARKER).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    readme = _readme(spec, movies, catalog_dir)
    (out / README).write_text(readme, encoding="utf-8")
    (ratings_dir / README).write_text(readme, encoding="utf-8")
    record["seconds"] = round(time.perf_counter() - started, 2)
    return record


def marker(out: Path) -> dict[str, object] | None:
    """What GENERATED.json in `out` records, or None when it is not a generated folder."""
    try:
        return json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def reuse_or_generate(
    out: Path, spec: Spec, *, catalog_dir: Path = DEFAULT_CATALOG_DIR, regenerate: bool = False
) -> dict[str, object]:
    """The generated DATA_DIR at `out`: reused when its marker matches `spec`, else written."""
    found = marker(out) or {}
    wanted = {**asdict(spec), "generator_version": GENERATOR_VERSION}
    if not regenerate and all(found.get(key) == value for key, value in wanted.items()):
        print(f"data: reusing GENERATED data in {out}", flush=True)
        return {**found, "out": str(out)}
    print(f"data: generating {spec.rows:,} ratings ({spec.users:,} users) in {out} ...", flush=True)
    return {**generate(out=out, spec=spec, catalog_dir=catalog_dir), "out": str(out)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("--rows", type=int, default=FULL_ROWS, help="ratings to write")
    parser.add_argument("--users", type=int, help="user ids 1..N (default: the real ratio)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--files", type=int, default=FILES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--catalog-dir", type=Path, default=DEFAULT_CATALOG_DIR)
    parser.add_argument("--copy-catalog", action="store_true", help="copy the catalog, no symlinks")
    args = parser.parse_args(argv)
    try:
        users = args.users or default_users(args.rows)
        spec = Spec(rows=args.rows, users=users, seed=args.seed, files=args.files)
        copy = args.copy_catalog
        record = generate(out=args.out, spec=spec, catalog_dir=args.catalog_dir, copy_catalog=copy)
    except (ValueError, OSError) as exc:
        print(f"bench.generate: error: {exc}", file=sys.stderr)
        return 2
    print(
        f"GENERATED {spec.rows:,} ratings by {spec.users:,} users over {record['movies']:,} movies"
    )
    print(f"in {record['seconds']}s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
