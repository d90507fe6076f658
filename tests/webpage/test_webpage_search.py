"""Searching from the page, in Chromium against the real stack: suggestions as you type, the
keyboard, picking a title, and "did you mean" when Enter names no title."""

import json
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import urlopen

from playwright.sync_api import expect

SHOWN = 6


def searches(page) -> list[str]:
    """The `q` of every /search request the page makes from now on."""
    asked: list[str] = []

    def record(request) -> None:
        parts = urlsplit(request.url)
        if parts.path == "/search":
            asked.append(parse_qs(parts.query)["q"][0])

    page.on("request", record)
    return asked


def test_type_pick_a_suggestion_see_six_recommendations(page_stack, open_page,
                                                        hand_written_model, sample_titles):
    page = open_page(page_stack.gateway)
    page.goto("/")
    asked = searches(page)
    box = page.locator("#search-input")
    box.press_sequentially("long ni", delay=40)
    options = page.locator("#search-listbox [role=option]")
    expect(options.first).to_be_visible()
    # Debounced: fewer questions than keystrokes (one, unless the machine stalls the typing),
    # the last one with the whole text.
    assert 1 <= len(asked) < len("long ni")
    assert asked[-1] == "long ni"
    titles = [t.strip() for t in page.locator("#search-listbox .option-title").all_text_contents()]
    # As the platform's file spells them.
    assert "The Long Night" in titles
    assert "ANOTHER Long Night" in titles
    first = options.nth(titles.index("The Long Night"))
    assert "Netflix" in first.text_content()
    assert "2020" in first.text_content()
    assert "Film" in first.text_content()

    for _ in range(titles.index("The Long Night") + 1):
        box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant",
                                  options.nth(titles.index("The Long Night")).get_attribute("id"))
    box.press("Enter")

    expect(page.locator("#title-view-heading")).to_have_text("The Long Night")
    expect(page).to_have_url(f"{page_stack.gateway}/#/titles/ns1")
    cards = page.locator("#title-view .card h4")
    expect(cards).to_have_count(SHOWN)
    model = hand_written_model
    assert [t.strip() for t in cards.all_text_contents()] == [
        sample_titles[other] for other, _, _ in model.neighbours_of_ns1[:SHOWN]]
    expect(box).to_have_attribute("aria-expanded", "false")


def test_arrow_keys_wrap_and_escape_closes(page_stack, open_page):
    page = open_page(page_stack.gateway)
    page.goto("/")
    box = page.locator("#search-input")
    box.press_sequentially("night", delay=20)
    options = page.locator("#search-listbox [role=option]")
    expect(options.first).to_be_visible()
    count = options.count()
    assert count >= 2
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("ArrowUp")  # from nothing, up lands on the last
    expect(options.nth(count - 1)).to_have_attribute("aria-selected", "true")
    box.press("ArrowDown")  # and down from the last wraps to the first
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    expect(options.nth(count - 1)).to_have_attribute("aria-selected", "false")
    box.press("Escape")
    expect(page.locator("#search-listbox")).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).not_to_have_attribute("aria-activedescendant", options.nth(0).get_attribute("id"))


def test_enter_on_a_misspelt_title_offers_did_you_mean(page_stack, open_page):
    page = open_page(page_stack.gateway)
    page.goto("/")
    box = page.locator("#search-input")
    box.fill("the long nigth")
    box.press("Enter")
    heading = page.locator("#title-view-heading")
    expect(heading).to_have_text("No title matches “the long nigth”.")
    offered = page.locator("#title-view .suggestion")
    expect(offered.first).to_be_visible()
    names = [t.strip() for t in offered.all_text_contents()]
    assert "The Long Night" in names
    offered.nth(names.index("The Long Night")).click()
    expect(heading).to_have_text("The Long Night")
    expect(page.locator("#title-view .card")).to_have_count(SHOWN)


def test_enter_on_an_exact_title_opens_it(page_stack, open_page):
    page = open_page(page_stack.gateway)
    page.goto("/")
    page.locator("#search-input").fill("Another Long Night!")
    page.locator("#search-input").press("Enter")
    expect(page.locator("#title-view-heading")).to_have_text("ANOTHER Long Night")
    expect(page).to_have_url(f"{page_stack.gateway}/#/titles/ns2")


def test_nothing_close_says_so(page_stack, open_page):
    page = open_page(page_stack.gateway)
    page.goto("/")
    page.locator("#search-input").press_sequentially("zzqxw", delay=20)
    expect(page.locator("#search-status")).to_have_text("No title matches “zzqxw”.")
    expect(page.locator("#search-listbox")).to_be_hidden()


def test_the_search_box_follows_the_title_a_card_opens(page_stack, open_page,
                                                      hand_written_model, sample_titles):
    page = open_page(page_stack.gateway)
    page.goto("/")
    box = page.locator("#search-input")
    box.press_sequentially("long ni", delay=20)
    page.locator("#search-listbox [role=option]").first.wait_for()
    box.press("ArrowDown")
    box.press("Enter")
    expect(box).to_have_value(sample_titles["ns1"])
    page.locator("#title-view .card a").first.click()
    first = hand_written_model.neighbours_of_ns1[0][0]
    expect(page.locator("#title-view-heading")).to_have_text(sample_titles[first])
    expect(box).to_have_value(sample_titles[first])
    page.go_back()
    expect(box).to_have_value(sample_titles["ns1"])


def test_suggestions_far_below_the_best_are_not_shown(page_stack, open_page):
    # The API answers look-alikes too ("nite drive" -> "unrated wonder" at 50); the page keeps
    # those within 80% of the best match's similarity.
    query = urlencode({"q": "nite drive", "limit": 8})
    with urlopen(f"{page_stack.gateway}/search?{query}", timeout=10) as answer:
        hits = json.load(answer)["results"]
    best = max(hit["similarity"] for hit in hits)
    expected = [hit["display_title"] for hit in hits if hit["similarity"] >= 0.8 * best]
    assert expected == ["Night Drive", "Morning Drive"]
    assert len(hits) > len(expected)
    page = open_page(page_stack.gateway)
    page.goto("/")
    page.locator("#search-input").press_sequentially("nite drive", delay=20)
    options = page.locator("#search-listbox .option-title")
    expect(options).to_have_text(expected)
