"""Age bands and genre families: every rating and genre spelling of the four files is placed."""

import csv
from pathlib import Path

import pytest
from contracts.audience import SUITED, AgeBand, age_band, within
from contracts.genres import genre_families, genre_family
from testkit.raw_csv import DURATION, FILES


def raw_rating_spellings(data_dir: Path) -> set[str]:
    """Each distinct rating of the raw files as written, durations misplaced there left out."""
    found = set()
    for name in FILES.values():
        with (data_dir / name).open(newline="", encoding="utf-8") as handle:
            found |= {row["rating"].strip() for row in csv.DictReader(handle)}
    return {s for s in found if s and not DURATION.fullmatch(s.lower())}


def test_every_rating_spelling_of_the_four_files_has_a_band(real_data_dir: Path) -> None:
    spellings = raw_rating_spellings(real_data_dir)
    assert {"TV-MA", "13+", "AGES_16_", "NOT_RATE", "TV-Y7-FV", "ALL"} <= spellings
    unmapped = []
    for spelling in sorted(spellings):
        try:
            age_band(spelling)
        except KeyError:
            unmapped.append(spelling)
    assert unmapped == []


@pytest.mark.parametrize(("rating", "band"), [
    ("G", AgeBand.KIDS), ("tv-y7", AgeBand.KIDS), ("ALL", AgeBand.KIDS), ("PG", AgeBand.FAMILY),
    ("7+", AgeBand.FAMILY), ("PG-13", AgeBand.TEEN), ("16+", AgeBand.TEEN),
    ("R", AgeBand.ADULT), ("TV-MA", AgeBand.ADULT), ("18+", AgeBand.ADULT),
    ("NC-17", AgeBand.ADULT), ("NR", AgeBand.UNKNOWN), (None, AgeBand.UNKNOWN),
    ("  ", AgeBand.UNKNOWN),
])
def test_ratings_fold_into_bands(rating: str | None, band: AgeBand) -> None:
    assert age_band(rating) is band


def test_an_unknown_spelling_is_refused_not_guessed() -> None:
    with pytest.raises(KeyError):
        age_band("pg-15")


def test_kids_lists_hold_no_adult_nor_unrated_title() -> None:
    assert AgeBand.ADULT not in SUITED[AgeBand.KIDS]
    assert AgeBand.UNKNOWN not in SUITED[AgeBand.KIDS]
    assert AgeBand.ADULT not in SUITED[AgeBand.FAMILY]


def test_max_age_passes_younger_bands_and_unknown_only_without_a_limit() -> None:
    assert within(AgeBand.KIDS, AgeBand.FAMILY)
    assert not within(AgeBand.TEEN, AgeBand.FAMILY)
    assert within(AgeBand.ADULT, AgeBand.ADULT)
    assert not within(AgeBand.UNKNOWN, AgeBand.TEEN)
    assert within(AgeBand.UNKNOWN, AgeBand.ADULT)


def raw_genre_spellings(data_dir: Path) -> set[str]:
    """Each distinct genre name of the raw files' listed_in, as written."""
    found = set()
    for name in FILES.values():
        with (data_dir / name).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                found |= {g.strip() for g in row["listed_in"].split(",") if g.strip()}
    return found


def test_every_genre_spelling_of_the_four_files_is_placed(real_data_dir: Path) -> None:
    spellings = raw_genre_spellings(real_data_dir)
    assert {"Dramas", "Drama", "Kids' TV", "Sci-Fi & Fantasy", "Docuseries"} <= spellings
    unplaced = []
    for spelling in sorted(spellings):
        try:
            genre_family(spelling)
        except KeyError:
            unplaced.append(spelling)
    assert unplaced == []


@pytest.mark.parametrize(("genre", "family"), [
    ("Dramas", "drama"), ("TV Dramas", "drama"), ("Comedies", "comedy"),
    ("Stand-Up Comedy", "comedy"), ("Children & Family Movies", "family & animation"),
    ("Kids' TV", "family & animation"), ("Horror Movies", "crime, thriller & horror"),
    ("Sci-Fi & Fantasy", "sci-fi & fantasy"), ("Docuseries", "documentary"),
    ("International Movies", None), ("Independent Movies", None),
])
def test_genres_fold_into_families(genre: str, family: str | None) -> None:
    assert genre_family(genre) == family


def test_a_title_has_the_families_of_its_genres() -> None:
    assert genre_families("dramas, international movies, romantic movies") == {"drama", "romance"}
    assert genre_families(None) == frozenset()
