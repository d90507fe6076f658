"""The platform filter and "I liked these" in Chromium against the real stack.

Expected lists are computed here from the published neighbour lists (conftest.page_neighbours)
and the catalog id's platform letter (the sample lists each film on one platform only).
"""

import re
from collections import defaultdict
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

PLATFORM_OF_LETTER = {"a": "amazon", "d": "disney", "h": "hulu", "n": "netflix"}
SHOWN = 6


def cards(page, where: str = "#title-view"):
    return page.locator(f"{where} .card h4")


def platform_box(page, platform: str):
    return page.get_by_role("checkbox", name=platform)


def titles_asked(page) -> list[dict[str, list[str]]]:
    """The query of every /titles/... request the page makes from now on."""
    asked: list[dict[str, list[str]]] = []
    page.on("request", lambda r: asked.append(parse_qs(urlsplit(r.url).query))
            if urlsplit(r.url).path.startswith("/titles/") else None)
    return asked


def test_ticking_a_platform_shows_only_its_titles_and_is_remembered(
        page_stack, open_page, page_neighbours, sample_titles):
    names = sample_titles
    page = open_page(page_stack.gateway)
    page.goto("/#/titles/ns1")
    expect(cards(page)).to_have_count(SHOWN)
    asked = titles_asked(page)

    platform_box(page, "Netflix").check()
    on_netflix = [names[o] for o, _, _ in page_neighbours["ns1"]
                  if PLATFORM_OF_LETTER[o[0]] == "netflix"]
    expect(cards(page)).to_have_text(on_netflix)
    expect(page.locator("#recs-heading")).to_have_text("Like it, on Netflix")
    assert asked[-1] == {"platform": ["netflix"]}  # the API was asked again, filtered
    for badges in page.locator("#title-view .card .badges").all():
        expect(badges.locator(".platform")).to_have_text(["Netflix"])

    platform_box(page, "Hulu").check()
    on_either = [names[o] for o, _, _ in page_neighbours["ns1"]
                 if PLATFORM_OF_LETTER[o[0]] in ("netflix", "hulu")][:SHOWN]
    expect(cards(page)).to_have_text(on_either)
    assert sorted(asked[-1]["platform"]) == ["hulu", "netflix"]

    # Remembered on this device: a new visit starts with the same services ticked.
    page.reload()
    expect(platform_box(page, "Netflix")).to_be_checked()
    expect(platform_box(page, "Hulu")).to_be_checked()
    expect(platform_box(page, "Disney+")).not_to_be_checked()
    expect(cards(page)).to_have_text(on_either)

    platform_box(page, "Netflix").uncheck()
    platform_box(page, "Hulu").uncheck()
    expect(cards(page)).to_have_count(SHOWN)
    expect(page.locator("#recs-heading")).to_have_text("Like it")


def test_a_filter_that_leaves_nothing_says_so(page_stack, open_page, page_neighbours):
    assert not any(PLATFORM_OF_LETTER[o[0]] == "disney" for o, _, _ in page_neighbours["ns2"])
    page = open_page(page_stack.gateway)
    page.goto("/#/titles/ns2")
    expect(cards(page)).to_have_count(len(page_neighbours["ns2"]))
    platform_box(page, "Disney+").check()
    notice = page.locator("#title-view .recommendations .notice-info")
    expect(notice).to_contain_text("Nothing to show on Disney+.")
    expect(cards(page)).to_have_count(0)
    # The record is still there: only the recommendations were filtered.
    expect(page.locator("#title-view-heading")).to_have_text("ANOTHER Long Night")


def taste(neighbours: dict[str, list[tuple[str, float, str]]],
          liked: list[str]) -> list[tuple[str, list[str]]]:
    """By hand: each candidate's score is the sum of its scores in the liked lists; liked
    titles never come back. -> [(id, liked ids it comes from, best first)], best first."""
    totals: dict[str, float] = defaultdict(float)
    sources: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for movie in liked:
        for other, score, _ in neighbours[movie]:
            if other not in liked:
                totals[other] += score
                sources[other].append((score, movie))
    ranked = sorted(totals, key=lambda other: -totals[other])
    return [(other, [m for _, m in sorted(sources[other], reverse=True)]) for other in ranked]


def test_liked_titles_get_a_list_for_that_taste(page_stack, open_page, page_neighbours,
                                               sample_titles):
    names = sample_titles
    page = open_page(page_stack.gateway)
    page.goto("/#/titles/ns1")
    like = page.locator("#title-view .like")
    like.click()  # "I liked this" on the title view
    expect(like).to_have_attribute("aria-pressed", "true")
    box = page.locator("#liked-input")
    box.press_sequentially("another long", delay=20)  # and one picked from the suggestions
    page.locator("#liked-listbox [role=option]", has_text="ANOTHER Long Night").click()
    expect(page.locator("#liked-list .chip .title-text")).to_have_text(
        ["The Long Night", "ANOTHER Long Night"])
    with page.expect_request(lambda request: request.method == "POST") as sent:
        page.get_by_role("button", name="Get six for these").click()
    # Picked films go by id (a title two films share would be taken as the more rated one).
    assert sent.value.post_data_json["liked"] == [{"id": "ns1"}, {"id": "ns2"}]
    expect(page.locator("#liked-results .taken-as")).to_contain_text(
        re.compile("the long night", re.IGNORECASE))

    expected = taste(page_neighbours, ["ns1", "ns2"])
    expect(cards(page, "#liked-results")).to_have_text([names[o] for o, _ in expected])
    reasons = page.locator("#liked-results .card .reason")
    for i, (_, sources) in enumerate(expected):
        for source in sources:
            expect(reasons.nth(i)).to_contain_text(names[source])
    # Night drive is on both lists: its reason names both liked titles; last tango only one.
    both = [names[o] for o, sources in expected if len(sources) == 2]
    assert both == ["Night Drive"]


def test_an_unknown_liked_title_offers_did_you_mean(page_stack, open_page, page_neighbours,
                                                   sample_titles):
    page = open_page(page_stack.gateway)
    page.goto("/")
    box = page.locator("#liked-input")
    box.fill("the long nigth")
    box.press("Enter")  # typed, not picked: the API decides
    page.get_by_role("button", name="Get six for these").click()
    warning = page.locator("#liked-results .notice-warn")
    expect(warning).to_contain_text("No title matches “the long nigth”.")
    offered = warning.locator(".suggestion")
    expect(offered.first).to_be_visible()
    offered.filter(has_text="the long night").click()
    expect(page.locator("#liked-list .chip .title-text")).to_have_text(["the long night"])
    expected = [sample_titles[o] for o, _, _ in page_neighbours["ns1"]][:SHOWN]
    expect(cards(page, "#liked-results")).to_have_text(expected)


def test_recommender_down_the_taste_list_says_so(stack_without_recsys, open_page):
    page = open_page(stack_without_recsys.gateway)
    page.goto("/")
    page.locator("#liked-input").fill("the long night")
    page.locator("#liked-input").press("Enter")
    page.get_by_role("button", name="Get six for these").click()
    expect(page.locator("#liked-results .notice-warn")).to_contain_text(
        "The recommender is down right now.")


def test_the_kids_switch_asks_for_kids_titles_and_is_remembered(page_stack, open_page):
    page = open_page(page_stack.gateway)
    page.goto("/#/titles/ns1")
    expect(cards(page)).to_have_count(SHOWN)
    asked = titles_asked(page)

    page.get_by_role("checkbox", name="Kids only").check()
    expect(page.locator("#title-view")).not_to_have_attribute("aria-busy", "true")
    assert asked[-1] == {"max_age": ["kids"]}  # the API was asked again, for kids

    page.reload()
    expect(page.get_by_role("checkbox", name="Kids only")).to_be_checked()
    page.get_by_role("checkbox", name="Kids only").uncheck()
    expect(cards(page)).to_have_count(SHOWN)
    assert "max_age" not in asked[-1]
