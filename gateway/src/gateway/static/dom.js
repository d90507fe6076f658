// Small DOM helpers shared by the page's modules: element building, badges, title comparison.

export const PLATFORM_NAMES = { amazon: "Prime Video", disney: "Disney+", hulu: "Hulu", netflix: "Netflix" };
// A catalog id starts with its platform's letter (ns42 is netflix's s42).
const ID_PLATFORMS = { a: "amazon", d: "disney", h: "hulu", n: "netflix" };

/** el("p", {class: "x", onclick: f}, "text", child): attributes set, false/null skipped. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name === "className" ? "class" : name, value === true ? "" : value);
  }
  node.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

/** The title as its platform spells it ("WandaVision"); the lowercase catalog one without. */
export function shownTitle(item) {
  return item.display_title ?? item.title;
}

/** Where a title can be watched: `available_on` when the API gives it, else its record's platform. */
export function platformsOf(item) {
  if (item.available_on?.length) return item.available_on;
  if (item.platform) return [item.platform];
  const fromId = ID_PLATFORMS[item.id?.[0]];
  return fromId ? [fromId] : [];
}

export function platformWords(platforms) {
  const names = platforms.map((platform) => PLATFORM_NAMES[platform] ?? platform);
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : names[0] ?? "";
}

function kindName(type) {
  return { movie: "Film", "tv show": "TV show" }[type] ?? type;
}

/** Type, year and platform badges of a title, a search hit or a recommendation. */
export function badges(item) {
  return el("span", { class: "badges" },
    item.type ? el("span", { class: "badge kind" }, kindName(item.type)) : null,
    item.release_year ? el("span", { class: "badge year" }, String(item.release_year)) : null,
    platformsOf(item).map((platform) =>
      el("span", { class: `badge platform platform-${platform}` }, PLATFORM_NAMES[platform] ?? platform)));
}

/** The catalog's title rule (contracts.titles.normalise_title): case, accents, punctuation folded. */
export function normalise(title) {
  return title.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase()
    .replace(/['\u2019\u2018`]/g, "").replace(/[^\p{L}\p{N}\s]+|_/gu, " ")
    .replace(/\s+/g, " ").trim();
}

/** A boxed message: kind "info", "warn" or "error"; the lead sentence in bold. */
export function notice(kind, lead, ...rest) {
  return el("div", { class: `notice notice-${kind}` }, el("p", {}, el("strong", {}, lead), rest.length ? " " : null, rest));
}
