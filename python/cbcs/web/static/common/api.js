// The service from a page: REST (/api/v1, Bearer token) and the live channel (/ws).
//
//   const api = new Api({token});
//   const conv = await api.post("/conversations", {language: "es"});
//   const live = new Live(api, {onFrame: (f) => ..., onState: (s) => ...});
//   live.connect();
//   live.watch(conv.id, 0);                       // every message after seq 0, then live ones
//   const ack = await live.sendMessage(conv.id, "hola");
//
// Live keeps what a page needs to survive a dropped network: the last seq seen per
// conversation (a resume after it on every reopen) and the messages sent but not yet
// acknowledged (sent again, with the same client_id, so the service stores each once).
// Messages are deduplicated by seq before onFrame sees them.

// refusals that pass (a limit, a store or bus outage, a full disk): the message is kept and
// sent again, with its client_id, until it is stored
const RETRIED = new Set(["rate_limited", "unavailable", "storage_full"]);

/** An error answered by the service ({"error": {code, message}}) or the network (status 0). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** A random id for a message (idempotency key): 32 hex characters. */
export function clientId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The REST API with one bearer token. */
export class Api {
  constructor({base = location.origin, token} = {}) {
    this.base = String(base).replace(/\/+$/, "");
    this.token = token || "";
  }

  /** GET ``/api/v1`` + path; the answer's JSON, or ApiError. */
  get(path) { return this.request("GET", path); }
  post(path, body = {}) { return this.request("POST", path, body); }
  put(path, body = {}) { return this.request("PUT", path, body); }

  async request(method, path, body) {
    const headers = {"Accept": "application/json"};
    if (this.token) headers["Authorization"] = `Bearer ${this.token}`;
    const init = {method, headers, cache: "no-store", credentials: "omit"};
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(`${this.base}/api/v1${path}`, init);
    } catch (exc) {
      throw new ApiError(0, "network", `the service cannot be reached (${exc.message})`);
    }
    let data = null;
    const text = await response.text();
    if (text) {
      try { data = JSON.parse(text); } catch { data = null; }
    }
    if (!response.ok) {
      const err = (data && data.error) || {};
      throw new ApiError(response.status, err.code || "http_error",
                         err.message || `${method} ${path}: HTTP ${response.status}`);
    }
    return data;
  }

  /** The WebSocket address (same host; wss on https pages). */
  wsUrl() {
    const u = new URL(this.base);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    u.pathname = "/ws";
    u.search = `?token=${encodeURIComponent(this.token)}`;
    return u.toString();
  }
}

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];
const ACK_TIMEOUT_MS = 8000;   // no ack by then: the socket is taken for dead and reopened

/** The live channel: frames in and out, reconnect with backoff, resume, resend. */
export class Live {
  constructor(api, {onFrame = () => {}, onState = () => {}} = {}) {
    this.api = api;
    this.onFrame = onFrame;
    this.onState = onState;
    this.state = "closed";
    this.ws = null;
    /** conversation -> highest message seq received */
    this.seen = new Map();
    /** client_id -> {frame, resolve, reject, sentAt, retryAt} */
    this.pending = new Map();
    this.listeners = new Map();
    this.attempt = 0;
    this.wanted = false;
    this.timer = null;
    this.watchdog = null;
    this._online = () => { if (this.wanted && this.state !== "open") this._open(true); };
    this._offline = () => { if (this.wanted) this._drop(); };
  }

  /** Open the socket; it is reopened after any loss until close(). */
  connect() {
    if (this.wanted) return;
    this.wanted = true;
    addEventListener("online", this._online);
    addEventListener("offline", this._offline);
    this._open(false);
  }

  /** Follow a conversation from ``afterSeq`` (default: the last seq this page has). */
  watch(conversation, afterSeq) {
    const seq = afterSeq ?? this.seen.get(conversation) ?? 0;
    if (!this.seen.has(conversation) || (this.seen.get(conversation) ?? 0) < seq) {
      this.seen.set(conversation, seq);
    }
    this._raw({type: "resume", conversation, after_seq: seq});
  }

  /** Post a message; resolves with its ack ({client_id, seq, conversation}) however many
   * reconnects it takes; rejects with ApiError when the service refuses it. */
  sendMessage(conversation, text, {clientId: id = clientId(), suggestion} = {}) {
    const frame = {type: "message", conversation, client_id: id, text};
    if (suggestion) frame.suggestion = suggestion;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {frame, resolve, reject, sentAt: 0, retryAt: 0});
      this._sendPending(id);
    });
  }

  /** Any other client frame (typing, read, call.offer, ...); dropped while not open,
   * except that a follow is remembered (resume on reopen). Returns whether it went out. */
  send(frame) {
    if (frame && frame.type === "resume") {
      this.watch(frame.conversation, frame.after_seq);
      return this.state === "open";
    }
    return this._raw(frame);
  }

  /** Call ``fn(frame)`` for frames of ``type`` ("*": all); returns a function that stops it. */
  on(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(fn);
    return () => this.listeners.get(type)?.delete(fn);
  }

  /** Send ``frame`` and wait for the first frame ``match(frame)`` accepts; an error frame
   * about the same type rejects (ApiError status 0). */
  request(frame, match, timeoutMs = 20000) {
    return new Promise((resolve, reject) => {
      const done = () => { clearTimeout(t); off(); };
      const off = this.on("*", (f) => {
        if (f.type === "error" && f.ref && f.ref.type === frame.type) {
          done(); reject(new ApiError(0, f.code, f.message));
        } else if (match(f)) {
          done(); resolve(f);
        }
      });
      const t = setTimeout(() => { off(); reject(new ApiError(0, "timeout", `${frame.type}: no answer`)); },
                           timeoutMs);
      if (!this._raw(frame)) { done(); reject(new ApiError(0, "offline", "not connected")); }
    });
  }

  /** Close for good (no reconnect); pending sends are rejected. */
  close() {
    this.wanted = false;
    removeEventListener("online", this._online);
    removeEventListener("offline", this._offline);
    clearTimeout(this.timer);
    clearInterval(this.watchdog);
    if (this.ws) { this.ws.onclose = null; this.ws.close(1000); this.ws = null; }
    for (const p of this.pending.values()) p.reject(new ApiError(0, "closed", "live channel closed"));
    this.pending.clear();
    this._setState("closed");
  }

  // --- inside -------------------------------------------------------------------------
  _setState(state) {
    if (state === this.state) return;
    this.state = state;
    try { this.onState(state); } catch (exc) { console.error(exc); }
  }

  _raw(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  _sendPending(id) {
    const p = this.pending.get(id);
    if (p && this._raw(p.frame)) p.sentAt = Date.now();
  }

  _open(reconnecting) {
    clearTimeout(this.timer);
    if (this.ws) { this.ws.onclose = null; this.ws.onmessage = null; try { this.ws.close(); } catch { /* gone */ } }
    this._setState(reconnecting ? "reconnecting" : "connecting");
    let ws;
    try {
      ws = new WebSocket(this.api.wsUrl());
    } catch {
      this._retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.attempt = 0;
      this._setState("open");
      for (const [conversation, seq] of this.seen) {
        this._raw({type: "resume", conversation, after_seq: seq});
      }
      for (const id of this.pending.keys()) this._sendPending(id);
      clearInterval(this.watchdog);
      this.watchdog = setInterval(() => this._check(), 1000);
    };
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return;
      let frame;
      try { frame = JSON.parse(ev.data); } catch { return; }
      this._frame(frame);
    };
    ws.onclose = (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      clearInterval(this.watchdog);
      if (ev.code === 4001 || ev.code === 1008) {   // token expired / refused: no retry
        this.wanted = false;
        for (const p of this.pending.values()) p.reject(new ApiError(401, "unauthorized", "token expired"));
        this.pending.clear();
        this._setState("closed");
        return;
      }
      if (this.wanted) this._retry();
      else this._setState("closed");
    };
  }

  _drop() {
    // the network went away: do not wait for TCP to notice
    if (this.ws) { this.ws.onclose = null; this.ws.onmessage = null; try { this.ws.close(); } catch { /* gone */ } this.ws = null; }
    clearInterval(this.watchdog);
    this._retry();
  }

  _retry() {
    this._setState("reconnecting");
    clearTimeout(this.timer);
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    this.timer = setTimeout(() => {
      if (!this.wanted) return;
      if (navigator.onLine === false) { this._retry(); return; }
      this._open(true);
    }, delay * (0.75 + Math.random() * 0.5));
  }

  _check() {
    // a message sent long ago without an ack: the socket is half-dead, reopen it
    const now = Date.now();
    for (const [id, p] of this.pending) {
      if (p.retryAt) {
        if (now >= p.retryAt) { p.retryAt = 0; this._sendPending(id); }
      } else if (p.sentAt && now - p.sentAt > ACK_TIMEOUT_MS) {
        this._drop();
        return;
      }
    }
  }

  _frame(frame) {
    if (frame.type === "message" && frame.conversation) {
      const last = this.seen.get(frame.conversation) ?? 0;
      if (frame.seq <= last) return;   // a duplicate after a resume
      this.seen.set(frame.conversation, frame.seq);
    } else if (frame.type === "ack") {
      const p = this.pending.get(frame.client_id);
      if (p) { this.pending.delete(frame.client_id); p.resolve(frame); }
    } else if (frame.type === "error") {
      const id = frame.ref && frame.ref.client_id;
      const p = id ? this.pending.get(id) : null;
      if (p && !RETRIED.has(frame.code)) {
        this.pending.delete(id);
        p.reject(new ApiError(0, frame.code, frame.message));
      } else if (p) {
        p.retryAt = Date.now() + 2000;   // refused for now: the same message again in 2 s
      }
    }
    try { this.onFrame(frame); } catch (exc) { console.error(exc); }
    for (const key of [frame.type, "*"]) {
      for (const fn of this.listeners.get(key) ?? []) {
        try { fn(frame); } catch (exc) { console.error(exc); }
      }
    }
  }
}
