"""Searching from the page, in Chromium against the real stack: suggestions as you type, the
keyboard, picking a title, and "did you mean" when Enter names no title."""

from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

SHOWN = 5


def searches(page) -> list[str]:
    """The `q` of every /search request the page makes from now on."""
    asked: list[str] = []

    def record(request) -> None:
        parts = urlsplit(request.url)
        if parts.path == "/search":
            asked.append(parse_qs(parts.query)["q"][0])

    page.on("request", record)
    return asked


def test_type_pick_a_suggestion_see_five_recommendations(page_stack, open_page,
                                                         hand_written_model):
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
    assert "the long night" in titles
    assert "another long night" in titles
    first = options.nth(titles.index("the long night"))
    assert "Netflix" in first.text_content()
    assert "2020" in first.text_content()
    assert "Film" in first.text_content()

    for _ in range(titles.index("the long night") + 1):
        box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant",
                                  options.nth(titles.index("the long night")).get_attribute("id"))
    box.press("Enter")

    expect(page.locator("#title-view-heading")).to_have_text("the long night")
    expect(page).to_have_url(f"{page_stack.gateway}/#/titles/ns1")
    cards = page.locator("#title-view .card h4")
    expect(cards).to_have_count(SHOWN)
    model = hand_written_model
    assert [t.strip() for t in cards.all_text_contents()] == [
        model.movies[other] for other, _, _ in model.neighbours_of_ns1[:SHOWN]]
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
    assert "the long night" in names
    offered.nth(names.index("the long night")).click()
    expect(heading).to_have_text("the long night")
    expect(page.locator("#title-view .card")).to_have_count(SHOWN)


def test_enter_on_an_exact_title_opens_it(page_stack, open_page):
    page = open_page(page_stack.gateway)
    page.goto("/")
    page.locator("#search-input").fill("Another Long Night!")
    page.locator("#search-input").press("Enter")
    expect(page.locator("#title-view-heading")).to_have_text("another long night")
    expect(page).to_have_url(f"{page_stack.gateway}/#/titles/ns2")


def test_nothing_close_says_so(page_stack, open_page):
    page = open_page(page_stack.gateway)
    page.goto("/")
    page.locator("#search-input").press_sequentially("zzqxw", delay=20)
    expect(page.locator("#search-status")).to_have_text("No title matches “zzqxw”.")
    expect(page.locator("#search-listbox")).to_be_hidden()
