// The customer widget's page: one conversation with the service, first with its AI tier,
// then with a person; voice and video calls through the node with captions.
//
// The token comes in the URL fragment (#token=...; the embed loader puts it there), with
// optional lang, market, order and embed=1 (inside the loader's iframe). Every message is
// shown once, in order, from the live channel (history included: a resume after seq 0);
// messages typed while offline wait, visibly, and go out when the connection is back.

import {Api, ApiError, Live, clientId} from "../common/api.js";
import {Call} from "../common/call.js";
import {h, $, announce} from "../common/dom.js";
import {LANGUAGES, LANGUAGE_NAMES, currentLanguage, formatTime, loadStrings, pickLanguage,
        t, translatePage} from "../common/i18n.js";

const params = new URLSearchParams(location.hash.slice(1));
const STORE = "cbcs.widget";
const embedded = params.get("embed") === "1";

function stored() {
  try { return JSON.parse(sessionStorage.getItem(STORE) || "{}"); } catch { return {}; }
}
function keep(values) {
  try { sessionStorage.setItem(STORE, JSON.stringify({...stored(), ...values})); } catch { /* off */ }
}

// the token: from the fragment (then out of the address bar), else this tab's last one
let token = params.get("token") || "";
if (token) {
  const rest = new URLSearchParams(params);
  rest.delete("token");
  history.replaceState(null, "", location.pathname + location.search + (rest.toString() ? `#${rest}` : ""));
  if (stored().token !== token) {
    try { sessionStorage.removeItem(STORE); } catch { /* off */ }
  }
  keep({token});
} else {
  token = stored().token || "";
}

const api = new Api({token});
const state = {
  lang: params.get("lang") && LANGUAGES.includes(params.get("lang")) ? params.get("lang")
    : (stored().lang || pickLanguage()),
  conversation: stored().conversation || null,
  starting: null,
  bySeq: new Map(),          // seq -> element shown
  mine: new Map(),           // client_id -> {li, text}
  outbox: [],                // {id, text} typed before there is a conversation
  messages: [],              // frames shown, to re-render on a language change
  call: null,
  typingTimer: null,
  lastTyping: 0,
  lastRead: 0,
  captionsOn: true,
  captionLines: new Map(),   // speaker:phrase -> <p>
};

const live = new Live(api, {onFrame, onState});
window.cbcsWidget = {live, state};   // for tests and the embedding's debugging

// --- text --------------------------------------------------------------------------------
function localText(frame) {
  // the text in the customer's language: a translation into it, else as written
  const tr = frame.translations || {};
  const primary = (l) => String(l || "").split("-")[0].toLowerCase();
  if (frame.lang && primary(frame.lang) === primary(state.lang)) return {text: frame.text, original: null};
  for (const [l, text] of Object.entries(tr)) {
    if (l === state.lang || primary(l) === primary(state.lang)) {
      return {text, original: text !== frame.text ? frame.text : null};
    }
  }
  return {text: frame.text, original: null};
}

function authorName(author) {
  if (!author) return "";
  if (author.name) return author.name;
  if (author.role === "ai") return t("widget.ai_name");
  if (author.role === "customer") return t("widget.you");
  if (author.role === "system") return t("common.role.system");
  const id = String(author.id || "");
  const pretty = id ? id.charAt(0).toUpperCase() + id.slice(1) : t("common.role.agent");
  return t("widget.agent_name", {name: pretty});
}

// --- rendering ---------------------------------------------------------------------------
const list = $("#messages");

function scrollDown() {
  list.scrollTop = list.scrollHeight;
}

function bubble(frame, {pending = false} = {}) {
  const author = frame.author || {role: "customer"};
  const mine = author.role === "customer";
  if (frame.kind === "caption") {
    const {text} = localText(frame);
    return h("li", {class: "caption-line", dataset: {seq: frame.seq ?? ""}},
             `${authorName(author)}: ${text}`);
  }
  if (frame.kind === "event") {
    // the record's own entries (routing, a call's figures): for the staff, not the customer
    return h("li", {hidden: true, dataset: {seq: frame.seq ?? ""}});
  }
  if (author.role === "system" || (frame.kind && !["text", "caption"].includes(frame.kind))) {
    return h("li", {class: "notice", dataset: {seq: frame.seq ?? ""}}, localText(frame).text);
  }
  const {text, original} = mine ? {text: frame.text, original: null} : localText(frame);
  const when = frame.created_at ? formatTime(frame.created_at) : "";
  const li = h("li", {class: `bubble${mine ? " mine" : ""}${pending ? " pending" : ""}`,
                      dataset: {seq: frame.seq ?? "", role: author.role}},
    h("span", {class: "who"}, authorName(author), when ? ` · ${when}` : ""),
    h("span", {class: "text", lang: mine ? state.lang : (original ? state.lang : (frame.lang || null))}, text));
  if (original) {
    li.append(h("details", {},
      h("summary", {}, t("common.original")),
      h("span", {lang: frame.lang || null}, original)));
  }
  if (mine) li.querySelector(".who").append(h("span", {class: "tick", role: "img", "aria-label": pending ? t("widget.sending") : t("widget.sent")},
                                               pending ? "…" : "✓"));
  return li;
}

function markSent(li, seq) {
  li.classList.remove("pending", "failed");
  li.dataset.seq = String(seq);
  const tick = li.querySelector(".tick");
  if (tick) { tick.textContent = "✓"; tick.setAttribute("aria-label", t("widget.sent")); }
}

function show(frame) {
  if (frame.seq != null && state.bySeq.has(frame.seq)) return;
  const author = frame.author || {};
  if (author.role === "customer") {
    // my own message coming back: the bubble already shown while it was sent
    for (const [id, m] of state.mine) {
      if (!m.seq && m.text === frame.text) {
        m.seq = frame.seq;
        markSent(m.li, frame.seq);
        state.bySeq.set(frame.seq, m.li);
        state.messages.push(frame);
        state.mine.delete(id);
        return;
      }
    }
  }
  const li = bubble(frame);
  state.bySeq.set(frame.seq, li);
  state.messages.push(frame);
  // in seq order (history and live ones may interleave after a resume)
  let before = null;
  for (const el of list.children) {
    const s = Number(el.dataset.seq);
    if (el.dataset.seq && s > frame.seq) { before = el; break; }
  }
  list.insertBefore(li, before);
  scrollDown();
  if (author.role !== "customer" && frame.kind !== "event") {
    announce(`${authorName(author)}: ${localText(frame).text}`);
    markRead(frame.seq);
  }
}

function markRead(seq) {
  if (!state.conversation || seq <= state.lastRead || document.hidden) return;
  state.lastRead = seq;
  live.send({type: "read", conversation: state.conversation, seq});
}

function renderAll() {
  // a language change: every bubble again from the frames kept
  const frames = [...state.messages];
  const pending = [...state.mine.values()];
  list.replaceChildren();
  state.bySeq.clear();
  state.messages = [];
  greet();
  for (const f of frames) show(f);
  for (const m of pending) list.append(m.li);
}

function greet() {
  list.append(h("li", {class: "bubble", dataset: {role: "ai", local: "1"}},
    h("span", {class: "who"}, t("widget.ai_name")),
    h("span", {class: "text"}, t("widget.greeting"))));
}

function notice(text) {
  list.append(h("li", {class: "notice"}, text));
  scrollDown();
  announce(text);
}

// --- connection --------------------------------------------------------------------------
function onState(s) {
  const status = $("#status");
  status.className = `status muted state-${s}`;
  $("#status-text").textContent = t(`common.state.${s}`);
  const banner = $("#banner");
  if (s === "reconnecting") {
    banner.textContent = t("widget.offline");
    banner.hidden = false;
  } else if (s === "open") {
    banner.hidden = true;
  } else if (s === "closed" && live.wanted === false && token) {
    banner.textContent = t("common.error.unauthorized");
    banner.hidden = false;
  }
}

function onFrame(f) {
  if (f.conversation && f.conversation !== state.conversation) return;
  switch (f.type) {
    case "message": show(f); break;
    case "typing": if (f.author && f.author.role !== "customer") showTyping(f.author); break;
    case "caption": onCaption(f); break;
    case "call.left": if (f.party !== "customer") notice(t("widget.call.left", {name: t(`common.role.${f.party}`)})); break;
    case "error": if (!(f.ref && f.ref.client_id)) console.warn("service:", f.code); break;
    default: break;
  }
}

function showTyping(author) {
  const el = $("#typing");
  el.textContent = t("widget.typing", {name: authorName(author)});
  el.hidden = false;
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(() => { el.hidden = true; }, 4000);
}

async function ensureConversation() {
  if (state.conversation) return state.conversation;
  if (!state.starting) {
    state.starting = (async () => {
      const body = {channel: "chat", language: state.lang};
      const market = params.get("market");
      if (market && /^[A-Z]{2}$/.test(market)) body.market = market;
      const order = params.get("order");
      if (order && /^[A-Za-z0-9_.:@-]{1,128}$/.test(order)) body.order_id = order;
      for (let attempt = 0; ; attempt++) {
        try {
          const c = await api.post("/conversations", body);
          state.conversation = c.id;
          keep({conversation: c.id});
          live.watch(c.id, 0);
          return c.id;
        } catch (exc) {
          if (!(exc instanceof ApiError) || (exc.status !== 0 && exc.status < 500 && exc.status !== 429)) throw exc;
          await new Promise((ok) => setTimeout(ok, Math.min(8000, 500 * 2 ** attempt)));
        }
      }
    })().finally(() => { state.starting = null; });
  }
  return state.starting;
}

async function resumeStored() {
  if (!state.conversation) return;
  try {
    const c = await api.get(`/conversations/${encodeURIComponent(state.conversation)}`);
    if (c.state === "closed") {
      state.conversation = null;
      keep({conversation: null});
      return;
    }
    live.watch(c.id, 0);
  } catch (exc) {
    if (exc instanceof ApiError && (exc.status === 404 || exc.status === 403)) {
      state.conversation = null;
      keep({conversation: null});
    } else {
      live.watch(state.conversation, 0);   // offline: the live channel resumes it later
    }
  }
}

// --- sending -----------------------------------------------------------------------------
async function send(text) {
  text = text.trim();
  if (!text) return;
  const id = clientId();
  const frame = {author: {role: "customer"}, text, created_at: Date.now() / 1000};
  const li = bubble(frame, {pending: true});
  const entry = {li, text, seq: null};
  state.mine.set(id, entry);
  list.append(li);
  scrollDown();
  try {
    const conversation = await ensureConversation();
    const ack = await live.sendMessage(conversation, text, {clientId: id});
    if (entry.seq != null) {
      // adopted already by its own message frame (the fan-out came before the ack)
    } else if (state.bySeq.has(ack.seq) && state.bySeq.get(ack.seq) !== li) {
      li.remove();   // shown already from the fan-out
    } else {
      entry.seq = ack.seq;
      markSent(li, ack.seq);
      state.bySeq.set(ack.seq, li);
      state.messages.push({type: "message", conversation, seq: ack.seq, author: {role: "customer"},
                           text, created_at: frame.created_at, kind: "text"});
    }
    state.mine.delete(id);
  } catch (exc) {
    li.classList.add("failed");
    const tick = li.querySelector(".tick");
    if (tick) { tick.textContent = "!"; tick.setAttribute("aria-label", t("widget.failed")); }
    notice(errorText(exc));
    state.mine.delete(id);
  }
}

function errorText(exc) {
  if (exc instanceof ApiError) {
    if (exc.status === 0 && exc.code === "network") return t("common.error.network");
    if (exc.status === 401) return t("common.error.unauthorized");
    if (exc.status === 429 || exc.code === "rate_limited") return t("common.error.rate_limited");
  }
  return t("common.error.generic", {message: exc.message});
}

const text = $("#text");
$("#composer").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const value = text.value;
  text.value = "";
  autoGrow();
  send(value);
  text.focus();
});
text.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    $("#composer").requestSubmit();
  }
});
text.addEventListener("input", () => {
  autoGrow();
  const now = Date.now();
  if (state.conversation && now - state.lastTyping > 3000) {
    state.lastTyping = now;
    live.send({type: "typing", conversation: state.conversation});
  }
});
function autoGrow() {
  text.style.height = "auto";
  text.style.height = `${Math.min(text.scrollHeight + 2, 160)}px`;
}

$("#human").addEventListener("click", async () => {
  const button = $("#human");
  button.disabled = true;
  try {
    const c = await ensureConversation();
    await api.post(`/conversations/${encodeURIComponent(c)}/escalate`, {reason: "the customer asked for a person"});
    notice(t("widget.human.asked"));
  } catch (exc) {
    notice(errorText(exc));
  } finally {
    button.disabled = false;
  }
});

// --- calls -------------------------------------------------------------------------------
async function startCall(video) {
  if (state.call) return;
  const section = $("#call");
  section.hidden = false;
  $("#beauty").hidden = !video;
  $("#beauty").setAttribute("aria-pressed", "false");
  $("#mute").setAttribute("aria-pressed", "false");
  $("#mute").textContent = t("common.call.mute");
  $("#captions").replaceChildren();
  state.captionLines.clear();
  setCallState("starting");
  let conversation;
  try {
    conversation = await ensureConversation();
  } catch (exc) {
    setCallState("failed");
    notice(errorText(exc));
    return;
  }
  const call = new Call(live, conversation, {
    video,
    onRemote: (stream, track) => {
      if (track.kind === "video") {
        const v = $("#remote-video");
        v.srcObject = new MediaStream([track]);
        v.hidden = false;
      } else {
        $("#remote-audio").srcObject = stream;
      }
    },
    onState: setCallState,
    onQuality: showQuality,
  });
  state.call = call;
  try {
    const started = call.start();
    await waitMedia(call);
    if (video) showSelf(call);
    await started;
  } catch (exc) {
    notice(exc.code === "media" ? t("widget.call.no_media") : t("common.call.failed"));
    endCallUi();
  }
  $("#hangup").focus();
}

function waitMedia(call) {
  return new Promise((ok) => {
    const check = () => (call.local || call.state === "failed" || call.state === "ended" ? ok() : setTimeout(check, 50));
    check();
  });
}

function showSelf(call) {
  const track = call.previewTrack();
  const v = $("#self-video");
  if (track) { v.srcObject = new MediaStream([track]); v.hidden = false; }
}

function setCallState(s) {
  const key = {starting: "common.call.starting", offering: "common.call.offering", connected: "common.call.connected",
               reconnecting: "common.call.reconnecting", ended: "common.call.ended", failed: "common.call.failed"}[s];
  if (key) $("#call-state").textContent = t(key);
  if (s === "ended" || s === "failed") setTimeout(endCallUi, 1500);
  if (s === "connected") announce(t("common.call.connected"));
}

function showQuality(q) {
  const el = $("#quality");
  el.hidden = false;
  el.className = `quality level-${q.level}`;
  el.dataset.level = q.level;
  const label = t(`common.quality.${q.level}`);
  $("#quality-text").textContent = label;
  const detail = q.rtt_ms != null ? t("common.quality.detail", {rtt: Math.round(q.rtt_ms), loss: q.loss_pct ?? 0}) : "";
  el.setAttribute("aria-label", `${t("common.quality")}: ${label}${detail ? ` (${detail})` : ""}`);
  el.title = detail;
}

function endCallUi() {
  if (state.call && !["ended", "failed"].includes(state.call.state)) return;
  state.call = null;
  $("#call").hidden = true;
  for (const id of ["#remote-video", "#self-video"]) { const v = $(id); v.srcObject = null; v.hidden = true; }
  $("#remote-audio").srcObject = null;
  $("#quality").hidden = true;
}

$("#voice").addEventListener("click", () => startCall(false));
$("#video").addEventListener("click", () => startCall(true));
$("#hangup").addEventListener("click", () => {
  if (state.call) state.call.hangUp();
  $("#voice").focus();
});
$("#mute").addEventListener("click", () => {
  const b = $("#mute");
  const muted = b.getAttribute("aria-pressed") !== "true";
  state.call?.setMuted(muted);
  b.setAttribute("aria-pressed", String(muted));
  b.textContent = t(muted ? "common.call.unmute" : "common.call.mute");
});
$("#beauty").addEventListener("click", async () => {
  const b = $("#beauty");
  if (!state.call) return;
  try {
    const on = await state.call.setBeauty(b.getAttribute("aria-pressed") !== "true");
    b.setAttribute("aria-pressed", String(on));
    showSelf(state.call);
  } catch (exc) {
    notice(t("widget.beauty_unavailable"));
    b.hidden = true;
  }
});
$("#captions-toggle").addEventListener("click", () => {
  const b = $("#captions-toggle");
  state.captionsOn = b.getAttribute("aria-pressed") !== "true";
  b.setAttribute("aria-pressed", String(state.captionsOn));
  $("#captions").hidden = !state.captionsOn;
});

function onCaption(f) {
  const {text: shown} = localText(f);
  const key = `${f.speaker}:${f.phrase}`;
  const box = $("#captions");
  let p = state.captionLines.get(key);
  if (!p) {
    p = h("p", {});
    state.captionLines.set(key, p);
    box.append(p);
    while (box.children.length > 3) {
      const old = box.firstElementChild;
      for (const [k, v] of state.captionLines) if (v === old) state.captionLines.delete(k);
      old.remove();
    }
  }
  const who = f.speaker === "customer" ? t("widget.you") : authorName({role: f.speaker, id: ""});
  p.textContent = `${who}: ${shown}`;
  p.className = f.final ? "final" : "interim";
  p.lang = state.lang;
  if (f.final && f.seq != null) {
    show({type: "message", conversation: f.conversation, seq: f.seq, kind: "caption",
          author: {role: f.speaker, id: ""}, text: f.text, lang: f.lang,
          translations: f.translations || {}, created_at: Date.now() / 1000});
  }
}

// --- language ----------------------------------------------------------------------------
async function setLanguage(lang) {
  state.lang = lang;
  keep({lang});
  await loadStrings("widget", lang);
  translatePage();
  onState(live.state);
  renderAll();
}

function fillPicker() {
  const select = $("#lang");
  select.replaceChildren(...LANGUAGES.map((l) => h("option", {value: l, lang: l, selected: l === state.lang}, LANGUAGE_NAMES[l])));
  select.addEventListener("change", () => setLanguage(select.value));
}

// --- embedding ---------------------------------------------------------------------------
if (embedded) {
  const close = $("#close");
  close.hidden = false;
  const closeFrame = () => parent.postMessage({type: "cbcs:close"}, "*");
  close.addEventListener("click", closeFrame);
  addEventListener("keydown", (ev) => { if (ev.key === "Escape" && !state.call) closeFrame(); });
  addEventListener("message", (ev) => {
    if (ev.source === parent && ev.data && ev.data.type === "cbcs:focus") text.focus();
  });
}

// --- start -------------------------------------------------------------------------------
async function main() {
  await loadStrings("widget", state.lang);
  state.lang = currentLanguage();
  fillPicker();
  translatePage();
  greet();
  if (!token) {
    const banner = $("#banner");
    banner.textContent = t("widget.no_token");
    banner.hidden = false;
    for (const el of document.querySelectorAll("button, textarea, select")) el.disabled = true;
    return;
  }
  live.connect();
  onState(live.state);
  await resumeStored();
  document.addEventListener("visibilitychange", () => {
    const last = [...state.bySeq.keys()].reduce((a, b) => Math.max(a, b), 0);
    if (!document.hidden && last) markRead(last);
  });
  document.body.dataset.ready = "1";
}

main().catch((exc) => {
  console.error(exc);
  const banner = $("#banner");
  banner.textContent = errorText(exc);
  banner.hidden = false;
});
