"""The guided demo: every public gateway route with real arguments, its errors, and the model.

Arguments come from the data served (a movie found by search or by reading title pages); the
model's record from the recsys service (RECSYS_URL), as the gateway has no model route. Exits 1
if any call fails or answers something unexpected.
"""

import argparse
import collections
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Column, Table
from rich.text import Text

PROBE_NUMBERS = range(1, 31)  # show numbers tried per platform letter when looking for a movie
PROBE_LETTERS = "nahd"  # netflix, amazon, hulu, disney: catalog ids are <letter>s<number>
# Films a reader knows, tried first (by search) so the demo shows recommendations one can judge;
# a dataset without them (the hand-written sample) falls back to reading title pages.
WELL_KNOWN = (
    "toy story",
    "frozen",
    "the lion king",
    "finding nemo",
    "the matrix",
    "jurassic park",
    "pulp fiction",
)
# What each signal of the blend means to a reader, and its name after "with 0.3 of".
SIGNALS = {
    "ease": ("EASE (people who liked X also liked Y)", "EASE"),
    "bm25": ("BM25 (films the same viewers liked)", "BM25 co-liking"),
    "content": ("content similarity (genres, people, story)", "content similarity"),
}


class DemoFailure(Exception):
    """A call got no answer, or the demo has nothing to ask about."""


@dataclass
class Demo:
    """One gateway client, the console, the table being filled, and every failure met."""

    client: httpx.Client
    console: Console
    failures: list[str] = field(default_factory=list)
    table: Table = field(default_factory=Table)

    def get(
        self, path: str, params: dict[str, Any] | None = None, body: Any = None
    ) -> httpx.Response:
        """GET, or POST `body` as JSON; a 429 (the demo asks ~40 questions a second, past the
        gateway's per-client limit) is asked again once, after its Retry-After."""
        method = "GET" if body is None else "POST"
        try:
            for _ in range(2):
                response = self.client.request(method, path, params=params, json=body)
                if response.status_code != 429:
                    break
                time.sleep(min(float(response.headers.get("retry-after", "1") or 1), 5.0))
            return response
        except httpx.HTTPError as exc:
            raise DemoFailure(f"{method} {path} did not answer: {exc!r}") from exc

    @contextmanager
    def section(self, title: str) -> Iterator[None]:
        """A table of the calls made inside, printed at the end."""
        self.table = Table(
            Column("request", style="cyan", no_wrap=True),
            Column("status", no_wrap=True),
            Column("answer", overflow="fold", ratio=1),
            Column("time", justify="right", no_wrap=True),
            title=title,
            title_justify="left",
            expand=True,
        )
        yield
        self.console.print(self.table)

    def call(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        check: Any,
        expect: int = 200,
        summary: Any = None,
        body: Any = None,
    ) -> Any:
        """One request, one table row; a wrong status or answer is recorded as a failure."""
        # A body is printed below the table (it would squeeze the answer column).
        asked = f"POST {path} (body below)" if body else str(httpx.URL(path, params=params))
        try:
            response = self.get(path, params, body)
        except DemoFailure as exc:
            self.failures.append(str(exc))
            self.table.add_row(Text(asked), "[red]no answer", Text(str(exc)), "")
            return None
        is_json = response.headers.get("content-type", "").startswith("application/json")
        answer = response.json() if is_json else response.text
        problem = None
        if response.status_code != expect:
            problem = f"expected HTTP {expect}, got {response.status_code}"
        elif not check(answer):
            problem = "the answer does not have the promised shape"
        raw = repr(answer) if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
        shown = summary(answer) if summary and not problem else raw
        status = f"[{'red' if problem else 'green'}]{response.status_code}"
        elapsed = f"{1000 * response.elapsed.total_seconds():.0f} ms"
        self.table.add_row(Text(asked), status, Text(shown), elapsed)
        if problem:
            self.failures.append(f"{'POST' if body else 'GET'} {asked}: {problem}: {raw}")
            return None
        return answer


def is_text(body: Any) -> bool:
    return isinstance(body, str) and body != ""


def is_int(body: Any) -> bool:
    return isinstance(body, int) and not isinstance(body, bool) and body >= 0


def titles(most: int, least: int = 1) -> Any:
    """A check: a list of `least` to `most` titles."""
    return lambda b: (
        isinstance(b, list) and least <= len(b) <= most and all(isinstance(t, str) for t in b)
    )


def items(page: dict[str, Any]) -> list[dict[str, Any]]:
    return list(page["recommendations"]["items"])


def recommended(page: dict[str, Any], kind: str = "movie") -> bool:
    """A title page of `kind` ("movie", "tv show") that has recommendations."""
    return page["title"]["type"] == kind and bool(items(page))


def usable(page: dict[str, Any]) -> bool:
    """A movie page the queries can be asked about: recommendations, cast, country, score."""
    record = page["title"]
    has_text = bool(record.get("cast") and record.get("country"))
    return recommended(page) and has_text and record.get("score") is not None


def title_pages(demo: Demo) -> Iterator[tuple[int, dict[str, Any]]]:
    """(pages tried so far, page) for every title page found at the ids tried."""
    ids = (f"{letter}s{number}" for number in PROBE_NUMBERS for letter in PROBE_LETTERS)
    for tried, title_id in enumerate(ids, 1):
        response = demo.get(f"/titles/{title_id}")
        if response.status_code == 200:
            yield tried, response.json()


def find_movie(demo: Demo) -> dict[str, Any]:
    """A WELL_KNOWN usable movie (found by search), else the first one among the title pages."""
    for title in WELL_KNOWN:
        response = demo.get("/search", {"q": title, "limit": 3})
        for hit in response.json()["results"] if response.status_code == 200 else []:
            if (hit["title"], hit["type"]) != (title, "movie"):
                continue
            answer = demo.get(f"/titles/{hit['id']}")
            if answer.status_code == 200 and usable(answer.json()):
                found: dict[str, Any] = answer.json()
                shown = escape(found["title"].get("display_title") or title)
                demo.console.print(f"A film most people know: [bold]{shown}[/] ({hit['id']}).")
                return found
    fallback: dict[str, Any] | None = None
    for tried, page in title_pages(demo):
        if recommended(page):
            fallback = fallback or page
            if usable(page):
                record = page["title"]
                demo.console.print(
                    f"Read {tried} title pages to pick a movie the data holds: "
                    f"[bold]{escape(record['title'])}[/] ({record['id']})."
                )
                return page
    if fallback is None:
        raise DemoFailure(
            f"none of the {len(PROBE_NUMBERS) * len(PROBE_LETTERS)} title pages tried is a movie "
            "with recommendations: is the recommender published (make up)?"
        )
    return fallback


def queries(demo: Demo, movie: dict[str, Any]) -> None:
    """The six analytical queries, asked about the chosen movie's platform, year and country."""
    platform, year = movie["platform"], movie["release_year"]
    score = movie.get("score") or 0
    country = (movie.get("country") or "united states").split(",")[0].strip()
    with demo.section(f"The six queries, about {platform} and {year}"):
        longest = {"year": year, "platform": platform, "duration_type": "min"}
        demo.call("/get_max_duration", longest, check=is_text)
        # The chosen movie itself scores above score - 1, so the count is at least 1.
        scored = {"platform": platform, "scored": max(0, score - 1), "year": year}
        demo.call("/get_score_count", scored, check=lambda b: is_int(b) and b >= (score > 0))
        demo.call("/get_count_platform", {"platform": platform}, check=lambda b: is_int(b) and b)
        demo.call("/get_actor", {"platform": platform, "year": year}, check=is_text)
        produced = {"tipo": "pelicula", "pais": country, "anio": year}
        demo.call(
            "/prod_per_county",
            produced,
            check=lambda b: isinstance(b, dict) and is_int(b.get("pelicula")),
        )
        demo.call("/get_contents", {"rating": movie["rating"]}, check=lambda b: is_int(b) and b)


def page_summary(page: dict[str, Any]) -> str:
    """A title page in one line: the record's main fields and how many recommendations."""
    keys = ("title", "platform", "release_year", "director", "country", "rating", "score")
    fields = ", ".join(f"{key}: {page['title'].get(key)}" for key in keys)
    return f"{{{fields}, ...}} + {len(items(page))} recommendations with reasons (below)"


def recommendations(demo: Demo, page: dict[str, Any]) -> None:
    """The recommendation route, then the title page with the reason for each neighbour."""
    movie = page["title"]
    with demo.section("Recommendations"):
        demo.call("/get_recommendation", {"titulo": movie["title"]}, check=titles(5, 5))
        answer = demo.call(
            f"/titles/{movie['id']}",
            summary=page_summary,
            check=lambda b: isinstance(b, dict) and b["recommendations"]["available"],
        )
    if answer:
        reasons = Table(
            *("#", "recommended", "score", "where to watch", "reason"),
            title=f"GET /titles/{movie['id']}: why each movie is recommended for "
            f"'{movie['title']}'",
            title_justify="left",
        )
        for rank, item in enumerate(items(answer), 1):
            where = ", ".join(item.get("available_on", []))
            score, reason = f"{item['score']:.3f}", Text(item["reason"])
            reasons.add_row(str(rank), Text(item["title"]), score, where, reason)
        demo.console.print(reasons)


def subscriptions(demo: Demo, page: dict[str, Any]) -> None:
    """Once each: a platform filter, where to watch, a TV show, "I liked these", search."""
    movie, neighbours = page["title"], items(page)
    # A platform one of the recommendations is on, other than the movie's own if possible.
    offered = [p for item in neighbours for p in item.get("available_on", [])]
    platform = next((p for p in offered if p != movie["platform"]), movie["platform"])
    liked = [movie["title"], neighbours[0]["title"], misspelt(movie["title"]) + " ii"]
    taste = {"liked": liked, "n": 5}
    with demo.section("For people with several subscriptions"):
        on = {"titulo": movie["title"], "platform": platform}
        demo.call("/get_recommendation", on, check=titles(5))
        demo.call(
            f"/titles/{movie['id']}",
            {"platform": platform},
            check=lambda b: bool(items(b)) and all(platform in i["available_on"] for i in items(b)),
            summary=lambda b: (
                "where to watch: "
                + "; ".join(f"{i['title']} ({', '.join(i['available_on'])})" for i in items(b))
            ),
        )
        show = next((page for _, page in title_pages(demo) if recommended(page, "tv show")), None)
        if show is None:
            demo.failures.append("no TV show with recommendations among the title pages read")
        else:
            demo.call("/get_recommendation", {"titulo": show["title"]["title"]}, check=titles(5))
            demo.call(
                f"/titles/{show['title']['id']}",
                check=lambda b: all(i["type"] == "tv show" for i in items(b)),
                summary=lambda b: (
                    "a show gets shows: "
                    + ", ".join(f"{i['title']} ({i['type']})" for i in items(b))
                ),
            )
        demo.call(
            "/recommendations",
            body=taste,
            check=lambda b: (
                bool(b["items"])
                and len(b["unknown"]) == 1
                and not {i["title"] for i in b["items"]} & set(liked)
            ),
            summary=lambda b: (
                "; ".join(f"{i['title']} {i['score']:.2f} ({i['reason']})" for i in b["items"])
                + f"; unknown: {b['unknown'][0]['query']!r}, did you mean "
                + ", ".join(b["unknown"][0]["suggestions"][:3])
            ),
        )
        typed = movie["title"][: max(3, len(movie["title"]) // 2)]
        demo.call(
            "/search",
            {"q": typed, "limit": 5},
            check=lambda b: movie["title"] in [h["title"] for h in b["results"]],
            summary=lambda b: "; ".join(
                f"{h['title']} ({h['type']}, {h['release_year']}, {', '.join(h['available_on'])})"
                for h in b["results"]
            ),
        )
    demo.console.print(Text(f"POST /recommendations body: {json.dumps(taste)}"))


def misspelt(title: str) -> str:
    """The title with one letter dropped from its longest word: a typo a user could make."""
    words = title.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    words[longest] = word[: len(word) // 2] + word[len(word) // 2 + 1 :]
    return " ".join(words) if len(word) > 1 else title + "x"


def errors(demo: Demo, movie: dict[str, Any]) -> None:
    """A 404 with 'did you mean' suggestions and a 422 naming the bad parameter."""
    with demo.section("Errors: one shape, a sentence, and help where there is some"):
        demo.call(
            "/get_recommendation",
            {"titulo": misspelt(movie["title"])},
            expect=404,
            check=lambda b: (
                isinstance(b, dict)
                and b.get("parameter") == "titulo"
                and isinstance(b.get("suggestions"), list)
                and len(b["suggestions"]) >= 1
            ),
        )
        demo.call(
            "/get_count_platform",
            {"platform": "hbo"},
            expect=422,
            check=lambda b: isinstance(b, dict) and b.get("parameter") == "platform",
        )


MODEL_STORY = (
    "Version [bold]{version}[/] (published {published_at}; {movies_with_neighbours} of {movies} "
    "titles have neighbours), read from GET {url}/v1/model (the gateway has no model route).\n"
    "What ships: [bold]{blend_sentence}[/]\n"
    "Evaluated before publishing: {held_out_users} users ({held_out_share} of them, seed {seed}) "
    "are held out; HR@{k} asks whether the {k} recommendations for a movie one of them liked "
    "(rated {liked_rating}+) hold another they liked, tail HR@{k} counts hits outside the "
    "{tail_cutoff} most-rated only. The blend ships only if no single signal beats it on both."
)


def blend_sentence(blend: Any, *, places: int = 5) -> str:
    """The shipped blend as a reader can take it: "EASE (people who liked X also liked Y) with
    0.3 of content similarity; 2 of every 5 places go to less-watched films." """
    if not isinstance(blend, dict):
        return "the served version does not record its blend."
    weights = {name: float(blend.get(name) or 0) for name in SIGNALS}
    lead = max(weights, key=lambda name: weights[name])  # ties: SIGNALS' order
    if weights[lead] <= 0:
        return "the served version records no signal in its blend."
    others = [
        f"{weights[name] / weights[lead]:.2g} of {SIGNALS[name][1]}"
        for name in SIGNALS
        if name != lead and weights[name] > 0
    ]
    sentence = SIGNALS[lead][0] + (f" with {' and '.join(others)}" if others else "")
    if tail := int(blend.get("tail") or 0):
        sentence += f"; {tail} of every {places} places go to less-watched films"
    return sentence + "."


def explain_model(demo: Demo, recsys_url: str) -> None:
    """How the recommender is trained and evaluated, with the served version's own numbers."""
    try:
        served = demo.get(f"{recsys_url}/v1/model").raise_for_status().json()
    except (DemoFailure, httpx.HTTPStatusError) as exc:
        demo.failures.append(str(exc))
        demo.console.print(f"[red]{escape(str(exc))}")
        return
    model, metrics = served.get("model") or {}, served.get("metrics") or {}
    k = metrics.get("k", 5)
    share = metrics.get("holdout_fraction")
    known = {key: value for key, value in {**served, **metrics}.items() if value is not None}
    values = collections.defaultdict(lambda: "?", known)
    values.update(
        k=k,
        url=recsys_url,
        held_out_share=f"{share:.0%}" if isinstance(share, float) else "?",
        blend_sentence=escape(blend_sentence(model.get("blend"), places=k)),
    )
    text = MODEL_STORY.format_map(values)
    demo.console.print(Panel(text, title="How the recommender is trained and evaluated"))
    if not (models := metrics.get("models")):
        demo.console.print("[yellow]The served version carries no offline metrics.")
        return
    columns = (f"HR@{k}", f"tail HR@{k}", "queries", "distinct movies")
    table = Table(
        "model",
        *(Column(column, justify="right") for column in columns),
        title=f"Offline evaluation of version {served['version']}",
        title_justify="left",
    )
    for name, scores in models.items():
        rates = [f"{scores.get(key, 0):.4f}" for key in ("hr_at_k", "tail_hr_at_k")]
        counts = [str(scores.get(key, "")) for key in ("queries", "distinct_recommended")]
        table.add_row(name, *rates, *counts)
    demo.console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    gateway = os.environ.get("GATEWAY_URL") or "http://127.0.0.1:8000"
    recsys = os.environ.get("RECSYS_URL") or "http://127.0.0.1:8102"
    parser.add_argument("--gateway-url", default=gateway)
    parser.add_argument("--recsys-url", default=recsys)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per call")
    args = parser.parse_args(argv)
    console = Console(width=max(100, Console().width))
    started = time.perf_counter()
    console.rule(f"Demo of the public API at {args.gateway_url}")
    with httpx.Client(base_url=args.gateway_url, timeout=args.timeout) as client:
        demo = Demo(client=client, console=console)
        try:
            ready = demo.get("/readyz")
            # "degraded" (one internal service down) serves only part of the API.
            if ready.status_code != 200 or ready.json().get("status") != "ready":
                raise DemoFailure(f"the gateway is not ready: {ready.text[:300]}")
            page = find_movie(demo)
        except DemoFailure as exc:
            console.print(
                f"[red bold]Cannot run the demo:[/] {escape(str(exc))}\nStart the "
                "stack with `make up` (or point --gateway-url / GATEWAY_URL at a "
                "running one)."
            )
            return 1
        queries(demo, page["title"])
        recommendations(demo, page)
        subscriptions(demo, page)
        errors(demo, page["title"])
        explain_model(demo, args.recsys_url.rstrip("/"))
    seconds = time.perf_counter() - started
    if demo.failures:
        console.print(f"[red bold]{len(demo.failures)} call(s) failed[/] ({seconds:.1f}s):")
        for failure in demo.failures:
            console.print(f"  - {failure}", markup=False)
        return 1
    console.print(f"[green bold]Every call answered as promised[/] ({seconds:.1f}s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
