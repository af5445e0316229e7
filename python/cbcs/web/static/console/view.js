// What the console draws from the service's data: messages with their original and
// translation, captions, the order, sentiment and tickets. Pure functions of their data
// (elements built with h(), text always as text).

import {h} from "../common/dom.js";
import {t, formatTime} from "../common/i18n.js";

/** The JWT's subject and role (the console needs to know whose it is; it is not checked
 * here, the service checks it on every call). */
export function tokenClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
  } catch {
    return {};
  }
}

/** An agent's first language: the one with the highest level. */
export function firstLanguage(levels) {
  let best = null;
  for (const [lang, level] of Object.entries(levels || {})) {
    if (best === null || level > levels[best]) best = lang;
  }
  return best || "en";
}

const AUTHOR_KEYS = {customer: "author.customer", agent: "author.agent", ai: "author.ai",
                     system: "author.system", supervisor: "author.supervisor"};

/** One message of the history: who, when, the text in the reader's language and the
 * original (with the model that translated it). */
export function messageItem(m, reader, me) {
  const role = m.author?.role || "system";
  const mine = role === "agent" && m.author?.id === me;
  const cls = ["msg", `from-${role}`, `kind-${m.kind || "text"}`, mine ? "mine" : ""].join(" ");
  const who = mine ? t("author.you") : t(AUTHOR_KEYS[role] || "author.system");
  const head = h("div", {class: "msg-head"}, h("b", {}, who),
                 m.kind === "caption" ? h("span", {class: "tag"}, t("message.spoken")) : null,
                 h("time", {}, formatTime(m.created_at)));
  const body = [];
  const translated = m.translations?.[reader];
  if (translated && m.lang && m.lang !== reader) {
    // the customer's words in the reader's language, the original beneath
    body.push(h("p", {class: "text translated", lang: reader}, translated),
              h("p", {class: "original", lang: m.lang},
                h("span", {class: "label"}, t("message.original", {lang: m.lang})), " ", m.text),
              h("p", {class: "by"}, t("message.translated_by", {by: m.translated_by?.[reader] || "?"})));
  } else {
    body.push(h("p", {class: "text", lang: m.lang || undefined}, m.text));
    // what the reader wrote, as the other side reads it
    for (const [lang, text] of Object.entries(m.translations || {})) {
      if (lang === reader) continue;
      body.push(h("p", {class: "original", lang},
                  h("span", {class: "label"}, t("message.sent_as", {lang})), " ", text),
                h("p", {class: "by"}, t("message.translated_by", {by: m.translated_by?.[lang] || "?"})));
    }
    for (const [lang, by] of Object.entries(m.translated_by || {})) {
      if (!(m.translations || {})[lang] && lang !== reader) {
        body.push(h("p", {class: "by warn"}, t("message.untranslated", {lang, by})));
      }
    }
  }
  return h("li", {class: cls, dataset: {seq: String(m.seq)}}, head, ...body);
}

/** A separator naming an earlier conversation of the same customer (another channel). */
export function conversationDivider(c, current) {
  const when = new Date(c.created_at * 1000).toLocaleDateString();
  const label = c.id === current ? t("history.this", {channel: t(`channel.${c.channel}`)})
    : t("history.earlier", {channel: t(`channel.${c.channel}`), date: when});
  return h("li", {class: "divider" + (c.id === current ? " current" : "")}, label);
}

/** A final caption: who said it, the words, their translation for the reader. */
export function captionItem(f, reader) {
  const translated = f.translations?.[reader];
  return h("li", {class: `caption from-${f.speaker}`},
           h("b", {}, `${t(AUTHOR_KEYS[f.speaker] || "author.system")}:`), " ",
           translated ? h("span", {class: "translated", lang: reader}, translated) : null,
           h("span", {class: translated ? "original" : "text", lang: f.lang},
             translated ? ` (${f.lang}: ${f.text})` : f.text));
}

const SENTIMENT_ICON = {negative: "▼", neutral: "■", positive: "▲"};

/** The latest sentiment (and the voice's emotion) and a strip, one cell per message. */
export function sentimentView(points, nowEl, stripEl) {
  stripEl.replaceChildren();
  if (!points || !points.length) {
    nowEl.textContent = t("customer.sentiment_unknown");
    nowEl.className = "sentiment-now";
    return;
  }
  const last = points[points.length - 1];
  nowEl.className = `sentiment-now s-${last.sentiment}`;
  nowEl.textContent = `${SENTIMENT_ICON[last.sentiment] || ""} ${t(`sentiment.${last.sentiment}`)}`
    + (last.emotion ? ` · ${t("customer.emotion", {emotion: last.emotion})}` : "");
  for (const p of points.slice(-24)) {
    stripEl.append(h("span", {class: `cell s-${p.sentiment}`, title: t(`sentiment.${p.sentiment}`)}));
  }
}

/** The order as the connector reports it. */
export function orderView(order) {
  if (!order) return h("p", {class: "quiet"}, t("order.none"));
  const rows = order.items.map((it) => h("tr", {}, h("td", {}, it.name),
                                         h("td", {class: "num"}, String(it.qty)),
                                         h("td", {class: "num"}, `${order.currency} ${it.unit_price}`)));
  return h("div", {class: "order-card"},
           h("p", {}, h("b", {}, order.id), " ", h("span", {class: `status st-${order.status}`}, order.status_text)),
           h("table", {class: "items"}, h("tbody", {}, ...rows)),
           h("p", {}, t("order.total"), ": ", h("b", {}, `${order.currency} ${order.total}`)),
           order.tracking ? h("p", {}, t("order.tracking"), ": ", h("code", {}, order.tracking)) : null,
           order.delivered_on ? h("p", {}, t("order.delivered", {date: order.delivered_on})) : null);
}

export const CATEGORIES = ["order", "delivery", "return", "refund", "payment", "product",
                           "account", "complaint", "callback", "other"];
export const PRIORITIES = ["low", "normal", "high", "urgent"];
const NEXT_STEPS = {open: ["wait", "solve"], pending: ["resume", "solve"], solved: ["reopen"], closed: []};

/** One ticket with its status steps and priority; ``act(ticket, change)`` applies one. */
export function ticketCard(tk, act, main = false) {
  const priority = h("select", {"aria-label": t("tickets.priority"),
                                onchange: (ev) => act(tk, {priority: ev.target.value})},
                     ...PRIORITIES.map((p) => h("option", {value: p, selected: p === tk.priority},
                                                t(`priority.${p}`))));
  if (tk.status === "closed") priority.disabled = true;
  const steps = (NEXT_STEPS[tk.status] || []).map((e) =>
    h("button", {type: "button", class: "small", onclick: () => act(tk, {event: e})}, t(`ticket.step.${e}`)));
  return h("article", {class: `ticket t-${tk.status}` + (main ? " main" : ""), dataset: {ticket: tk.id}},
           main ? h("p", {class: "tag"}, t("tickets.main")) : null,
           h("p", {class: "ticket-head"},
             h("b", {}, t(`category.${tk.category}`)), " · ",
             h("span", {class: `tstatus ts-${tk.status}`}, t(`ticket.status.${tk.status}`)),
             tk.order_ref ? ` · ${tk.order_ref}` : ""),
           h("p", {class: "summary"}, tk.summary),
           h("div", {class: "row"}, priority, ...steps));
}

/** Seconds left until ``expiresAt`` (epoch seconds), never below 0. */
export function secondsLeft(expiresAt) {
  return Math.max(0, Math.ceil(expiresAt - Date.now() / 1000));
}
