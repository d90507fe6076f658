// A search box that suggests titles as you type: the ARIA 1.2 combobox pattern with a listbox.

import { search } from "./api.js";
import { badges, el, shownTitle } from "./dom.js";

// Long enough to skip the keystrokes of a word typed at speed, short enough to feel immediate.
const DEBOUNCE_MS = 200;
// Suggestions far below the best one are look-alikes, not matches: "frozn" suggests frozen
// (91) and frozen 2 (77), not tron (67) or akron (60). Relative to the best, as a title half
// typed ("long ni") matches every title weakly. Fewer suggestions is fine.
const RELEVANCE_SHARE = 0.8;

function relevant(hits) {
  const best = Math.max(0, ...hits.map((hit) => hit.similarity));
  return hits.filter((hit) => hit.similarity >= RELEVANCE_SHARE * best);
}

/**
 * Wire a form holding an input[role=combobox] and its ul[role=listbox].
 * onPick(hit): a suggestion was chosen. onSubmit(text): Enter or the button, nothing chosen.
 */
export function combobox({ form, input, listbox, status, onPick, onSubmit, limit = 8 }) {
  let hits = [];
  let active = -1;
  let timer = 0;
  let controller = null;
  const optionId = (index) => `${listbox.id}-${index}`;

  function highlight(index) {
    active = index;
    [...listbox.children].forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    if (index < 0) {
      input.removeAttribute("aria-activedescendant");
      return;
    }
    input.setAttribute("aria-activedescendant", optionId(index));
    listbox.children[index].scrollIntoView({ block: "nearest" });
  }

  function open(isOpen) {
    listbox.hidden = !isOpen;
    input.setAttribute("aria-expanded", String(isOpen));
    if (!isOpen) highlight(-1);
  }

  function pick(index) {
    const hit = hits[index];
    open(false);
    status.textContent = "";
    onPick(hit);
  }

  function render() {
    listbox.replaceChildren(...hits.map((hit, index) =>
      el("li", { id: optionId(index), role: "option", "aria-selected": "false", class: "option", onclick: () => pick(index) },
        el("span", { class: "option-title title-text" }, shownTitle(hit)), badges(hit))));
    active = -1;
    open(hits.length > 0);
  }

  async function suggest(text) {
    controller?.abort();
    controller = new AbortController();
    try {
      const answer = await search(text, { limit, signal: controller.signal });
      if (input.value.trim() !== text) return; // typed on since: a newer question is coming
      hits = relevant(answer.results);
      render();
      status.textContent = hits.length
        ? `${hits.length} ${hits.length === 1 ? "title matches" : "titles match"}: arrow keys to move, Enter to pick.`
        : `No title matches “${text}”.`;
    } catch (error) {
      if (error.name === "AbortError") return;
      hits = [];
      open(false);
      status.textContent = `Suggestions are unavailable: ${error.message}`;
    }
  }

  function cancel() {
    clearTimeout(timer);
    controller?.abort();
  }

  input.addEventListener("input", () => {
    cancel();
    const text = input.value.trim();
    if (!text) {
      hits = [];
      open(false);
      status.textContent = "";
      return;
    }
    timer = setTimeout(() => suggest(text), DEBOUNCE_MS);
  });

  input.addEventListener("keydown", (event) => {
    const shown = !listbox.hidden && hits.length > 0;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!hits.length) return;
      event.preventDefault();
      if (!shown) open(true);
      const step = event.key === "ArrowDown" ? 1 : -1;
      highlight(active < 0 && step < 0 ? hits.length - 1 : (active + step + hits.length) % hits.length);
    } else if (event.key === "Enter" && shown && active >= 0) {
      event.preventDefault();
      pick(active);
    } else if (event.key === "Escape") {
      if (shown) open(false);
      else input.value = "";
    }
  });

  // A click on an option must not blur the input first (blur closes the list).
  listbox.addEventListener("mousedown", (event) => event.preventDefault());
  input.addEventListener("blur", () => open(false));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    cancel();
    open(false);
    status.textContent = "";
    const text = input.value.trim();
    if (text) onSubmit(text);
  });

  return {
    clear() {
      cancel();
      input.value = "";
      hits = [];
      open(false);
      status.textContent = "";
    },
  };
}
