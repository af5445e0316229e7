// The cbcs customer widget on any page, with one tag (served as /widget.js):
//
//   <script src="https://support.example.com/widget.js" data-token-url="/cbcs-token" async></script>
//   <script src="https://support.example.com/widget.js" data-token="..." data-lang="es"></script>
//
// data-token-url: the page's own backend answers {"token": "..."} for the signed-in shopper
// (fetched with the page's cookies); data-token: a token given in the page. Optional:
// data-lang (en, es, pt-BR, zh; default: the browser's), data-market (BR, MX, ...),
// data-order (an order id the chat is about), data-open ("true": open at once),
// data-label (the launcher's text). A launcher button (in a closed shadow root, so the
// page's styles do not touch it) opens the widget in an iframe from the cbcs origin: full
// screen on a phone, a panel in the corner elsewhere. The token goes in the iframe's URL
// fragment, never to a server in a URL.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src, location.href).origin;
  var data = script.dataset;
  var LABELS = {en: "Chat with us", es: "Chatea con nosotros", pt: "Fale conosco", zh: "在线客服"};
  var lang = (data.lang || navigator.language || "en").split("-")[0].toLowerCase();
  var label = data.label || LABELS[lang] || LABELS.en;

  var host = document.createElement("div");
  host.setAttribute("data-cbcs-widget", "");
  var root = host.attachShadow({mode: "closed"});
  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.textContent = label;
  launcher.setAttribute("aria-haspopup", "dialog");
  launcher.setAttribute("aria-expanded", "false");
  style(launcher, {
    position: "fixed", right: "16px", bottom: "16px", zIndex: "2147483000",
    minHeight: "48px", padding: "0 18px", border: "0", borderRadius: "24px",
    background: "#1a5fd0", color: "#fff", font: "600 16px system-ui, sans-serif",
    boxShadow: "0 4px 14px rgba(0,0,0,.25)", cursor: "pointer"
  });
  var panel = document.createElement("div");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", label);
  panel.hidden = true;
  var frame = null;
  var loaded = false;
  root.appendChild(launcher);
  root.appendChild(panel);

  function style(el, props) { for (var k in props) el.style[k] = props[k]; }

  function layout() {
    var phone = Math.min(innerWidth, screen.width || innerWidth) < 600;
    style(panel, phone
      ? {position: "fixed", inset: "0", width: "100%", height: "100%", zIndex: "2147483001",
         background: "#fff", borderRadius: "0", boxShadow: "none"}
      : {position: "fixed", right: "16px", bottom: "80px", width: "380px",
         height: "min(640px, calc(100vh - 100px))", zIndex: "2147483001", background: "#fff",
         borderRadius: "12px", overflow: "hidden", boxShadow: "0 8px 28px rgba(0,0,0,.3)"});
    panel.style.display = panel.hidden ? "none" : "block";
  }

  function token() {
    if (data.token) return Promise.resolve(data.token);
    if (!data.tokenUrl) return Promise.reject(new Error("cbcs widget: data-token or data-token-url"));
    return fetch(data.tokenUrl, {credentials: "include", headers: {Accept: "application/json"}})
      .then(function (r) {
        if (!r.ok) throw new Error("cbcs widget: the token URL answered HTTP " + r.status);
        return r.json();
      })
      .then(function (body) {
        if (!body || typeof body.token !== "string") throw new Error("cbcs widget: no token in the answer");
        return body.token;
      });
  }

  function build(t) {
    var f = new URLSearchParams();
    f.set("token", t);
    f.set("embed", "1");
    if (data.lang) f.set("lang", data.lang);
    if (data.market) f.set("market", data.market);
    if (data.order) f.set("order", data.order);
    frame = document.createElement("iframe");
    frame.src = origin + "/web/widget/#" + f.toString();
    frame.title = label;
    frame.allow = "camera " + origin + "; microphone " + origin + "; autoplay " + origin;
    frame.referrerPolicy = "no-referrer";
    style(frame, {width: "100%", height: "100%", border: "0", display: "block"});
    frame.addEventListener("load", function () {
      loaded = true;
      if (!panel.hidden) frame.contentWindow.postMessage({type: "cbcs:focus"}, origin);
    });
    panel.appendChild(frame);
  }

  var opening = null;
  function open() {
    if (!panel.hidden) return Promise.resolve();
    if (!opening) {
      opening = (frame ? Promise.resolve() : token().then(build)).then(function () {
        panel.hidden = false;
        launcher.setAttribute("aria-expanded", "true");
        layout();
        if (Math.min(innerWidth, screen.width || innerWidth) < 600) launcher.style.display = "none";
        frame.focus();
        if (loaded) frame.contentWindow.postMessage({type: "cbcs:focus"}, origin);
      }).catch(function (err) {
        console.error(err.message);
      }).then(function () { opening = null; });
    }
    return opening;
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.style.display = "";
    layout();
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
  addEventListener("message", function (ev) {
    if (ev.origin !== origin || !frame || ev.source !== frame.contentWindow) return;
    if (ev.data && ev.data.type === "cbcs:close") close();
  });
  addEventListener("resize", layout);
  launcher.setAttribute("aria-label", label);
  panel.setAttribute("aria-label", label);

  function mount() {
    document.body.appendChild(host);
    layout();
    if (data.open === "true") open();
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);

  window.cbcsWidget = {open: open, close: close};
})();
