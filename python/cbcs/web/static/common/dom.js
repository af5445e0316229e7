// Small DOM helpers: elements from data, never from HTML strings (text is always text).
//
//   h("button", {class: "primary", "aria-label": t("send"), onclick: send}, t("send"))

/** An element with attributes (``on*`` functions become listeners) and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** ``document.querySelector`` that throws when nothing matches (a page bug, not a user's). */
export function $(selector, root = document) {
  const el = root.querySelector(selector);
  if (!el) throw new Error(`no element ${selector}`);
  return el;
}

/** The page's token: ``#token=...`` in the URL fragment (never sent to the server), then
 * removed from the address bar (not kept in history or shown over a shoulder) and kept in
 * this tab's sessionStorage so a reload still has it. */
export function tokenFromFragment() {
  const key = `cbcs.token:${location.pathname}`;
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token") || "";
  if (token) {
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
    try { sessionStorage.setItem(key, token); } catch { /* storage off: this load only */ }
    return token;
  }
  try { return sessionStorage.getItem(key) || ""; } catch { return ""; }
}

/** Announce ``text`` to screen readers through a polite live region (created once). */
export function announce(text) {
  let region = document.getElementById("cbcs-announce");
  if (!region) {
    region = h("div", {id: "cbcs-announce", class: "sr-only", "aria-live": "polite", role: "status"});
    document.body.append(region);
  }
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 30);
}
