// The supervisor dashboard: queues (waiting and service level per language and market),
// agents by state and time zone, live call quality (call.quality frames of the
// conversations agents have now) and agent analytics drawn as inline SVG. Refreshes every
// few seconds. Token from #token=... (a supervisor's or an admin's).

import {Api, Live} from "../common/api.js";
import {h, $, tokenFromFragment} from "../common/dom.js";
import {LANGUAGES, LANGUAGE_NAMES, loadStrings, pickLanguage, t, translatePage} from "../common/i18n.js";
import {barChart, divergingChart, sparkline} from "./plots.js";

const REFRESH_MS = 5000;
const CALL_STALE_MS = 15000;
const state = {api: null, live: null, watched: new Set(), calls: new Map(), last: null};

const pct = (v) => (v == null ? "–" : `${Math.round(v * 100)} %`);
const secs = (v) => (v == null ? "–" : `${Math.round(v)} s`);

function problem(text) {
  const el = $("#problem");
  el.hidden = !text;
  el.textContent = text || "";
}

async function main() {
  const params = new URLSearchParams(location.search);
  const lang = params.get("lang") || localStorage.getItem("cbcs.dashboard.lang") || pickLanguage();
  await loadStrings("dashboard", lang);
  translatePage();
  const sel = $("#ui-lang");
  for (const l of LANGUAGES) sel.append(h("option", {value: l, selected: l === lang}, LANGUAGE_NAMES[l]));
  sel.addEventListener("change", async () => {
    localStorage.setItem("cbcs.dashboard.lang", sel.value);
    await loadStrings("dashboard", sel.value);
    translatePage();
    if (state.last) draw(state.last);
    drawCalls();
  });
  const token = tokenFromFragment();
  if (!token) { problem(t("error.no_token")); return; }
  state.api = new Api({token});
  state.live = new Live(state.api, {onFrame, onState: (s) => {
    $("#link").textContent = t(`link.${s}`);
    $("#link").className = `link link-${s}`;
  }});
  state.live.connect();
  $("#window").addEventListener("change", refresh);
  await refresh();
  setInterval(refresh, REFRESH_MS);
  setInterval(drawCalls, 2000);
}

async function refresh() {
  try {
    const since = $("#window").value;
    const [queues, agents, analytics] = await Promise.all([
      state.api.get("/stats/queues"), state.api.get("/agents"),
      state.api.get(`/stats/agents?since=${encodeURIComponent(since)}`)]);
    state.last = {queues, agents: agents.agents, analytics};
    draw(state.last);
    await followCalls(agents.agents);
    problem("");
    $("#updated").textContent = t("dash.updated", {time: new Date().toLocaleTimeString()});
  } catch (exc) {
    problem(t("error.generic", {message: exc.message || String(exc)}));
  }
}

function draw({queues, agents, analytics}) {
  drawQueues(queues);
  drawAgents(queues.agents || {}, agents);
  drawAnalytics(analytics);
}

// --- queues ----------------------------------------------------------------------------
function drawQueues(stats) {
  const tiles = $("#queue-tiles");
  tiles.replaceChildren();
  const body = $("#queues tbody");
  body.replaceChildren();
  for (const r of stats.queues) {
    const whole = r.language == null && r.market == null;
    if (whole) {
      const low = r.service_level != null && r.service_level < 0.8;
      tiles.append(h("div", {class: "tile" + (low ? " warn" : ""), dataset: {queue: r.queue}},
                     h("b", {}, r.queue),
                     h("span", {class: "big"}, String(r.waiting)),
                     h("span", {}, t("queues.waiting_short")),
                     h("span", {}, `${t("queues.sl_short")} ${pct(r.service_level)}`)));
    }
    body.append(h("tr", {class: whole ? "whole" : "part"},
                  h("td", {}, r.queue), h("td", {}, r.language || (whole ? t("queues.all") : "")),
                  h("td", {}, r.market || (whole ? t("queues.all") : "")),
                  h("td", {class: "num"}, String(r.waiting)), h("td", {class: "num"}, String(r.answered)),
                  h("td", {class: "num"}, pct(r.service_level)), h("td", {class: "num"}, pct(r.abandon_rate)),
                  h("td", {class: "num"}, `${secs(r.wait_s?.p50)} / ${secs(r.wait_s?.p90)}`)));
  }
  if (!stats.queues.length) tiles.append(h("p", {class: "quiet"}, t("queues.none")));
}

// --- agents ----------------------------------------------------------------------------
function drawAgents(byState, agents) {
  const tiles = $("#agent-states");
  tiles.replaceChildren();
  for (const name of ["available", "busy", "away", "off_shift", "offline"]) {
    tiles.append(h("div", {class: `tile st-${name}`, dataset: {state: name}},
                   h("span", {class: "big"}, String(byState[name] || 0)),
                   h("span", {}, t(`agents.state.${name}`))));
  }
  const zones = new Map();
  for (const a of agents) {
    if (a.kind !== "human") continue;
    if (!zones.has(a.time_zone)) zones.set(a.time_zone, []);
    zones.get(a.time_zone).push(a);
  }
  const body = $("#zones tbody");
  body.replaceChildren();
  for (const [zone, people] of [...zones].sort()) {
    let local = "";
    try {
      local = new Intl.DateTimeFormat(undefined, {timeZone: zone, hour: "2-digit", minute: "2-digit",
                                                  weekday: "short"}).format(new Date());
    } catch { local = "?"; }
    body.append(h("tr", {}, h("td", {}, zone), h("td", {}, local),
                  h("td", {}, ...people.map((a) => h("span", {class: `who p-${a.presence}` + (a.on_shift ? "" : " off"),
                                                             title: t(`agents.presence.${a.presence}`)},
                                                        `${a.name || a.id} (${t(`agents.presence.${a.presence}`)})`)))));
  }
}

// --- live call quality -------------------------------------------------------------------
async function followCalls(agents) {
  // the conversations agents have now: their call.quality frames come to followers
  const busy = agents.filter((a) => a.kind === "human" && Object.values(a.load || {}).some((n) => n > 0));
  for (const a of busy) {
    let answer;
    try { answer = await state.api.get(`/agents/${encodeURIComponent(a.id)}/conversations`); } catch { continue; }
    for (const c of answer.conversations) {
      if (state.watched.has(c.id)) continue;
      state.watched.add(c.id);
      state.live.watch(c.id, c.last_seq);
    }
  }
}

function onFrame(f) {
  if (f.type === "call.quality") {
    for (const [party, q] of Object.entries(f.legs)) {
      const key = `${f.conversation}|${party}`;
      const row = state.calls.get(key) || {conversation: f.conversation, party, mos: []};
      row.q = q;
      row.at = Date.now();
      if (q.mos != null) row.mos = [...row.mos.slice(-59), q.mos];
      state.calls.set(key, row);
    }
    drawCalls();
  } else if (f.type === "call.left") {
    for (const key of [...state.calls.keys()]) {
      if (key.startsWith(`${f.conversation}|${f.party}:`)) state.calls.delete(key);
    }
    drawCalls();
  }
}

function drawCalls() {
  const body = $("#calls tbody");
  body.replaceChildren();
  const now = Date.now();
  for (const [key, row] of state.calls) {
    if (now - row.at > CALL_STALE_MS) { state.calls.delete(key); continue; }
    const q = row.q;
    const level = q.mos == null ? "" : q.mos >= 4 ? "good" : q.mos >= 3.6 ? "fair" : "poor";
    const [role, who] = row.party.split(":");
    body.append(h("tr", {class: level ? `q-${level}` : ""},
                  h("td", {}, row.conversation.slice(0, 8)),
                  h("td", {}, `${t(`calls.role.${role}`)} ${who}`),
                  h("td", {class: "num mos"}, q.mos == null ? "–" : q.mos.toFixed(2)),
                  h("td", {class: "num"}, q.loss_after_recovery_pct == null ? "–" : `${q.loss_after_recovery_pct.toFixed(1)} %`),
                  h("td", {class: "num"}, q.rtt_ms == null ? "–" : `${Math.round(q.rtt_ms)} ms`),
                  h("td", {}, sparkline(row.mos, {title: t("calls.trend")}))));
  }
  $("#no-calls").hidden = state.calls.size > 0;
}

// --- analytics -------------------------------------------------------------------------
function drawAnalytics(a) {
  const rows = a.agents.filter((r) => r.conversations > 0);
  const label = (r) => r.name || r.agent;
  $("#plot-handled").replaceChildren(barChart(rows.map((r) => ({label: label(r), values: [r.conversations]})),
                                              {title: t("analytics.handled")}));
  $("#plot-frt").replaceChildren(barChart(rows.map((r) => ({label: label(r),
                                                           values: [r.first_response_s.p50, r.first_response_s.p90]})),
                                          {title: t("analytics.first_response"), series: ["p50", "p90"],
                                           format: (v) => `${Math.round(v)} s`}));
  $("#plot-resolution").replaceChildren(barChart(rows.map((r) => ({label: label(r), values: [r.resolution_rate]})),
                                                 {title: t("analytics.resolution"), max: 1, format: pct}));
  $("#plot-sentiment").replaceChildren(divergingChart(rows.map((r) => ({label: label(r), value: r.sentiment_end.mean})),
                                                      {title: t("analytics.sentiment")}));
  if (!rows.length) {
    for (const id of ["#plot-handled", "#plot-frt", "#plot-resolution", "#plot-sentiment"]) {
      $(id).replaceChildren(h("p", {class: "quiet"}, t("analytics.none")));
    }
  }
  const body = $("#by-language tbody");
  body.replaceChildren();
  for (const r of [...a.languages, ...a.markets]) {
    body.append(h("tr", {}, h("td", {}, r.language || r.market),
                  h("td", {class: "num"}, String(r.conversations)),
                  h("td", {class: "num"}, pct(r.resolution_rate)), h("td", {class: "num"}, pct(r.transfer_rate)),
                  h("td", {class: "num"}, secs(r.handling_s.p50))));
  }
}

main();
