"""How series fare: item cold start (films whose every rating is hidden) and a hand-made list.

Cold start: liked films lose every rating, the blend is trained again, and a (viewer, hidden
film) hits when the film is back in the first k of another film the viewer liked, with and
without the series step. The list (KNOWN_SERIES): the share of its films whose published
first 5 hold another film of their series.
"""

from typing import Any

import numpy as np
import polars as pl
from contracts.titles import film_key
from scipy import sparse

from etl_job.recommender.blend import Blend
from etl_job.recommender.evaluate import LIKED_RATING, Split, retrained_lists, sample_users
from etl_job.recommender.metrics import NDCG_K, bootstrap_interval
from etl_job.recommender.movies import MovieIndex, RatedMatrix, index_movies, index_ratings
from etl_job.recommender.popularity import most_rated, popularity_order
from etl_job.recommender.series import detect_series, place_series, series_targets
from etl_job.recommender.tail import HEAD_SIZE

# Films hidden: enough for an interval, few enough that the training is still the others'.
COLD_FILMS = 200
COLD_SHARE = 0.1
# Share of the hand-listed series' films that must show another film of their series.
TARGET_HIT_RATE = 0.9
# (viewer, liked film) queries scored at most.
COLD_QUERIES = 20_000

# Series a person names, typed in from the catalog by hand: each film's normalised title and
# year, a series a line (continued after a trailing ";"). The sequels of monsters inc, finding
# nemo and the incredibles do not extend the first film's title: the list keeps them on purpose.
KNOWN_SERIES = [
    series.split("; ")
    for series in """
toy story 1995; toy story 2 1999; toy story 3 2010; toy story 4 2019
frozen 2013; frozen fever 2015; frozen 2 2019
shrek 2001; shrek 2 2004
kung fu panda 2008; kung fu panda 2 2011
the hunger games 2012; the hunger games catching fire 2013;
the hunger games mockingjay part 1 2014; the hunger games mockingjay part 2 2015
pirates of the caribbean the curse of the black pearl 2003;
pirates of the caribbean dead mans chest 2006; pirates of the caribbean at worlds end 2007;
pirates of the caribbean on stranger tides 2011;
pirates of the caribbean dead men tell no tales 2017
indiana jones and the raiders of the lost ark 1981; indiana jones and the temple of doom 1984;
indiana jones and the last crusade 1989; indiana jones and the kingdom of the crystal skull 2008
the matrix 1999; the matrix reloaded 2003; the matrix revolutions 2003
rocky 1976; rocky ii 1979; rocky iii 1982; rocky iv 1985; rocky v 1990
spider man 2002; spider man 2 2004; spider man 3 2007
men in black 1997; men in black ii 2002
the karate kid 1984; the karate kid part ii 1986; the karate kid part iii 1989
night at the museum 2006; night at the museum battle of the smithsonian 2009
mary poppins 1964; mary poppins returns 2018
high school musical 2006; high school musical 2 2007; high school musical 3 senior year 2008
home alone 1990; home alone 2 lost in new york 1992; home alone 3 1997
star wars a new hope episode iv 1977; star wars the empire strikes back episode v 1980;
star wars return of the jedi episode vi 1983; star wars the phantom menace episode i 1999;
star wars attack of the clones episode ii 2002; star wars revenge of the sith episode iii 2005;
star wars the force awakens episode vii 2015; star wars the rise of skywalker episode ix 2019
the lord of the rings the two towers 2002; the lord of the rings the return of the king 2003
alvin and the chipmunks 2007; alvin and the chipmunks chipwrecked 2011;
alvin and the chipmunks the road chip 2015
kill bill vol 1 2003; kill bill vol 2 2004
the conjuring 2013; the conjuring 2 2016
final destination 2000; final destination 2 2003; final destination 3 2006
jaws 1975; jaws 2 1978; jaws 3 1983; jaws the revenge 1987
the santa clause 1994; the santa clause 2 2002; the santa clause 3 the escape clause 2006
the chronicles of narnia the lion the witch and the wardrobe 2005;
the chronicles of narnia prince caspian 2008;
the chronicles of narnia the voyage of the dawn treader 2010
x men 2000; x men the last stand 2006; x men first class 2011; x men days of future past 2014;
x men apocalypse 2016; x men dark phoenix 2019
cheaper by the dozen 2003; cheaper by the dozen 2 2005
diary of a wimpy kid 2010; diary of a wimpy kid rodrick rules 2011;
diary of a wimpy kid the long haul 2017
the princess diaries 2001; the princess diaries 2 royal engagement 2004
monsters inc 2001; monsters university 2013
finding nemo 2003; finding dory 2016
the incredibles 2004; incredibles 2 2018
tinker bell 2008; tinker bell and the lost treasure 2009;
tinker bell and the great fairy rescue 2010; tinker bell and the legend of the neverbeast 2014
bambi 1942; bambi ii 2006
101 dalmatians 1961; 101 dalmatians ii patchs london adventure 2003
the fox and the hound 1981; the fox and the hound 2 2006
pocahontas 1995; pocahontas ii journey to a new world 1998
paranormal activity 2007; paranormal activity 3 2011; paranormal activity 4 2012
scream 2 1997; scream 3 2000
""".strip()
    .replace(";\n", "; ")
    .splitlines()
]


def known_series_hit_rate(
    *, neighbours: pl.DataFrame, films: pl.DataFrame, k: int = 5
) -> dict[str, Any]:
    """Share of the KNOWN_SERIES films in the catalog (per film, any of its records) whose
    first k published neighbours hold another film of their series."""
    film_of = dict(films.select("id", "film").iter_rows())
    records = dict(films.group_by("film").agg("id").iter_rows())
    firsts = neighbours.filter(pl.col("rank") <= k).group_by("movie_id").agg(pl.col("neighbour_id"))
    listed = {movie: [film_of.get(n) for n in found] for movie, found in firsts.iter_rows()}
    hits: list[str] = []
    missed: list[str] = []
    for series in KNOWN_SERIES:
        entries = (entry.rsplit(" ", 1) for entry in series)
        present = [key for t, y in entries if (key := film_key(t, int(y), "movie")) in records]
        for key in present if len(present) >= 2 else []:
            others = set(present) - {key}
            found = any(others.intersection(listed.get(record, ())) for record in records[key])
            (hits if found else missed).append(key.split("|", 2)[2])
    counted = len(hits) + len(missed)
    return {
        "k": k,
        "series": len(KNOWN_SERIES),
        "films": counted,
        "hits": len(hits),
        "hit_rate": round(len(hits) / counted, 4) if counted else 0.0,
        "missed": missed,
    }


def cold_start(
    *,
    catalog: pl.DataFrame,
    ratings: pl.DataFrame | pl.LazyFrame | RatedMatrix,
    blend: Blend,
    seed: int,
    k: int = 5,
) -> dict[str, Any]:
    """Cold HR@k of the blend with and without the series step (module docstring)."""
    index = index_movies(catalog=catalog)
    rated = index_ratings(ratings=ratings, index=index)
    liked = rated.liked(LIKED_RATING)
    per_film = np.asarray(liked.sum(axis=0)).ravel()
    candidates = index.without_placeholder_rows(np.flatnonzero(per_film >= 2))
    count = min(COLD_FILMS, int(len(candidates) * COLD_SHARE))
    result: dict[str, Any] = {"k": k, "hidden_films": count, "seed": seed}
    if count == 0:
        return result | {"queries": 0}
    hidden = np.sort(np.random.default_rng(seed).choice(candidates, size=count, replace=False))
    queries = _cold_queries(liked=liked, users=rated.users, hidden=hidden, index=index)
    # Whole viewers, in a seeded order, while their queries fit in COLD_QUERIES.
    kept, sample = sample_users(
        liked=queries.select("user_id", row="query"), seed=seed, max_queries=COLD_QUERIES
    )
    queries = queries.filter(pl.col("user_id").is_in(kept["user_id"].unique().implode()))
    result |= {"queries": queries.height, "viewers": queries["user_id"].n_unique(), **sample}
    if queries.is_empty():
        return result
    stars = rated.stars.copy()  # without any rating of the hidden films
    stars.data[np.isin(stars.indices, hidden)] = 0
    stars.eliminate_zeros()
    train = RatedMatrix(users=rated.users, stars=stars)
    split = Split(
        seed=seed,
        train=train,
        held_out=train,
        liked=queries,
        sample=sample,
        rows=np.sort(queries["query"].unique().to_numpy()).astype(np.int64),
        head=most_rated(ratings=train, count=HEAD_SIZE),
        order=index.without_placeholder_rows(popularity_order(ratings=train, n_movies=index.size)),
    )
    plain, _ = retrained_lists(index=index, split=split, blend=blend, depth=max(k, NDCG_K))
    rows = pl.DataFrame({"id": index.ids, "row": np.arange(index.size)})
    targets = (  # series_targets in movie rows
        series_targets(detect_series(catalog))
        .join(rows.rename({"id": "query", "row": "query_row"}), on="query")
        .join(rows.rename({"id": "target", "row": "target_row"}), on="target")
        .select(query="query_row", target="target_row", reason="reason")
    )
    film_of = pl.DataFrame({"item": np.arange(index.size), "film": index.groups})
    with_step = place_series(lists=plain, targets=targets, film_of=film_of)
    for name, recommended in (("blend", plain), ("blend_with_series", with_step)):
        scored = _hits(queries=queries, lists=recommended, k=k, index=index)
        # Per (viewer, hidden film): back in the first k of any film that viewer liked.
        per_viewer = scored.group_by("user_id", "hidden").agg(pl.col("hit").any())
        result[name] = {
            "cold_hr_at_k": _mean(per_viewer),
            "hr_interval": list(bootstrap_interval(per_query=per_viewer, seed=seed)),
            "per_query_hr_at_k": _mean(scored),
        }
    return result


def _cold_queries(
    *, liked: sparse.csr_matrix, users: np.ndarray, hidden: np.ndarray, index: MovieIndex
) -> pl.DataFrame:
    """user_id, query (a film they liked, not hidden, not the hidden film's film), hidden."""
    coo = liked.tocoo()
    frame = pl.DataFrame({"user_id": users[coo.row], "row": coo.col.astype(np.int64)})
    is_hidden = pl.col("row").is_in(pl.Series(hidden).implode())
    pairs = (
        frame.filter(is_hidden)
        .rename({"row": "hidden"})
        .join(frame.filter(~is_hidden).rename({"row": "query"}), on="user_id")
    )
    same = index.groups[pairs["query"].to_numpy()] == index.groups[pairs["hidden"].to_numpy()]
    return (
        pairs.filter(~pl.Series(same))
        .select("user_id", "query", "hidden")
        .unique()
        .sort("user_id", "query", "hidden")
    )


def _hits(*, queries: pl.DataFrame, lists: pl.DataFrame, k: int, index: MovieIndex) -> pl.DataFrame:
    """user_id, hidden, hit: per query, the hidden film (any record of it) in the query film's
    first k places."""
    film = index.groups.astype(np.int64)
    first = lists.filter(pl.int_range(0, pl.len()).over("query") < k)
    found = first.select(
        pl.col("query").cast(pl.Int64),
        film=pl.Series(film[first["neighbour"].to_numpy()]),
        found=pl.lit(True),
    ).unique(["query", "film"])
    return (
        queries.with_columns(
            pl.col("query", "hidden").cast(pl.Int64),
            film=pl.Series(film[queries["hidden"].to_numpy()]),
        )
        .join(found, on=["query", "film"], how="left")
        .select("user_id", "hidden", hit=pl.col("found").fill_null(False))
    )


def _mean(frame: pl.DataFrame) -> float:
    hits = frame["hit"].cast(pl.Float64).to_numpy()
    return round(float(hits.mean()), 4) if len(hits) else 0.0


def series_evaluation(
    *,
    catalog: pl.DataFrame,
    ratings: RatedMatrix,
    neighbours: pl.DataFrame,
    films: pl.DataFrame,
    blend: Blend,
    seed: int,
) -> dict[str, Any]:
    """The manifest's evaluation.series: cold start of the shipped blend and the hand-made
    list's hit rate on the published lists, with the targets."""
    return {
        "cold_start": cold_start(catalog=catalog, ratings=ratings, blend=blend, seed=seed),
        "known_series": known_series_hit_rate(neighbours=neighbours, films=films),
        "target_hit_rate": TARGET_HIT_RATE,
    }
