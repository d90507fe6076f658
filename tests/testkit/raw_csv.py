"""The raw CSVs read again with the `csv` module only: the oracle the real-data tests check.

The documented cleaning rules applied by hand, never through the ETL's code: values trimmed and
lowercased, an empty rating becomes "g", a duration found in the rating column (with an empty
duration) moves to duration and the rating becomes "g", cast items without a letter are dropped
(amazon lists "1" 35 times), a score outside 0..100 is no score.
"""

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

FILES = {"amazon": "amazon_prime_titles.csv", "disney": "disney_plus_titles.csv",
         "hulu": "hulu_titles.csv", "netflix": "netflix_titles.csv"}
# "74 min", "1 season", "2 seasons": the one duration pattern of the tests.
DURATION = re.compile(r"(\d+)\s*(min|season)s?")
DOCUMENTARY_WORDS = ("documentaries", "documentary", "docuseries")


@dataclass(frozen=True)
class RawTitle:
    """One raw row with the cleaning rules applied by hand."""

    id: str
    platform: str
    type: str
    title: str
    cast: tuple[str, ...]
    countries: tuple[str, ...]
    date_added: date | None
    year: int
    rating: str
    duration: int | None
    duration_type: str | None  # "min" or "season"
    duration_moved: bool  # found in the rating column
    listed_in: str
    score: int | None

    @property
    def is_documentary(self) -> bool:
        return any(word in self.listed_in for word in DOCUMENTARY_WORDS)


def read_records(data_dir: Path) -> dict[str, dict[str, str]]:
    """Every raw row as the csv module reads it, by catalog id (platform letter + show_id)."""
    records = {}
    for platform, name in FILES.items():
        with (data_dir / name).open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle):
                records[platform[0] + record["show_id"]] = {**record, "platform": platform}
    return records


def read_ratings(data_dir: Path) -> list[tuple[int, str, float]]:
    """Every (user id, catalog id, stars) of the ratings files, in file order."""
    rows = []
    for path in sorted((data_dir / "ratings").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows += [(int(r["userId"]), r["movieId"], float(r["rating"]))
                     for r in csv.DictReader(handle)]
    return rows


def read_titles(data_dir: Path) -> list[RawTitle]:
    """Every title of the four platforms, cleaned by hand."""
    return [clean(title_id, record) for title_id, record in read_records(data_dir).items()]


def split_list(text: str) -> tuple[str, ...]:
    """A comma-separated list: items trimmed and lowercased, empty ones dropped."""
    return tuple(part.strip().lower() for part in text.split(",") if part.strip())


def clean(title_id: str, record: dict[str, str]) -> RawTitle:
    value = {key: (text or "").strip().lower() for key, text in record.items() if key}
    rating, duration = value["rating"], value["duration"]
    moved = not duration and DURATION.fullmatch(rating) is not None
    if moved:
        rating, duration = "", rating
    match = DURATION.fullmatch(duration)
    added = " ".join(record["date_added"].split())
    score = int(value["score"]) if value.get("score", "").isdigit() else None
    return RawTitle(
        id=title_id,
        platform=record["platform"],
        type=value["type"],
        title=value["title"],
        cast=tuple(name for name in split_list(value["cast"])
                   if any(ch.isalpha() for ch in name)),
        countries=split_list(value["country"]),
        date_added=datetime.strptime(added, "%B %d, %Y").date() if added else None,
        year=int(value["release_year"]),
        rating=rating or "g",
        duration=int(match[1]) if match else None,
        duration_type=match[2] if match else None,
        duration_moved=moved,
        listed_in=value["listed_in"],
        score=score if score is not None and 0 <= score <= 100 else None,
    )
