// The agent console: presence, offers with a countdown, the agent's conversations with the
// customer's whole history across channels (original and translation of each message),
// suggested replies, sentiment, the order, calls with captions and MOS, warm transfer and
// tickets. Token from #token=... (an agent's); everything through /api/v1 and /ws.

import {Api, Live} from "../common/api.js";
import {Call} from "../common/call.js";
import {h, $, tokenFromFragment, announce} from "../common/dom.js";
import {LANGUAGES, LANGUAGE_NAMES, loadStrings, pickLanguage, t, translatePage} from "../common/i18n.js";
import {CATEGORIES, PRIORITIES, captionItem, conversationDivider, firstLanguage, messageItem,
        orderView, secondsLeft, sentimentView, ticketCard, tokenClaims} from "./view.js";

const state = {
  api: null, live: null, me: "", agent: null, reader: "en",
  offers: new Map(),         // reservation id -> frame (+ conversation)
  conversations: new Map(),  // id -> conversation
  current: null,             // the open conversation
  seqs: new Set(),           // seqs drawn for the open conversation
  assist: null, suggestion: null, call: null, legs: {},
  handedOn: new Set(),       // conversations this agent transferred (not offered back)
  link: "connecting", callState: "idle", quality: null, captions: [],
};

function problem(text) {
  const el = $("#problem");
  el.hidden = !text;
  el.textContent = text || "";
}

async function guarded(fn) {
  try {
    problem("");
    return await fn();
  } catch (exc) {
    problem(t("error.generic", {message: exc.message || String(exc)}));
    return undefined;
  }
}

// --- start ---------------------------------------------------------------------------
async function main() {
  const params = new URLSearchParams(location.search);
  const lang = params.get("lang") || localStorage.getItem("cbcs.console.lang") || pickLanguage();
  await loadStrings("console", lang);
  translatePage();
  fillLanguagePicker(lang);
  fillTicketForm();
  const token = tokenFromFragment();
  if (!token) { problem(t("error.no_token")); return; }
  state.me = tokenClaims(token).sub || "";
  state.api = new Api({token});
  state.live = new Live(state.api, {onFrame, onState: (s) => { state.link = s; drawLink(); }});
  state.agent = await guarded(() => state.api.get(`/agents/${encodeURIComponent(state.me)}`));
  if (!state.agent) return;
  state.reader = firstLanguage(state.agent.languages);
  $("#me").textContent = t("console.me", {name: state.agent.name || state.me,
                                          langs: Object.keys(state.agent.languages).join(", ")});
  $("#presence").value = state.agent.presence === "available" ? "available" : state.agent.presence;
  state.live.connect();
  wire();
  await loadConversations();
  setInterval(tickOffers, 250);
}

function drawLink() {
  $("#link").textContent = t(`link.${state.link}`);
  $("#link").className = `link link-${state.link}`;
}

function drawCallState() {
  $("#call-state").textContent = t(`call.state.${state.callState}`);
  const q = state.quality;
  $("#call-quality").textContent = q ? t("call.my_quality", {level: t(`quality.${q.level}`),
                                                             mos: q.mos ?? "?", rtt: q.rtt_ms ?? "?"}) : "";
  $("#call-quality").className = q ? `quality q-${q.level}` : "quality";
}

function drawCaptions() {
  $("#captions").replaceChildren(...state.captions.map((f) => captionItem(f, state.reader)));
}

function fillLanguagePicker(lang) {
  const sel = $("#ui-lang");
  for (const l of LANGUAGES) sel.append(h("option", {value: l, selected: l === lang}, LANGUAGE_NAMES[l]));
  sel.addEventListener("change", async () => {
    localStorage.setItem("cbcs.console.lang", sel.value);
    await loadStrings("console", sel.value);
    translatePage();
    redraw();
  });
}

function fillTicketForm() {
  const cat = $("#ticket-category");
  cat.replaceChildren(...CATEGORIES.map((c) => h("option", {value: c}, t(`category.${c}`))));
  const pri = $("#ticket-priority");
  pri.replaceChildren(...PRIORITIES.map((p) => h("option", {value: p, selected: p === "normal"},
                                                   t(`priority.${p}`))));
}

function wire() {
  $("#presence").addEventListener("change", (ev) => guarded(async () => {
    state.agent = await state.api.post(`/agents/${encodeURIComponent(state.me)}/status`,
                                       {status: ev.target.value});
    announce(t(`presence.${ev.target.value}`));
  }));
  $("#composer").addEventListener("submit", (ev) => { ev.preventDefault(); send(); });
  $("#reply").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); send(); }
  });
  $("#reply").addEventListener("input", () => {
    if (state.current) state.live.send({type: "typing", conversation: state.current.id});
  });
  $("#call-start").addEventListener("click", startCall);
  $("#call-end").addEventListener("click", () => state.call?.hangUp());
  $("#transfer").addEventListener("submit", (ev) => { ev.preventDefault(); transfer(); });
  $("#close").addEventListener("submit", (ev) => { ev.preventDefault(); closeConversation(); });
  $("#ticket-form").addEventListener("submit", (ev) => { ev.preventDefault(); createTicket(); });
}

// --- frames ----------------------------------------------------------------------------
function onFrame(f) {
  switch (f.type) {
    case "reservation": offered(f); break;
    case "assigned":
      if (f.agent === state.me) loadConversations();
      break;
    case "message":
      if (state.current && f.conversation === state.current.id) drawMessage(f);
      else markUnread(f.conversation);
      break;
    case "assist":
      if (state.current && f.conversation === state.current.id) showAssist(f);
      break;
    case "caption":
      if (state.current && f.conversation === state.current.id) showCaption(f);
      break;
    case "call.quality":
      if (state.current && f.conversation === state.current.id) showLegs(f.legs);
      break;
    case "call.left":
      // another party left while this agent is still on the call
      if (state.call && state.current && f.conversation === state.current.id) {
        $("#call-state").textContent = t("call.left", {party: t(`author.${f.party}`)});
      }
      break;
    case "closed":
      refreshConversation(f.conversation);
      break;
    case "error":
      if (f.code !== "rate_limited") problem(t("error.generic", {message: f.message}));
      break;
    default: break;
  }
}

// --- offers --------------------------------------------------------------------------
async function offered(f) {
  if (f.agent !== state.me) return;
  if (f.conversation && state.handedOn.has(f.conversation)) {
    // the routing prefers the agent it had: a transfer goes to someone else
    try { await state.api.post(`/reservations/${f.id}/reject`); } catch { /* gone */ }
    return;
  }
  state.offers.set(f.id, {...f});
  drawOffers();
  announce(t("offers.new"));
  if (f.conversation) {
    try {
      state.offers.get(f.id).conversationInfo = await state.api.get(`/conversations/${f.conversation}`);
    } catch { /* it moved on */ }
    drawOffers();
  }
}

function drawOffers() {
  const list = $("#offers");
  list.replaceChildren();
  for (const offer of state.offers.values()) {
    const c = offer.conversationInfo;
    const what = c ? t("offers.what", {channel: t(`channel.${c.channel}`), lang: c.language,
                                       market: c.market, intent: c.intent || "?"}) : "";
    list.append(h("li", {class: "offer", dataset: {reservation: offer.id, conversation: offer.conversation || ""}},
                  h("p", {}, h("b", {}, t("offers.item")), " ", what),
                  offer.translate ? h("p", {class: "tag"}, t("offers.translated")) : null,
                  h("p", {class: "countdown", "aria-live": "off"},
                    t("offers.left", {s: secondsLeft(offer.expires_at)})),
                  h("div", {class: "row"},
                    h("button", {type: "button", class: "primary", onclick: () => accept(offer)}, t("offers.accept")),
                    h("button", {type: "button", onclick: () => reject(offer)}, t("offers.reject")))));
  }
  $("#no-offers").hidden = state.offers.size > 0;
}

function tickOffers() {
  let gone = false;
  for (const [id, offer] of state.offers) {
    const left = secondsLeft(offer.expires_at);
    const el = document.querySelector(`[data-reservation="${id}"] .countdown`);
    if (el) {
      el.textContent = t("offers.left", {s: left});
      el.classList.toggle("urgent", left <= 5);
    }
    if (left <= 0) { state.offers.delete(id); gone = true; }
  }
  if (gone) drawOffers();
}

async function accept(offer) {
  await guarded(async () => {
    const r = await state.api.post(`/reservations/${offer.id}/accept`);
    state.offers.delete(offer.id);
    drawOffers();
    await loadConversations();
    if (r.conversation) await openConversation(r.conversation);
  });
}

async function reject(offer) {
  await guarded(async () => {
    await state.api.post(`/reservations/${offer.id}/reject`);
    state.offers.delete(offer.id);
    drawOffers();
  });
}

// --- conversations ---------------------------------------------------------------------
async function loadConversations() {
  const answer = await guarded(() => state.api.get(`/agents/${encodeURIComponent(state.me)}/conversations`));
  if (!answer) return;
  for (const c of answer.conversations) state.conversations.set(c.id, c);
  drawConversations();
}

function drawConversations() {
  const list = $("#conversations");
  list.replaceChildren();
  for (const c of state.conversations.values()) {
    const active = state.current && state.current.id === c.id;
    list.append(h("li", {class: `conv s-${c.state}` + (active ? " active" : ""), dataset: {conversation: c.id}},
                  h("button", {type: "button", onclick: () => openConversation(c.id),
                               "aria-current": active ? "true" : undefined},
                    h("b", {}, c.customer_id), " ",
                    h("span", {class: "meta"}, `${t(`channel.${c.channel}`)} · ${c.language} · ${c.market}`),
                    " ", h("span", {class: "state"}, t(`state.${c.state}`)),
                    c.unread ? h("span", {class: "unread"}, "●") : null)));
  }
  $("#no-conversations").hidden = state.conversations.size > 0;
}

function markUnread(id) {
  const c = state.conversations.get(id);
  if (c) { c.unread = true; drawConversations(); }
}

async function refreshConversation(id) {
  try {
    const c = await state.api.get(`/conversations/${id}`);
    state.conversations.set(id, c);
    if (state.current && state.current.id === id) { state.current = c; drawHead(); }
  } catch {
    state.conversations.delete(id);   // no longer ours
  }
  drawConversations();
}

async function openConversation(id) {
  await guarded(async () => {
    const c = await state.api.get(`/conversations/${id}`);
    state.current = c;
    c.unread = false;
    state.conversations.set(id, c);
    state.seqs = new Set();
    state.suggestion = null;
    $("#handoff").hidden = true;
    $("#empty").hidden = true;
    $("#conversation").hidden = false;
    $("#customer").hidden = false;
    drawHead();
    drawConversations();
    const history = await state.api.get(`/conversations/${id}/history`);
    drawHistory(history);
    state.live.watch(id, c.last_seq);   // live from here (the history has the rest)
    await loadAssist();
  });
}

function drawHead() {
  const c = state.current;
  $("#conv-title").textContent = t("work.customer", {customer: c.customer_id});
  $("#conv-meta").textContent = `${t(`channel.${c.channel}`)} · ${c.language} · ${c.market}`
    + (c.order_id ? ` · ${c.order_id}` : "") + (c.intent ? ` · ${c.intent}` : "");
  $("#conv-state").textContent = t(`state.${c.state}`);
  $("#conv-state").className = `state s-${c.state}`;
  const closed = c.state === "closed" || c.state === "wrap_up";
  for (const sel of ["#composer button", "#transfer button", "#close button", "#call-start"]) {
    $(sel).disabled = closed;
  }
}

function drawHistory(history) {
  const list = $("#history");
  list.replaceChildren();
  const ordered = [...history.conversations].reverse();   // oldest first
  for (const c of ordered) {
    if (ordered.length > 1) list.append(conversationDivider(c, state.current.id));
    for (const m of c.messages) {
      if (c.id === state.current.id) state.seqs.add(m.seq);
      list.append(messageItem(m, state.reader, state.me));
    }
  }
  drawTickets(history.tickets);
  list.scrollTop = list.scrollHeight;
}

function drawMessage(m) {
  if (state.seqs.has(m.seq)) return;
  state.seqs.add(m.seq);
  const list = $("#history");
  list.append(messageItem(m, state.reader, state.me));
  list.scrollTop = list.scrollHeight;
  if (m.author?.role === "customer") announce(t("message.new"));
}

function redraw() {
  fillTicketForm();
  drawLink();
  drawCallState();
  drawCaptions();
  drawOffers();
  drawConversations();
  if (state.current) { openConversation(state.current.id); }
}

// --- replies and assist ----------------------------------------------------------------
async function send() {
  const box = $("#reply");
  const text = box.value.trim();
  if (!text || !state.current) return;
  const suggestion = state.suggestion && state.suggestion.text === text ? state.suggestion.id : undefined;
  box.value = "";
  state.suggestion = null;
  await guarded(async () => {
    await state.live.sendMessage(state.current.id, text, {suggestion});
    $("#composer-note").textContent = "";
  });
}

async function loadAssist() {
  try {
    showAssist(await state.api.get(`/conversations/${state.current.id}/assist`));
  } catch (exc) {
    showAssist({suggestions: [], sentiment: [], order: null});
    $("#composer-note").textContent = exc.status === 503 ? t("assist.off") : "";
  }
}

function showAssist(a) {
  state.assist = a;
  if ("summary" in a) {   // the GET answer has it (assist frames do not)
    $("#handoff").hidden = !a.summary;
    $("#handoff-text").textContent = a.summary || "";
  }
  const list = $("#suggestions");
  list.replaceChildren();
  for (const s of a.suggestions || []) {
    list.append(h("li", {class: "suggestion"},
                  h("p", {class: "text", lang: s.lang}, s.text),
                  s.customer_text && s.customer_lang !== s.lang
                    ? h("p", {class: "original", lang: s.customer_lang},
                        h("span", {class: "label"}, t("assist.customer_sees", {lang: s.customer_lang})), " ",
                        s.customer_text) : null,
                  h("button", {type: "button", class: "small", onclick: () => {
                    state.suggestion = s;
                    $("#reply").value = s.text;
                    $("#reply").focus();
                  }}, t("assist.use"))));
  }
  if (!(a.suggestions || []).length) list.append(h("li", {class: "quiet"}, t("assist.none")));
  sentimentView(a.sentiment, $("#sentiment-now"), $("#sentiment-strip"));
  $("#order").replaceChildren(orderView(a.order));
}

// --- calls -----------------------------------------------------------------------------
async function startCall() {
  if (!state.current || state.call) return;
  const conv = state.current.id;
  state.captions = [];
  drawCaptions();
  state.legs = {};
  const call = state.call = new Call(state.live, conv, {
    onRemote: (stream) => { $("#remote").srcObject = stream; },
    onState: (s) => {
      state.callState = s;
      drawCallState();
      const on = !["ended", "failed", "idle"].includes(s);
      $("#call-start").hidden = on;
      $("#call-end").hidden = !on;
      if (!on) { state.call = null; $("#legs").hidden = true; }
    },
    onQuality: (q) => { state.quality = q; drawCallState(); },
  });
  try {
    await call.start();
  } catch (exc) {
    problem(t("call.failed", {message: exc.message}));
  }
}

function showCaption(f) {
  const live = $("#live-caption");
  if (!f.final) {
    live.textContent = `${t(`author.${f.speaker}`)}: ${f.text}…`;
    return;
  }
  live.textContent = "";
  state.captions.push(f);
  $("#captions").append(captionItem(f, state.reader));
}

function showLegs(legs) {
  Object.assign(state.legs, legs);
  const table = $("#legs");
  table.hidden = false;
  const body = table.querySelector("tbody");
  body.replaceChildren();
  const fmt = (x, unit) => (x == null ? "–" : `${Math.round(x * 10) / 10}${unit}`);
  for (const [party, q] of Object.entries(legs)) {
    const [role] = party.split(":");
    const level = q.mos == null ? "" : q.mos >= 4 ? "good" : q.mos >= 3.6 ? "fair" : "poor";
    body.append(h("tr", {class: level ? `q-${level}` : ""},
                  h("td", {}, t(`author.${role}`)),
                  h("td", {class: "num mos"}, q.mos == null ? "–" : q.mos.toFixed(2)),
                  h("td", {class: "num"}, fmt(q.loss_after_recovery_pct, " %")),
                  h("td", {class: "num"}, fmt(q.rtt_ms, " ms")),
                  h("td", {class: "num"}, fmt(q.jitter_buffer_ms, " ms"))));
  }
}

// --- transfer and close --------------------------------------------------------------
async function transfer() {
  const reason = $("#transfer-reason").value.trim() || t("transfer.default_reason");
  await guarded(async () => {
    const id = state.current.id;
    state.handedOn.add(id);
    try {
      await state.api.post(`/conversations/${id}/escalate`, {reason});
    } catch (exc) {
      state.handedOn.delete(id);
      throw exc;
    }
    $("#transfer-reason").value = "";
    $("#composer-note").textContent = t("transfer.done");
    announce(t("transfer.done"));
    // the call leg stays up until this agent hangs up: the next agent joins meanwhile
    state.conversations.delete(state.current.id);
    drawConversations();
  });
}

async function closeConversation() {
  const resolution = $("#resolution").value.trim();
  if (!resolution) return;
  await guarded(async () => {
    const c = state.current;
    state.call?.hangUp();
    // closed first: the AI writes its closing summary on the ticket; then the ticket is
    // closed with the resolution added
    state.current = await state.api.post(`/conversations/${c.id}/close`, {resolution});
    if ($("#close-ticket").checked) {
      // the conversation's ticket; without one, the tickets opened in this conversation
      const own = state.current.ticket_id || c.ticket_id;
      const tickets = (await state.api.get(`/conversations/${c.id}/history`)).tickets;
      for (const tk of tickets) {
        const mine = own ? tk.id === own : tk.conversation_id === c.id;
        if (mine && tk.status !== "closed") await state.api.post(`/tickets/${tk.id}/close`, {resolution});
      }
    }
    state.conversations.set(c.id, state.current);
    $("#resolution").value = "";
    drawHead();
    drawConversations();
    drawTickets((await state.api.get(`/conversations/${c.id}/history`)).tickets);
    announce(t("close.done"));
  });
}

// --- tickets ---------------------------------------------------------------------------
function drawTickets(tickets) {
  // this conversation's tickets first (its own ticket on top), the customer's others folded
  const box = $("#tickets");
  box.replaceChildren();
  const c = state.current;
  const list = [...(tickets || [])].reverse();   // newest first
  const here = list.filter((tk) => tk.conversation_id === c?.id)
    .sort((a, b) => (b.id === c?.ticket_id) - (a.id === c?.ticket_id));
  const others = list.filter((tk) => tk.conversation_id !== c?.id);
  if (!list.length) box.append(h("p", {class: "quiet"}, t("tickets.none")));
  for (const tk of here) box.append(ticketCard(tk, changeTicket, tk.id === c?.ticket_id));
  if (others.length) {
    box.append(h("details", {class: "earlier"},
                 h("summary", {}, t("tickets.earlier", {n: others.length})),
                 ...others.map((tk) => ticketCard(tk, changeTicket, false))));
  }
}

async function changeTicket(tk, change) {
  await guarded(async () => {
    await state.api.put(`/tickets/${tk.id}`, change);
    drawTickets((await state.api.get(`/conversations/${state.current.id}/history`)).tickets);
  });
}

async function createTicket() {
  const c = state.current;
  if (!c) return;
  await guarded(async () => {
    await state.api.post("/tickets", {
      customer_id: c.customer_id, conversation_id: c.id, order_ref: c.order_id || undefined,
      category: $("#ticket-category").value, priority: $("#ticket-priority").value,
      summary: $("#ticket-summary").value.trim()});
    $("#ticket-summary").value = "";
    $("#ticket-new").open = false;
    drawTickets((await state.api.get(`/conversations/${c.id}/history`)).tickets);
  });
}

main();
