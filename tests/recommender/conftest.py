"""Hand-written catalog and ratings frames for the recommender tests."""

import polars as pl
import pytest

CATALOG_ROWS = [
    # id, type, title, listed_in, description, director, cast, country
    ("ns1", "movie", "the heist", "thrillers, dramas",
     "a crew of thieves plans the heist of a bank vault", "ann lee", "bob stone, carla diaz",
     "united states"),
    # The same film on another platform: never a neighbour of ns1, though its text is identical.
    ("as1", "movie", "The Heist!", "thriller, drama",
     "a crew of thieves plans the heist of a bank vault", "ann lee", "bob stone, carla diaz",
     "united states"),
    ("ns2", "movie", "vault breakers", "thrillers", "thieves break into a vault under the city",
     "ann lee", "bob stone", "united states"),
    ("ds1", "movie", "space cats", "animation, family", "cats travel to space in a rocket",
     "dan ray", "eve moss", "united kingdom"),
    ("ds2", "movie", "rocket dogs", "animation, family", "dogs build a rocket to reach the moon",
     "fay cole", "gus hill", "united kingdom"),
    ("hs1", "movie", "quiet farm", "documentaries", "a year on a quiet farm with sheep", None,
     None, "canada"),
    ("hs2", "movie", "farm life", "documentary", "the life of sheep on a farm", None, None,
     "canada"),
    ("as2", "movie", "city lights", "comedy", "a tramp falls in love in the city", None, None,
     None),
    # A tv show whose text matches the heist films: never recommended, never a query.
    ("ns3", "tv show", "heist school", "thrillers, dramas",
     "a crew of thieves plans the heist of a bank vault", "ann lee", "bob stone, carla diaz",
     "united states"),
]


def catalog_frame() -> pl.DataFrame:
    """The hand-written catalog: seven films (one of them on two platforms) and a tv show."""
    columns = ["id", "type", "title", "listed_in", "description", "director", "cast", "country"]
    return pl.DataFrame(CATALOG_ROWS, schema=dict.fromkeys(columns, pl.String), orient="row")


def ratings_frame() -> pl.DataFrame:
    """Users 1-4 like the heist and the space cats; user 5 likes the farm films' opposite."""
    rows = [
        (1, "ns1", 5.0), (1, "ds1", 4.5), (1, "ns2", 2.0),
        (2, "ns1", 4.0), (2, "ds1", 4.0),
        (3, "ns1", 4.5), (3, "ds1", 5.0), (3, "ds2", 1.0),
        (4, "ns1", 4.0), (4, "ds1", 3.5), (4, "ns2", 4.0),
        (5, "ds2", 4.0), (5, "ns2", 4.5), (5, "as2", 1.0),
        (6, "hs1", 1.0),
    ]
    return pl.DataFrame(rows, schema={"user_id": pl.Int32, "movie_id": pl.String,
                                      "rating": pl.Float32}, orient="row")


@pytest.fixture
def tiny_catalog() -> pl.DataFrame:
    return catalog_frame()


@pytest.fixture
def tiny_ratings() -> pl.DataFrame:
    return ratings_frame()
