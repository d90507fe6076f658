"""The public queries' answers computed from the raw rows (testkit.raw_csv), never through the
project's code: what the real-data tests and the compose smoke test expect."""

from collections import Counter

from testkit.raw_csv import RawTitle


def movies(rows: list[RawTitle], platform: str | None = None) -> list[RawTitle]:
    return [r for r in rows if r.type == "movie" and platform in (None, r.platform)]


def max_duration(rows: list[RawTitle], year: int | None, platform: str | None,
                 unit: str | None) -> str:
    """get_max_duration: the longest movie, ties to the alphabetically first title."""
    candidates = [r for r in movies(rows, platform) if r.duration is not None
                  and year in (None, r.year) and unit in (None, r.duration_type)]
    return min(candidates, key=lambda r: (-(r.duration or 0), r.title)).title


def score_count(rows: list[RawTitle], platform: str, scored: int, year: int) -> int:
    """get_score_count: the platform's movies of that year scored strictly above `scored`."""
    return sum(1 for r in movies(rows, platform)
               if r.year == year and r.score is not None and r.score > scored)


def top_actor(rows: list[RawTitle], platform: str, year: int) -> str:
    """get_actor: the name listed most often, ties to the alphabetically first."""
    names = Counter(name for r in rows if r.platform == platform and r.year == year
                    for name in r.cast)
    return min(names.items(), key=lambda item: (-item[1], item[0]))[0]


def production(rows: list[RawTitle], kind: str, country: str, year: int) -> int:
    """prod_per_county: titles of that kind (pelicula, serie, documental) from the country."""
    def is_kind(r: RawTitle) -> bool:
        if kind == "pelicula":
            return r.type == "movie"
        if kind == "serie":
            return r.type == "tv show"
        return r.is_documentary

    return sum(1 for r in rows if r.year == year and country in r.countries and is_kind(r))


def contents(rows: list[RawTitle], rating: str) -> int:
    """get_contents: titles of every type and platform with that rating."""
    return sum(1 for r in rows if r.rating == rating)
