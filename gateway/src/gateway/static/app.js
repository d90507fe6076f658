// The page: search, a title's record and recommendations, the platform filter, "I liked these".

import { recommendationsFor, search, titlePage } from "./api.js";
import { combobox } from "./combobox.js";
import { badges, el, normalise, notice, PLATFORM_NAMES, platformWords, shownTitle } from "./dom.js";

// Six: the words on the page say so, and six fill the grid's one, two or three columns.
const SHOWN_RECOMMENDATIONS = 6;
const MAX_LIKED = 20; // what POST /recommendations accepts
const STORE = { platforms: "what-to-watch.platforms", liked: "what-to-watch.liked",
  kids: "what-to-watch.kids" };

const $ = (selector) => document.querySelector(selector);
const view = $("#title-view");
const announce = $("#announce");
// A liked film: { id, title, year } when picked (the API takes the id: the film meant, not a
// namesake), { title } when typed (the API takes the film people mean most often).
const state = { titleId: null, liked: loadLiked(), likedAsked: false };
let titleTicket = 0; // only the newest title answer is drawn
let likedTicket = 0;

function load(key) {
  try {
    const value = JSON.parse(localStorage.getItem(key) ?? "[]");
    return Array.isArray(value) ? value.filter((item) => typeof item === "string") : [];
  } catch {
    return []; // storage off (private mode) or garbled: start afresh
  }
}

function loadLiked() {
  try {
    const value = JSON.parse(localStorage.getItem(STORE.liked) ?? "[]");
    if (!Array.isArray(value)) return [];
    // A title kept by an older page is a film typed by name.
    return value.map((item) => (typeof item === "string" ? { title: item } : item))
      .filter((item) => typeof item?.title === "string");
  } catch {
    return [];
  }
}

const sameFilm = (a, b) => (a.id && b.id ? a.id === b.id : normalise(a.title) === normalise(b.title));
const likedLabel = (item) => (item.year ? `${item.title} (${item.year})` : item.title);

function save(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage off: the choice lasts until the page closes
  }
}

function say(text) {
  announce.textContent = text;
}

// ---- "only on my services" ----

function myPlatforms() {
  return [...document.querySelectorAll("#platforms input[name=platform]:checked")]
    .map((input) => input.value);
}

// The "kids only" switch: recommendations for kids' titles only (max_age=kids).
function maxAge() {
  return $("#kids-only").checked ? "kids" : null;
}

function setUpPlatforms() {
  const chosen = new Set(load(STORE.platforms));
  const kids = $("#kids-only");
  kids.checked = load(STORE.kids).includes("kids");
  kids.addEventListener("change", () => {
    save(STORE.kids, kids.checked ? ["kids"] : []);
    if (state.titleId) showTitle(state.titleId);
    if (state.likedAsked) recommendLiked();
  });
  const box = $("#platforms .platform-choices");
  for (const [value, name] of Object.entries(PLATFORM_NAMES)) {
    box.append(el("label", { class: `platform-choice platform-${value}` },
      el("input", { type: "checkbox", name: "platform", value, checked: chosen.has(value) }), name));
  }
  box.addEventListener("change", () => {
    save(STORE.platforms, myPlatforms());
    if (state.titleId) showTitle(state.titleId);
    if (state.likedAsked) recommendLiked();
  });
}

// ---- a title: its record and recommendations ----

function duration(record) {
  if (!record.duration_int) return null;
  if (record.duration_type === "min") return `${record.duration_int} min`;
  return `${record.duration_int} ${record.duration_int === 1 ? "season" : "seasons"}`;
}

// The catalog's `score` column is not shown: it is uniform noise, no rating. What viewers
// rated, with how many ratings, is the signal there is.
function viewersRating(record) {
  if (!record.rating_count || record.avg_rating == null) return null;
  const count = record.rating_count.toLocaleString("en");
  return `${record.avg_rating.toFixed(1)} out of 5, from ${count} ${record.rating_count === 1 ? "rating" : "ratings"}`;
}

function facts(record) {
  const names = [["Director", record.display_director ?? record.director],
    ["Cast", record.display_cast ?? record.cast], ["Genres", record.display_listed_in ?? record.listed_in]];
  const others = [["Duration", duration(record)], ["Age rating", record.rating?.toUpperCase()]];
  const row = (kind) => ([name, value]) => (value ? el("div", { class: kind }, el("dt", {}, name), el("dd", {}, value)) : null);
  // Countries are kept lowercase only; their names capitalise cleanly.
  return el("dl", { class: "facts" }, names.map(row(null)), row("capitalise")(["Country", record.country]),
    others.map(row(null)));
}

function likeButton(film) {
  const liked = state.liked.some((item) => sameFilm(item, film));
  return el("button", {
    type: "button", class: "like", "aria-pressed": String(liked),
    onclick: (event) => {
      if (event.currentTarget.getAttribute("aria-pressed") === "true") removeLiked(film);
      else addLiked(film);
    },
  }, "I liked this");
}

// The film a record or a search hit is, as the liked list keeps it.
const filmOf = (record) => ({ id: record.id, title: shownTitle(record), year: record.release_year ?? null });

// The record in two parts: what a phone shows before the recommendations (title, type, year,
// where to watch, viewers' rating), and the details after them.
function renderRecord(record) {
  const viewers = viewersRating(record);
  const description = record.display_description ?? record.description;
  return {
    head: el("article", { class: "record" },
      el("h2", { id: "title-view-heading", class: "title-text", tabindex: "-1" }, shownTitle(record)),
      badges(record),
      viewers ? el("p", { class: "viewers" }, `Viewers: ${viewers}`) : null,
      likeButton(filmOf(record))),
    details: el("section", { class: "record-details", "aria-label": "Details" },
      description ? el("p", { class: "description" }, description) : null,
      facts(record)),
  };
}

function card(item) {
  return el("li", { class: "card" },
    el("h4", {}, el("a", { href: `#/titles/${item.id}`, class: "title-text" }, shownTitle(item))),
    badges(item),
    item.reason ? el("p", { class: "reason" }, item.reason) : null);
}

// The whole series in order, this title marked, each film with where it streams.
function renderSeries(record) {
  if (!record.series?.length) return null;
  const entry = (film) => el("li", { class: "series-entry" },
    film.id === record.id
      ? el("strong", { class: "title-text", "aria-current": "page" }, shownTitle(film))
      : el("a", { href: `#/titles/${film.id}`, class: "title-text" }, shownTitle(film)),
    " ", badges(film));
  return el("section", { class: "series", "aria-labelledby": "series-heading" },
    el("h3", { id: "series-heading" }, `The series, in order (${record.series.length} films)`),
    el("ol", { class: "series-list" }, record.series.map(entry)));
}

function emptyFilter(platforms) {
  return notice("info", `Nothing to show on ${platformWords(platforms)}.`,
    "Tick another service, or untick them all to see every one.");
}

function renderRecommendations(recommendations, platforms) {
  const heading = platforms.length ? `Like it, on ${platformWords(platforms)}` : "Like it";
  const section = el("section", { class: "recommendations", "aria-labelledby": "recs-heading" },
    el("h3", { id: "recs-heading" }, heading));
  const items = recommendations.items.slice(0, SHOWN_RECOMMENDATIONS);
  if (!recommendations.available) {
    section.append(notice("warn", "No recommendations right now.", recommendations.detail ?? "",
      "The title’s details below still come from the catalog."));
  } else if (!items.length) {
    section.append(platforms.length ? emptyFilter(platforms)
      : notice("info", "The recommender has nothing like this title yet."));
  } else {
    section.append(el("ol", { class: "cards" }, items.map(card)));
  }
  return { section, count: recommendations.available ? items.length : null };
}

function loading(text) {
  return el("p", { class: "loading" }, el("span", { class: "spinner", "aria-hidden": "true" }), text);
}

async function showTitle(id, { focus = false } = {}) {
  const ticket = ++titleTicket;
  const platforms = myPlatforms();
  const typed = $("#search-input").value;
  state.titleId = id;
  view.setAttribute("aria-busy", "true");
  const shownRecs = view.querySelector(".recommendations");
  if (shownRecs && view.dataset.id === id) shownRecs.replaceChildren(loading("Asking again…"));
  else view.replaceChildren(loading("Loading the title…"));
  let page;
  try {
    page = await titlePage(id, platforms, { maxAge: maxAge() });
  } catch (error) {
    if (ticket !== titleTicket) return;
    view.removeAttribute("aria-busy");
    delete view.dataset.id;
    const lead = error.status === 404 ? "This title is not in the catalog."
      : error.status === 503 ? "The catalog cannot be reached right now." : "This title cannot be shown.";
    view.replaceChildren(el("h2", { id: "title-view-heading", tabindex: "-1" }, "Title"), notice("error", lead, error.message));
    say(lead);
    return;
  }
  if (ticket !== titleTicket) return;
  const { section, count } = renderRecommendations(page.recommendations, platforms);
  const { head, details } = renderRecord(page.title);
  state.record = page.title;
  // Title, type, year and where to watch; what is like it; the series; the details last.
  view.replaceChildren(...[head, section, renderSeries(page.title), details].filter(Boolean));
  view.dataset.id = id;
  view.removeAttribute("aria-busy");
  followInSearchBox(page.title, typed);
  say(`${shownTitle(page.title)}: ${count === null ? "no recommendations right now" : `${count} recommendations`}.`);
  if (focus) $("#title-view-heading").focus();
}

// The search box names the title shown (a pick, a card, Back), unless someone typed in it
// while the title was on its way.
function followInSearchBox(record, typed) {
  const input = $("#search-input");
  if (input.value === typed) input.value = shownTitle(record);
}

function openTitle(id) {
  const hash = `#/titles/${id}`;
  if (location.hash === hash) showTitle(id, { focus: true });
  else {
    history.pushState(null, "", hash);
    showTitle(id, { focus: true });
  }
}

function route({ focus = false } = {}) {
  const match = /^#\/titles\/([a-z0-9]+)$/i.exec(location.hash);
  if (match) showTitle(match[1].toLowerCase(), { focus });
}

// Enter without picking a suggestion: the exact title if there is one, else "did you mean".
async function findExactly(text) {
  const ticket = ++titleTicket;
  view.setAttribute("aria-busy", "true");
  view.replaceChildren(loading(`Looking for “${text}”…`));
  let hits;
  try {
    hits = (await search(text, { limit: 6 })).results;
  } catch (error) {
    if (ticket !== titleTicket) return;
    view.removeAttribute("aria-busy");
    view.replaceChildren(notice("error", "Search is unavailable right now.", error.message));
    return;
  }
  if (ticket !== titleTicket) return;
  const exact = hits.find((hit) => normalise(hit.title) === normalise(text));
  if (exact) {
    openTitle(exact.id);
    return;
  }
  view.removeAttribute("aria-busy");
  delete view.dataset.id;
  const lead = `No title matches “${text}”.`;
  view.replaceChildren(el("h2", { id: "title-view-heading", tabindex: "-1" }, lead),
    hits.length ? didYouMean(hits.map((hit) => ({ label: shownTitle(hit), extra: badges(hit), go: () => openTitle(hit.id) })))
      : el("p", {}, "Nothing in the catalog comes close: check the spelling, or type fewer words."));
  say(hits.length ? `${lead} Did you mean ${shownTitle(hits[0])}?` : lead);
  $("#title-view-heading").focus();
}

function didYouMean(choices) {
  return el("div", { class: "did-you-mean" }, el("p", {}, "Did you mean:"),
    el("ul", { class: "suggestions" }, choices.map(({ label, extra, go }) =>
      el("li", {}, el("button", { type: "button", class: "suggestion", onclick: go },
        el("span", { class: "title-text" }, label)), extra ?? null))));
}

// ---- "I liked these" ----

const likedList = $("#liked-list");
const likedGo = $("#liked-go");
const likedResults = $("#liked-results");

function renderLiked() {
  likedList.replaceChildren(...state.liked.map((item) => el("li", { class: "chip" },
    el("span", { class: "title-text" }, item.title), item.year ? ` (${item.year})` : null,
    el("button", { type: "button", class: "remove", "aria-label": `Remove ${likedLabel(item)}`, onclick: () => removeLiked(item) }, "×"))));
  likedGo.disabled = state.liked.length === 0;
  save(STORE.liked, state.liked);
  const like = view.querySelector(".like");
  if (like && state.record) like.replaceWith(likeButton(filmOf(state.record)));
}

function addLiked(film) {
  if (state.liked.some((item) => sameFilm(item, film))) return;
  if (state.liked.length >= MAX_LIKED) {
    say(`At most ${MAX_LIKED} titles: remove one first.`);
    return;
  }
  state.liked.push(film);
  renderLiked();
  say(`Added ${likedLabel(film)} to the titles you liked.`);
}

function removeLiked(film) {
  state.liked = state.liked.filter((item) => !sameFilm(item, film));
  renderLiked();
  say(`Removed ${likedLabel(film)}.`);
}

function replaceLiked(query, title) {
  state.liked = state.liked.map((item) => (!item.id && item.title === query ? { title } : item));
  state.liked = state.liked.filter((item, i) => state.liked.findIndex((other) => sameFilm(other, item)) === i);
  renderLiked();
  recommendLiked();
}

// What the API is sent: the id of a picked film, the text of a typed one.
const likedBody = (item) => (item.id ? { id: item.id } : item.title);

function unknownNotice(query, suggestions) {
  const lead = `No title matches “${query}”.`;
  if (!suggestions?.length) return notice("warn", lead, "Nothing in the catalog comes close; remove it or check the spelling.");
  return el("div", { class: "notice notice-warn" }, el("p", {}, el("strong", {}, lead)),
    didYouMean(suggestions.map((title) => ({ label: title, go: () => replaceLiked(query, title) }))));
}

async function recommendLiked() {
  if (!state.liked.length) return;
  const ticket = ++likedTicket;
  const platforms = myPlatforms();
  state.likedAsked = true;
  likedResults.setAttribute("aria-busy", "true");
  likedResults.replaceChildren(loading("Finding titles for that taste…"));
  let answer;
  try {
    answer = await recommendationsFor(state.liked.map(likedBody), platforms,
      { n: SHOWN_RECOMMENDATIONS, maxAge: maxAge() });
  } catch (error) {
    if (ticket !== likedTicket) return;
    likedResults.removeAttribute("aria-busy");
    if (error.status === 404 && state.liked.length === 1) {
      likedResults.replaceChildren(unknownNotice(likedLabel(state.liked[0]), error.body.suggestions));
    } else if (error.status === 404) {
      likedResults.replaceChildren(notice("warn", "None of these titles is in the catalog.", error.message),
        error.body.suggestions?.length ? didYouMean(error.body.suggestions.map((title) => ({ label: title, go: () => { addLiked({ title }); recommendLiked(); } }))) : null);
    } else if (error.status === 503) {
      likedResults.replaceChildren(notice("warn", "The recommender is down right now.", error.message, "Try again in a minute."));
    } else {
      likedResults.replaceChildren(notice("error", "No list this time.", error.message));
    }
    say(likedResults.textContent);
    return;
  }
  if (ticket !== likedTicket) return;
  likedResults.removeAttribute("aria-busy");
  const parts = (answer.unknown ?? []).map(({ query, suggestions }) => unknownNotice(query, suggestions));
  // Which film each liked title was taken as (a title several films share means one of them).
  if (answer.liked?.length) {
    parts.push(el("p", { class: "taken-as" }, "Taken as: ",
      answer.liked.map((film, i) => [i ? ", " : "", el("a", { href: `#/titles/${film.id}`, class: "title-text" }, shownTitle(film)),
        film.year ? ` (${film.year})` : ""])));
  }
  if (!answer.items.length) {
    parts.push(platforms.length ? emptyFilter(platforms) : notice("info", "The recommender has nothing for that taste yet."));
  } else {
    const heading = platforms.length ? `For that taste, on ${platformWords(platforms)}` : "For that taste";
    parts.push(el("h3", {}, heading), el("ol", { class: "cards" }, answer.items.map(card)));
  }
  likedResults.replaceChildren(...parts);
  say(`${answer.items.length} titles for that taste.`);
}

// ---- start ----

setUpPlatforms();
renderLiked();
combobox({
  form: $("#search-form"), input: $("#search-input"), listbox: $("#search-listbox"), status: $("#search-status"),
  onPick: (hit) => {
    $("#search-input").value = shownTitle(hit);
    openTitle(hit.id);
  },
  onSubmit: findExactly,
});
const likedBox = combobox({
  form: $("#liked-form"), input: $("#liked-input"), listbox: $("#liked-listbox"), status: $("#liked-search-status"),
  onPick: (hit) => {
    addLiked(filmOf(hit));
    likedBox.clear();
  },
  onSubmit: (text) => {
    addLiked({ title: text });
    likedBox.clear();
  },
});
likedGo.addEventListener("click", recommendLiked);
// A card's link, Back and Forward change the hash; pushState (openTitle) does not.
window.addEventListener("hashchange", () => route({ focus: true }));
route();
