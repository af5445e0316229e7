// The pages' text in the user's language: en, es, pt-BR, zh (English for any key missing).
//
//   await loadStrings("widget", pickLanguage());
//   translatePage();                       // <b data-i18n="chat.title"></b>
//   t("chat.from", {name: "Ana"})          // "{name}" placeholders
//
// Markup: data-i18n (text), data-i18n-placeholder, data-i18n-aria (aria-label),
// data-i18n-title (title). Strings: static/common/i18n/<lang>.json merged with
// static/<page>/i18n/<lang>.json (the page's win).

export const LANGUAGES = ["en", "es", "pt-BR", "zh"];

/** Each language's own name, for a picker. */
export const LANGUAGE_NAMES = {en: "English", es: "Español", "pt-BR": "Português (Brasil)", zh: "中文"};

const ROOT = new URL("../", import.meta.url);   // static/
let strings = {};
let fallback = {};
let current = "en";

/** The first of ``preferred`` (BCP 47 tags, e.g. navigator.languages) this UI speaks:
 * exact, then by primary language ("pt-PT" -> "pt-BR", "zh-TW" -> "zh", "es-MX" -> "es"). */
export function pickLanguage(preferred = navigator.languages || [navigator.language]) {
  const list = Array.isArray(preferred) ? preferred : [preferred];
  for (const tag of list) {
    if (!tag) continue;
    const exact = LANGUAGES.find((l) => l.toLowerCase() === String(tag).toLowerCase());
    if (exact) return exact;
    const primary = String(tag).split("-")[0].toLowerCase();
    const near = LANGUAGES.find((l) => l.split("-")[0].toLowerCase() === primary);
    if (near) return near;
  }
  return "en";
}

/** The language loadStrings last loaded. */
export function currentLanguage() { return current; }

async function fetchJson(path) {
  try {
    const r = await fetch(new URL(path, ROOT), {cache: "no-cache", credentials: "omit"});
    return r.ok ? await r.json() : {};
  } catch {
    return {};
  }
}

/** Load the common and the page's strings for ``lang`` (English behind them). */
export async function loadStrings(page, lang) {
  const l = LANGUAGES.includes(lang) ? lang : pickLanguage([lang]);
  const files = [fetchJson(`common/i18n/en.json`), fetchJson(`${page}/i18n/en.json`)];
  if (l !== "en") files.push(fetchJson(`common/i18n/${l}.json`), fetchJson(`${page}/i18n/${l}.json`));
  const [ce, pe, cl = {}, pl = {}] = await Promise.all(files);
  fallback = {...ce, ...pe};
  strings = {...fallback, ...cl, ...pl};
  current = l;
  document.documentElement.lang = l;
  return strings;
}

/** The string of ``key`` with ``{name}`` placeholders filled; the key itself when unknown. */
export function t(key, vars = {}) {
  const s = strings[key] ?? fallback[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

/** Fill every [data-i18n*] element under ``root``. */
export function translatePage(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.setAttribute("placeholder", t(el.dataset.i18nPlaceholder));
  }
  for (const el of root.querySelectorAll("[data-i18n-aria]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAria));
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) {
    el.setAttribute("title", t(el.dataset.i18nTitle));
  }
}

/** A time of day in the current language (``at``: seconds since the epoch). */
export function formatTime(at) {
  try {
    return new Intl.DateTimeFormat(current, {hour: "2-digit", minute: "2-digit"}).format(new Date(at * 1000));
  } catch {
    return "";
  }
}
