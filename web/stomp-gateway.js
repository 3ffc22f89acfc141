// stomp-gateway.js: the browser client of stomp-gateway (docs/BROWSER-PUSH.md).
//
// An ES module with no build step and no dependencies, for current browsers.
//
//   import { connect } from "/web/stomp-gateway.js";
//   const gw = connect({ url: "https://push.shop.example", getToken: fetchToken });
//   gw.addEventListener("state", (e) => console.log(e.detail.state, e.detail.reason));
//   const unsubscribe = gw.subscribe("/topic/orders.42", (msg) => render(msg.json()));
//
// Transports: Server-Sent Events (default; one EventSource per subscription) or STOMP
// over WebSocket (one socket for every subscription). Publishing always goes over a
// STOMP WebSocket. Every subscription resumes from the last position it delivered
// (`since`), so that reconnects neither repeat nor lose messages; see web/README.md.

/** @typedef {"connecting" | "open" | "paused" | "resumed" | "closed"} ConnectionState */

/**
 * Options of {@link connect}.
 * @typedef {object} ConnectOptions
 * @property {string} [url] Base URL of the gateway (`https://push.example:8080`); default: the page's origin.
 * @property {string} [token] A JWT to use as it is (no refresh; when it expires, subscriptions stop with `token_expired`).
 * @property {() => (string | Promise<string>)} [getToken] Returns a fresh JWT. Called at the start, before the
 *   current token expires (at 80% of its lifetime or 30 s before `exp`, whichever comes first, but not before
 *   half of the lifetime) and whenever the gateway says a token expired or is invalid.
 * @property {"sse" | "websocket"} [transport="sse"] How messages reach the page.
 * @property {number} [heartbeatMs=15000] SSE: the gateway's `sse.heartbeat_seconds` × 1000 (heartbeats are asked
 *   for with `heartbeat=event`). WebSocket: the STOMP heart-beat interval asked for and offered. A stream silent
 *   for more than 2.5 × the interval is taken for dead and reconnected.
 * @property {number} [backoffBaseMs=1000] Reconnect delay base: attempt n waits a random time in
 *   [0, min(backoffCapMs, backoffBaseMs · 2^n)] ("full jitter").
 * @property {number} [backoffCapMs=30000] Longest reconnect delay.
 * @property {number} [publishTimeoutMs=10000] How long {@link Gateway#publish} waits for the RECEIPT.
 * @property {number} [connectTimeoutMs=10000] How long a WebSocket may take to answer CONNECT.
 * @property {number} [maxRefusals=5] SSE across origins not allowed by the gateway (`http.allowed_origins`): its
 *   error answers then carry no CORS headers, so a
 *   refused stream cannot be told from a transient failure; after this many refusals in a row the subscription
 *   stops with `refused`.
 * @property {boolean} [withCredentials=false] Send cookies (the `auth.cookie` token) with SSE requests.
 */

/**
 * Options of {@link Gateway#subscribe}.
 * @typedef {object} SubscribeOptions
 * @property {string} [since] Where to start: a position `EPOCH-SEQUENCE` (exactly the messages after it),
 *   `"all"` (every retained message), `"live"` (live messages only); absent: the latest retained message
 *   (the current status), then live ones.
 * @property {(gap: GapNotice) => void} [onGap] Messages that will not come (they left the gateway's window).
 * @property {(error: GatewayError) => void} [onError] Errors of this subscription; `error.fatal` means it stopped.
 */

/**
 * A gap notice: messages of `destination` this subscription will not get.
 * @typedef {object} GapNotice
 * @property {string} destination
 * @property {number} missed How many; 0 when unknown (for instance after a gateway restart).
 * @property {string} position The position just before the next message.
 */

/**
 * An error reported to `onError`, the `error` event and (when fatal) the `state` event.
 * @typedef {object} GatewayError
 * @property {string} code `forbidden`, `unauthorized`, `bad_request`, `refused`, `token_expired`,
 *   `slow_consumer`, `upstream_failed`, `publish_failed`, `connection_lost`, `timeout`, `closed`, …
 * @property {string} message The gateway's words where it gave some.
 * @property {number} [status] The HTTP status (SSE) where known.
 * @property {string} [error] The gateway's own error code (`invalid_token`, `token_expired`, …) where known.
 * @property {string} [destination]
 * @property {boolean} fatal Whether the subscription (or the connection) stopped for good.
 */

/**
 * Detail of a `state` event.
 * @typedef {object} StateDetail
 * @property {ConnectionState} state
 * @property {string} [reason] Why: `start`, `offline`, `disconnected`, `heartbeat_timeout`, `shutting_down`,
 *   `token_expired`, `forbidden`, `unauthorized`, `closed`, …
 * @property {number | null} [retryInMs] When paused: the delay before the next attempt (`null`: waiting for the
 *   network to come back, or for the gateway's own `retry` hint).
 * @property {string} [destination] Set when the event is about one subscription (a fatal error).
 * @property {string} [message] The gateway's words, for errors.
 * @property {number} [status]
 */

const POSITION_RE = /^([A-Za-z0-9_]{1,64})-([0-9]{1,20})$/;
const STOMP_PROTOCOLS = ["v12.stomp", "v11.stomp", "v10.stomp"];
const BOOKKEEPING = new Set(["destination", "subscription", "message-id", "ack", "content-length"]);
const DEAD_FACTOR = 2.5;
const RENEW_TIMEOUT_MS = 5000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ----------------------------------------------------------------------------- helpers

/** @param {string | undefined | null} text */
function parsePosition(text) {
  const m = POSITION_RE.exec(text || "");
  return m ? { epoch: m[1], seq: BigInt(m[2]), text } : null;
}

/** Reads a JWT's claims without verifying it (the gateway verifies). */
function jwtClaims(token) {
  try {
    const part = String(token).split(".")[1];
    if (!part) return null;
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((part.length + 3) % 4);
    const bin = atob(b64);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return null;
  }
}

function base64ToBytes(text) {
  const bin = atob(text);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function rethrowLater(error) {
  // A page's callback threw: let the page see it (window.onerror) without breaking us.
  setTimeout(() => {
    throw error;
  }, 0);
}

function call(fn, ...args) {
  if (typeof fn !== "function") return;
  try {
    fn(...args);
  } catch (e) {
    rethrowLater(e);
  }
}

/** Exponential backoff with full jitter. */
/**
 * Starts a connection attempt of `channel` (an SSE stream or the WebSocket): `{ token }`
 * (the token may be null: anonymous), or null when it is paused (offline), waits to
 * retry (no token to be had), or a newer attempt replaced it meanwhile.
 */
async function beginAttempt(channel, reason) {
  const generation = ++channel.generation;
  if (channel.gw.offline) {
    channel.setState("paused", "offline", null);
    return null;
  }
  channel.setState("connecting", reason);
  let token;
  try {
    token = await channel.gw.tokens.current();
  } catch {
    if (generation === channel.generation) channel.scheduleRetry("token_unavailable");
    return null;
  }
  if (generation !== channel.generation || channel.state !== "connecting") return null;
  return { token };
}

class Backoff {
  constructor(baseMs, capMs) {
    this.baseMs = baseMs;
    this.capMs = capMs;
    this.attempt = 0;
  }
  next() {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.round(Math.random() * ceiling);
  }
  reset() {
    this.attempt = 0;
  }
}

/**
 * A delivered message.
 */
class GatewayMessage {
  /** @param {{destination: string, position: string, headers: Record<string,string>, body?: string, bytes?: Uint8Array, isBinary: boolean}} m */
  constructor(m) {
    /** @type {string} */
    this.destination = m.destination;
    /** @type {string} the position `EPOCH-SEQUENCE`: pass it as `since` to resume after this message */
    this.position = m.position;
    /** @type {Record<string, string>} the broker message's headers (without the STOMP bookkeeping ones) */
    this.headers = m.headers;
    /** @type {boolean} whether the body is not UTF-8 text (then `body` is a lossy decoding; use `bytes`) */
    this.isBinary = m.isBinary;
    this._body = m.body;
    this._bytes = m.bytes;
  }
  /** @type {string} the body as text */
  get body() {
    if (this._body === undefined) this._body = decoder.decode(this._bytes);
    return this._body;
  }
  /** @type {Uint8Array} the body as bytes */
  get bytes() {
    if (this._bytes === undefined) this._bytes = encoder.encode(this._body);
    return this._bytes;
  }
  /** The body parsed as JSON (throws on invalid JSON). */
  json() {
    return JSON.parse(this.body);
  }
}

// ----------------------------------------------------------------------------- STOMP frames

function escapeHeader(value) {
  return String(value).replace(/\\/g, "\\\\").replace(/\r/g, "\\r").replace(/\n/g, "\\n").replace(/:/g, "\\c");
}

function unescapeHeader(value) {
  return value.replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c === "r" ? "\r" : c === "c" ? ":" : c === "\\" ? "\\" : c));
}

/**
 * Encodes a frame; a string when the body is text, else bytes.
 * @param {string} command @param {Record<string,string>} headers @param {string | Uint8Array} [body]
 */
function encodeFrame(command, headers, body = "") {
  const escape = command !== "CONNECT" && command !== "STOMP";
  let head = command + "\n";
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || v === null) continue;
    head += (escape ? escapeHeader(k) : k) + ":" + (escape ? escapeHeader(v) : v) + "\n";
  }
  if (typeof body === "string") {
    if (body.length) head += "content-length:" + encoder.encode(body).length + "\n";
    return head + "\n" + body + "\0";
  }
  head += "content-length:" + body.length + "\n\n";
  const h = encoder.encode(head);
  const out = new Uint8Array(h.length + body.length + 1);
  out.set(h, 0);
  out.set(body, h.length);
  return out;
}

/**
 * Parses the STOMP frames of one WebSocket message (heart-beat EOLs are skipped).
 * @param {Uint8Array} bytes
 * @returns {{command: string, headers: Record<string,string>, body: Uint8Array}[]}
 */
function parseFrames(bytes) {
  const frames = [];
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    while (i < n && (bytes[i] === 10 || bytes[i] === 13)) i++;
    if (i >= n) break;
    // The head ends at the first empty line.
    let end = -1;
    for (let j = i; j < n; j++) {
      if (bytes[j] === 10 && (bytes[j + 1] === 10 || (bytes[j + 1] === 13 && bytes[j + 2] === 10))) {
        end = j;
        break;
      }
    }
    if (end < 0) throw new Error("truncated STOMP frame");
    const lines = decoder.decode(bytes.subarray(i, end)).split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
    const command = lines[0];
    const escaped = command !== "CONNECTED" && command !== "CONNECT";
    /** @type {Record<string,string>} */
    const headers = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      const k = escaped ? unescapeHeader(line.slice(0, colon)) : line.slice(0, colon);
      if (k in headers) continue; // STOMP 1.2: the first one wins
      headers[k] = escaped ? unescapeHeader(line.slice(colon + 1)) : line.slice(colon + 1);
    }
    let bodyStart = end + (bytes[end + 1] === 13 ? 3 : 2);
    let bodyEnd;
    const length = headers["content-length"] !== undefined ? Number(headers["content-length"]) : NaN;
    if (Number.isInteger(length) && length >= 0 && bodyStart + length <= n) {
      bodyEnd = bodyStart + length;
    } else {
      bodyEnd = bytes.indexOf(0, bodyStart);
      if (bodyEnd < 0) bodyEnd = n;
    }
    frames.push({ command, headers, body: bytes.subarray(bodyStart, bodyEnd) });
    i = bodyEnd + 1; // past the NUL
  }
  return frames;
}

// ----------------------------------------------------------------------------- tokens

/** Holds the current token; refreshes it with getToken before it expires. */
class Tokens {
  constructor(gw, token, getToken) {
    this.gw = gw;
    this.getToken = typeof getToken === "function" ? getToken : null;
    this.token = null;
    this.expMs = null;
    this.refreshAt = null;
    this.timer = null;
    this.inflight = null;
    this.stale = false;
    this.failures = new Backoff(1000, 30000);
    if (token) this.set(String(token));
  }

  get canRefresh() {
    return this.getToken !== null;
  }

  set(token) {
    const claims = jwtClaims(token);
    const now = Date.now();
    this.token = token;
    this.stale = false;
    this.expMs = claims && typeof claims.exp === "number" ? claims.exp * 1000 : null;
    this.refreshAt = null;
    clearTimeout(this.timer);
    if (this.expMs === null || !this.canRefresh) return;
    // Lifetime from iat when present, else from now. Refresh `lead` before exp:
    // 20% of the lifetime, at least 30 s, but never earlier than half-way.
    const issued = typeof claims.iat === "number" ? Math.min(claims.iat * 1000, now) : now;
    const lifetime = Math.max(0, this.expMs - issued);
    const lead = Math.max(0.2 * lifetime, Math.min(30000, 0.5 * lifetime));
    this.refreshAt = Math.max(now + 1000, this.expMs - lead);
    this.timer = setTimeout(() => this.checkDue(Date.now()), this.refreshAt - now);
  }

  /** The token to connect with (fetched when there is none, it is stale, or about to expire). */
  async current() {
    if (!this.canRefresh) return this.token;
    if (!this.token || this.stale || (this.expMs !== null && this.expMs - Date.now() < 1000)) {
      await this.refresh();
    }
    return this.token;
  }

  /** The gateway refused `token` (expired or invalid): the next connect fetches another. */
  invalidate(token) {
    if (token === this.token) this.stale = true;
  }

  /** Timer tick / visibility: refresh when due (timers may have been throttled). */
  checkDue(now) {
    if (this.refreshAt !== null && now >= this.refreshAt && !this.inflight && !this.gw.closed) {
      this.refreshAt = null;
      this.refresh().catch(() => {
        // Retry later; the connections run on until the token expires.
        const delay = Math.max(1000, this.failures.next());
        this.refreshAt = Date.now() + delay;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.checkDue(Date.now()), delay);
      });
    }
  }

  /** Calls getToken (one call at a time); tells the connections about a new token. */
  refresh() {
    if (!this.canRefresh) return Promise.resolve(this.token);
    if (!this.inflight) {
      this.inflight = (async () => {
        try {
          const t = await this.getToken();
          if (typeof t !== "string" || !t) throw new Error("getToken() returned no token");
          this.failures.reset();
          const changed = t !== this.token;
          this.set(t);
          if (changed) this.gw._tokenChanged(t);
          return t;
        } catch (e) {
          this.gw._emitError({ code: "token_unavailable", message: String((e && e.message) || e), fatal: false });
          throw e;
        } finally {
          this.inflight = null;
        }
      })();
    }
    return this.inflight;
  }

  close() {
    clearTimeout(this.timer);
  }
}

// ----------------------------------------------------------------------------- subscriptions

/** One `subscribe()`: its handler, its place in the feed, de-duplication. */
class Subscription {
  constructor(gw, id, destination, handler, options) {
    this.gw = gw;
    this.id = id;
    this.destination = destination;
    this.handler = handler;
    this.onGap = options.onGap;
    this.onError = options.onError;
    this.since = options.since;
    /** @type {{epoch: string, seq: bigint, text: string} | null} */
    this.last = null;
    this.everOpen = false;
    this.active = true;
  }

  /** `since` for the next (re)connect. */
  resumeSince() {
    if (this.last) return this.last.text;
    if (this.since === "live" || parsePosition(this.since)) return this.since;
    if (this.since === "all") return "all";
    // latest: if we were connected and got nothing, everything retained now is newer.
    return this.everOpen ? "all" : undefined;
  }

  /** @param {GatewayMessage} msg */
  deliver(msg) {
    if (!this.active) return;
    const p = parsePosition(msg.position);
    if (p && this.last && p.epoch === this.last.epoch) {
      if (p.seq <= this.last.seq) return; // already delivered (a resume overlap): drop
      if (p.seq > this.last.seq + 1n) {
        // Should not happen (the gateway sends a gap notice first); say so rather than hide it.
        this.gap({ destination: this.destination, missed: Number(p.seq - this.last.seq - 1n), position: `${p.epoch}-${p.seq - 1n}` });
      }
    } else if (p && this.last && p.epoch !== this.last.epoch) {
      // A new epoch (gateway restart) without a notice: a gap of unknown size.
      this.gap({ destination: this.destination, missed: 0, position: `${p.epoch}-${p.seq - 1n}` });
    }
    if (p) this.last = p;
    call(this.handler, msg);
  }

  /** @param {GapNotice} g */
  gap(g) {
    if (!this.active) return;
    const p = parsePosition(g.position);
    if (p && this.last && p.epoch === this.last.epoch && p.seq <= this.last.seq) return; // stale notice
    if (p) this.last = p;
    call(this.onGap, { destination: g.destination || this.destination, missed: Number(g.missed) || 0, position: g.position });
  }

  /** @param {GatewayError} err */
  error(err) {
    const e = { destination: this.destination, ...err };
    call(this.onError, e);
    this.gw._emitError(e);
  }
}

// ----------------------------------------------------------------------------- channels (shared)

/** What the SSE and WebSocket channels share: state, retry scheduling. */
class Channel {
  constructor(gw) {
    this.gw = gw;
    /** @type {"idle" | "connecting" | "open" | "paused" | "stopped"} */
    this.state = "idle";
    this.reason = undefined;
    this.retryInMs = null;
    this.retryAt = 0;
    this.retryTimer = null;
    this.generation = 0;
    this.healthy = false;
    this.backoff = new Backoff(gw.options.backoffBaseMs, gw.options.backoffCapMs);
  }

  setState(state, reason, retryInMs = null) {
    this.state = state;
    this.reason = reason;
    this.retryInMs = retryInMs;
    this.gw._updateState(this);
  }

  clearRetry() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryAt = 0;
  }

  /** Waits a backoff delay (full jitter), then reconnects. */
  scheduleRetry(reason, minimumMs = 0) {
    if (this.state === "stopped" || this.gw.closed) return;
    this.clearRetry();
    this.generation += 1;
    if (this.gw.offline) {
      this.setState("paused", "offline", null);
      return;
    }
    this.healthy = false;
    const delay = Math.max(minimumMs, this.backoff.next());
    this.retryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => this.fireRetry(), delay);
    this.setState("paused", reason, delay);
  }

  fireRetry() {
    if (!this.retryAt) return;
    this.clearRetry();
    this.connect("retry");
  }

  /** Wall-clock checks: due retries (timers may be throttled), dead streams. */
  watch(now) {
    if (this.state === "paused" && this.retryAt && now >= this.retryAt) this.fireRetry();
  }

  /** `offline`: drop the connection, wait for `online`. */
  pause() {
    if (this.state === "stopped" || this.state === "idle") return;
    this.clearRetry();
    this.generation += 1;
    this.drop();
    this.setState("paused", "offline", null);
  }

  /** `online`: reconnect now. */
  wake() {
    if (this.state !== "paused") return;
    this.backoff.reset();
    this.connect("online");
  }

  // For subclasses.
  connect(_reason) {}
  drop() {}
}

// ----------------------------------------------------------------------------- SSE

/** One EventSource per subscription. */
class SSEChannel extends Channel {
  constructor(gw, sub) {
    super(gw);
    this.sub = sub;
    this.cur = null; // the attempt in use
    this.next = null; // a replacement opening with a new token
    this.refusals = 0;
    this.authRetried = false;
    this.renewing = null;
  }

  url(token) {
    const q = new URLSearchParams();
    q.append("destination", this.sub.destination);
    const since = this.sub.resumeSince();
    if (since) q.append("since", since);
    q.append("heartbeat", "event");
    if (token) q.append("access_token", token);
    return this.gw.baseURL + "/events?" + q.toString();
  }

  async connect(reason) {
    if (this.state === "stopped" || this.gw.closed) return;
    this.clearRetry();
    const attempt = await beginAttempt(this, reason);
    if (!attempt) return;
    const { token } = attempt;
    this.closeAttempt(this.cur);
    this.closeAttempt(this.next);
    this.next = null;
    this.cur = this.open(token, false);
  }

  open(token, renewal) {
    const url = this.url(token);
    const es = new EventSource(url, { withCredentials: !!this.gw.options.withCredentials });
    const a = { es, url, token, renewal, opened: false, closed: false, serverError: null, nativeRetry: false, lastActivity: Date.now(), heartbeats: 0 };
    es.addEventListener("open", () => this.onOpen(a));
    es.addEventListener("message", (e) => this.onMessage(a, e));
    es.addEventListener("gap", (e) => this.onGap(a, e));
    es.addEventListener("heartbeat", () => this.onActivity(a));
    es.addEventListener("error", (e) => this.onError(a, e));
    return a;
  }

  closeAttempt(a) {
    if (!a || a.closed) return;
    a.closed = true;
    a.es.close();
  }

  drop() {
    this.closeAttempt(this.cur);
    this.closeAttempt(this.next);
    this.cur = this.next = null;
    if (this.renewing) this.renewing.done();
  }

  live(a) {
    return !a.closed && (a === this.cur || a === this.next);
  }

  onOpen(a) {
    if (!this.live(a)) return;
    a.opened = true;
    a.lastActivity = Date.now();
    if (a.nativeRetry) {
      // The browser's own reconnect after shutting_down got through.
      a.nativeRetry = false;
      a.nativeRetryAt = 0;
      a.serverError = null;
    }
    this.sub.everOpen = true;
    this.refusals = 0;
    if (a === this.next) {
      // The replacement (new token) is streaming: the old one can go.
      this.closeAttempt(this.cur);
      this.cur = a;
      this.next = null;
      if (this.renewing) this.renewing.done();
    }
    if (a === this.cur) this.setState("open", "connected");
  }

  onActivity(a) {
    if (!this.live(a)) return;
    const now = Date.now();
    a.lastActivity = now;
    if (!this.healthy) {
      // Data after open: the stream works; the next failure starts the backoff over.
      this.healthy = true;
      this.backoff.reset();
      this.authRetried = false;
    }
  }

  onMessage(a, e) {
    if (!this.live(a)) return;
    this.onActivity(a);
    let d;
    try {
      d = JSON.parse(e.data);
    } catch {
      return;
    }
    const base64 = d.bodyEncoding === "base64";
    this.sub.deliver(
      new GatewayMessage({
        destination: d.destination || this.sub.destination,
        position: d.position || e.lastEventId,
        headers: d.headers || {},
        body: base64 ? undefined : String(d.body ?? ""),
        bytes: base64 ? base64ToBytes(d.body || "") : undefined,
        isBinary: base64,
      }),
    );
  }

  onGap(a, e) {
    if (!this.live(a)) return;
    this.onActivity(a);
    try {
      const d = JSON.parse(e.data);
      this.sub.gap({ destination: d.destination, missed: d.missed, position: d.position || e.lastEventId });
    } catch {
      /* ignore a malformed notice */
    }
  }

  onError(a, e) {
    if (a.closed) return;
    if (!this.live(a)) {
      this.closeAttempt(a);
      return;
    }
    if (typeof e.data === "string") {
      // The gateway's `event: error`; the stream ends after it.
      let d = {};
      try {
        d = JSON.parse(e.data);
      } catch {
        /* keep {} */
      }
      this.serverError(a, String(d.code || "error"), String(d.message || ""));
      return;
    }
    // The browser's error: the stream failed or ended.
    this.healthy = false;
    if (a.nativeRetry && a.es.readyState === EventSource.CONNECTING && a.opened) {
      // After shutting_down: the EventSource reconnects by itself after the gateway's
      // `retry` hint (with Last-Event-ID); we wait for that one attempt.
      a.opened = false;
      a.nativeRetryAt = Date.now();
      return;
    }
    const wasRenewal = a === this.next;
    this.closeAttempt(a);
    if (wasRenewal && !a.opened) {
      // The replacement failed; the current stream runs on (and ends at expiry at worst).
      this.next = null;
      if (this.renewing) this.renewing.done();
      return;
    }
    if (a.serverError && a.serverError.handled) return;
    if (a.opened) {
      this.scheduleRetry("disconnected");
    } else {
      this.diagnose(a);
    }
  }

  serverError(a, code, message) {
    a.serverError = { code, message, handled: true };
    this.healthy = false;
    if (code === "shutting_down") {
      a.serverError.handled = false;
      a.nativeRetry = true;
      this.setState("paused", "shutting_down", null);
      return;
    }
    this.closeAttempt(a);
    if (a === this.next) {
      this.next = null;
      if (this.renewing) this.renewing.done();
      if (code !== "token_expired") return;
    }
    if (code === "token_expired") {
      this.gw.tokens.invalidate(a.token);
      if (!this.gw.tokens.canRefresh) {
        this.fail({ code: "token_expired", message: message || "the token expired", status: 401, error: code });
      } else {
        this.connect("token_expired");
      }
      return;
    }
    this.sub.error({ code, message, fatal: false });
    this.scheduleRetry(code);
  }

  /** The stream failed before opening: EventSource cannot see why; ask with fetch. */
  async diagnose(a) {
    const generation = this.generation;
    const d = await diagnoseEvents(a.url, !!this.gw.options.withCredentials);
    if (generation !== this.generation || this.state === "stopped" || this.gw.closed) return;
    if (d.kind === "ok" || d.kind === "network") {
      this.scheduleRetry(d.kind === "ok" ? "disconnected" : "network_error");
      return;
    }
    if (d.kind === "refused") {
      // From an origin the gateway does not allow, its error answers are unreadable (no CORS headers).
      this.refusals += 1;
      if (this.refusals === 1 && this.gw.tokens.canRefresh) this.gw.tokens.invalidate(a.token);
      if (this.refusals >= this.gw.options.maxRefusals) {
        this.fail({ code: "refused", message: d.message, status: 0 });
      } else {
        this.scheduleRetry("refused");
      }
      return;
    }
    const status = d.status;
    const info = { status, error: d.error, message: d.message };
    if (status === 401) {
      if (this.gw.tokens.canRefresh && !this.authRetried) {
        this.authRetried = true;
        this.gw.tokens.invalidate(a.token);
        this.connect("unauthorized");
      } else {
        this.fail({ code: "unauthorized", ...info });
      }
    } else if (status === 403) {
      this.fail({ code: "forbidden", ...info });
    } else if (status === 400 || status === 404 || status === 405) {
      this.fail({ code: status === 400 ? "bad_request" : "not_found", ...info });
    } else {
      // 429, 503 and the like: later.
      this.scheduleRetry(status === 429 ? "rate_limited" : "unavailable");
    }
  }

  fail(err) {
    this.clearRetry();
    this.generation += 1;
    this.drop();
    this.state = "stopped";
    this.sub.error({ ...err, fatal: true });
    this.gw._subscriptionFailed(this.sub, err);
  }

  /** A new token: open a replacement stream (resuming from the last position), then drop the old one. */
  renew(token) {
    return new Promise((resolve) => {
      if (this.state !== "open" || !this.cur || this.next) return resolve();
      const renewal = { done: () => { clearTimeout(renewal.timer); this.renewing = null; resolve(); } };
      this.renewing = renewal;
      this.next = this.open(token, true);
      renewal.timer = setTimeout(() => {
        // The browser's connection limit (HTTP/1.1: 6 per host) may hold the new one back:
        // let the old one go to make room; the new one becomes the stream.
        if (this.next) {
          this.closeAttempt(this.cur);
          this.cur = this.next;
          this.cur.renewal = false;
          this.next = null;
          if (!this.cur.opened) this.setState("connecting", "token_refresh");
        }
        renewal.done();
      }, RENEW_TIMEOUT_MS);
    });
  }

  watch(now) {
    super.watch(now);
    const a = this.cur;
    if (!a || a.closed) return;
    if (a.nativeRetry && !a.opened && a.nativeRetryAt && now - a.nativeRetryAt > this.gw.options.backoffCapMs) {
      // The browser's own retry after shutting_down did not get through: take over.
      this.closeAttempt(a);
      this.scheduleRetry("shutting_down");
      return;
    }
    if (this.state === "open" && a.opened && now - a.lastActivity > DEAD_FACTOR * this.gw.options.heartbeatMs) {
      this.closeAttempt(a);
      this.healthy = false;
      this.scheduleRetry("heartbeat_timeout");
    }
  }

  stop() {
    this.clearRetry();
    this.generation += 1;
    this.drop();
    this.state = "stopped";
  }
}

function sameOrigin(url) {
  try {
    return typeof location !== "undefined" && new URL(url, location.href).origin === location.origin;
  } catch {
    return false;
  }
}

/**
 * Why did GET /events fail? `ok`: it streams now; `http`: a status and the gateway's
 * JSON error; `refused`: the gateway answered but the answer is unreadable (CORS);
 * `network`: no answer.
 */
async function diagnoseEvents(url, withCredentials) {
  const credentials = withCredentials ? "include" : "same-origin";
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 10000);
  try {
    const res = await fetch(url, { credentials, cache: "no-store", signal: ctl.signal });
    if (res.ok && (res.headers.get("content-type") || "").startsWith("text/event-stream")) return { kind: "ok" };
    let body = {};
    try {
      body = JSON.parse(await res.text());
    } catch {
      /* not JSON */
    }
    return { kind: "http", status: res.status, error: body.error, message: body.message || `HTTP ${res.status}` };
  } catch {
    // Same origin: no CORS, so a failed fetch is the network. Across origins it may be
    // an error answer without CORS headers: an opaque (no-cors) answer tells.
    if (ctl.signal.aborted || sameOrigin(url)) return { kind: "network" };
    try {
      // An opaque answer means the gateway is there and refused us unreadably.
      await fetch(url, { mode: "no-cors", credentials, cache: "no-store", signal: ctl.signal });
      return {
        kind: "refused",
        message: "the gateway refused the stream; its answer is unreadable from this origin (not in http.allowed_origins)",
      };
    } catch {
      return { kind: "network" };
    }
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
}

// ----------------------------------------------------------------------------- STOMP over WebSocket

/** One STOMP-over-WebSocket connection: every subscription (websocket transport) and publishing. */
class StompChannel extends Channel {
  constructor(gw, publishOnly) {
    super(gw);
    this.publishOnly = publishOnly;
    /** @type {Map<string, Subscription>} */
    this.subs = new Map();
    this.a = null; // the current attempt
    this.pending = new Map(); // receipt id -> {resolve, reject, timer, kind, destination}
    this.outbox = []; // SENDs waiting for CONNECTED
    this.receiptSeq = 0;
    this.authRetried = false;
  }

  get wsURL() {
    return this.gw.baseURL.replace(/^http/i, "ws") + "/stomp";
  }

  get wanted() {
    return !this.publishOnly || this.outbox.length > 0 || this.pending.size > 0;
  }

  async connect(reason) {
    if (this.state === "stopped" || this.gw.closed) return;
    this.clearRetry();
    if (!this.wanted) {
      this.setState("idle", reason);
      return;
    }
    const attempt = await beginAttempt(this, reason);
    if (!attempt) return;
    const { token } = attempt;
    this.detach(this.a);
    let ws;
    try {
      ws = new WebSocket(this.wsURL, STOMP_PROTOCOLS);
    } catch (e) {
      this.failAll({ code: "bad_request", message: String(e && e.message), fatal: true });
      return;
    }
    ws.binaryType = "arraybuffer";
    const now = Date.now();
    const a = { ws, token, opened: false, detached: false, handled: false, startedAt: now, lastActivity: now, lastSent: now, inMs: 0, outMs: 0 };
    this.a = a;
    ws.onopen = () => {
      if (a !== this.a || a.detached) return;
      const hb = Math.max(0, Math.round(this.gw.options.heartbeatMs));
      const headers = { "accept-version": "1.2,1.1,1.0", host: new URL(this.gw.baseURL).hostname, "heart-beat": `${hb},${hb}` };
      if (token) headers.passcode = token;
      this.sendRaw(a, encodeFrame("CONNECT", headers));
    };
    ws.onmessage = (e) => this.onMessage(a, e);
    ws.onclose = (e) => this.onClose(a, e);
    ws.onerror = () => {}; // onclose follows
  }

  sendRaw(a, data) {
    if (!a || a.detached || a.ws.readyState !== WebSocket.OPEN) return false;
    a.ws.send(data);
    a.lastSent = Date.now();
    return true;
  }

  detach(a) {
    if (!a || a.detached) return;
    a.detached = true;
    a.ws.onopen = a.ws.onmessage = a.ws.onclose = a.ws.onerror = null;
    try {
      a.ws.close(1000);
    } catch {
      /* ignore */
    }
  }

  drop() {
    this.detach(this.a);
    this.a = null;
    this.rejectPending({ code: "connection_lost", message: "the connection closed before the RECEIPT; the message may or may not have been published" });
  }

  nextReceipt(kind) {
    this.receiptSeq += 1;
    return `${kind}-${this.receiptSeq}`;
  }

  onMessage(a, e) {
    if (a !== this.a || a.detached) return;
    const now = Date.now();
    a.lastActivity = now;
    let bytes;
    const text = typeof e.data === "string";
    if (text) {
      if (e.data === "\n" || e.data === "\r\n") {
        if (a.opened && !this.healthy) {
          // Heart-beats after CONNECTED: the connection works; the backoff starts over.
          this.healthy = true;
          this.backoff.reset();
        }
        this.heartbeat(a, now);
        return;
      }
      bytes = encoder.encode(e.data);
    } else {
      bytes = new Uint8Array(e.data);
    }
    let frames;
    try {
      frames = parseFrames(bytes);
    } catch {
      return;
    }
    for (const f of frames) {
      if (a !== this.a || a.detached) return;
      this.onFrame(a, f, !text);
    }
    this.heartbeat(a, now);
  }

  /** Our heart-beat, sent when due on any incoming traffic too (timers may be throttled). */
  heartbeat(a, now) {
    if (a.opened && a.outMs > 0 && now - a.lastSent >= a.outMs / 2) this.sendRaw(a, "\n");
  }

  onFrame(a, f, binary) {
    const h = f.headers;
    switch (f.command) {
      case "CONNECTED":
        this.onConnected(a, h);
        break;
      case "MESSAGE": {
        const sub = this.subs.get(h.subscription);
        if (!sub) return;
        if (h["gateway-gap"] === "true") {
          sub.gap({ destination: h.destination, missed: Number(h["gateway-missed"] || 0), position: h["gateway-position"] || h["message-id"] });
          return;
        }
        const headers = {};
        for (const [k, v] of Object.entries(h)) if (!BOOKKEEPING.has(k)) headers[k] = v;
        sub.deliver(new GatewayMessage({ destination: h.destination || sub.destination, position: h["message-id"], headers, bytes: f.body.slice(), isBinary: binary }));
        break;
      }
      case "RECEIPT": {
        const id = h["receipt-id"];
        const p = this.pending.get(id);
        if (p) {
          this.pending.delete(id);
          clearTimeout(p.timer);
          p.resolve({ receipt: id });
        }
        break;
      }
      case "ERROR":
        this.onErrorFrame(a, h, decoder.decode(f.body));
        break;
      default:
        break;
    }
  }

  onConnected(a, h) {
    a.opened = true;
    a.connectedAt = Date.now();
    const [sx, sy] = String(h["heart-beat"] || "0,0").split(",").map((x) => Number(x) || 0);
    const hb = Math.max(0, Math.round(this.gw.options.heartbeatMs));
    a.inMs = sx > 0 && hb > 0 ? Math.max(sx, hb) : 0;
    a.outMs = sy > 0 && hb > 0 ? Math.max(sy, hb) : 0;
    for (const sub of this.subs.values()) this.sendSubscribe(a, sub);
    const queued = this.outbox;
    this.outbox = [];
    for (const item of queued) this.sendPublish(a, item);
    this.setState("open", "connected");
  }

  sendSubscribe(a, sub) {
    const headers = { destination: sub.destination, id: sub.id, ack: "auto", receipt: this.nextReceipt("sub") };
    const since = sub.resumeSince();
    if (since) headers.since = since;
    sub.pendingReceipt = headers.receipt;
    sub.confirmed = false;
    this.pending.set(headers.receipt, {
      kind: "subscribe",
      destination: sub.destination,
      resolve: () => {
        sub.confirmed = true;
        sub.everOpen = true;
        if (!this.healthy) {
          this.healthy = true;
          this.backoff.reset();
          this.authRetried = false;
        }
      },
      reject: () => {},
      timer: null,
    });
    this.sendRaw(a, encodeFrame("SUBSCRIBE", headers));
  }

  add(sub) {
    if (this.state === "stopped") {
      sub.active = false;
      sub.error({ code: this.reason || "closed", message: "the connection stopped for good", fatal: true });
      return;
    }
    this.subs.set(sub.id, sub);
    if (this.a && this.a.opened && !this.a.detached) this.sendSubscribe(this.a, sub);
    else if (this.state === "idle") this.connect("start");
  }

  remove(sub) {
    if (!this.subs.delete(sub.id)) return;
    if (this.a && this.a.opened) this.sendRaw(this.a, encodeFrame("UNSUBSCRIBE", { id: sub.id }));
  }

  publish(destination, body, headers) {
    if (this.state === "stopped") {
      return Promise.reject(makeError({ code: "closed", message: "the connection stopped: " + (this.reason || "closed"), destination, fatal: true }));
    }
    return new Promise((resolve, reject) => {
      const item = { destination, body, headers, resolve, reject, receipt: this.nextReceipt("send") };
      const timeoutMs = this.gw.options.publishTimeoutMs;
      item.timer = setTimeout(() => {
        this.outbox = this.outbox.filter((x) => x !== item);
        this.pending.delete(item.receipt);
        reject(makeError({ code: "timeout", message: `no RECEIPT within ${timeoutMs} ms`, destination, fatal: false }));
      }, timeoutMs);
      if (this.a && this.a.opened && !this.a.detached) this.sendPublish(this.a, item);
      else {
        this.outbox.push(item);
        if (this.state === "idle" || (this.publishOnly && this.state !== "connecting" && this.state !== "paused")) this.connect("publish");
      }
    });
  }

  sendPublish(a, item) {
    let body = item.body;
    const headers = { ...(item.headers || {}) };
    if (body instanceof ArrayBuffer) body = new Uint8Array(body);
    else if (ArrayBuffer.isView(body)) body = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    else if (body === undefined || body === null) body = "";
    else if (typeof body !== "string") {
      body = JSON.stringify(body);
      if (!Object.keys(headers).some((k) => k.toLowerCase() === "content-type")) headers["content-type"] = "application/json";
    }
    for (const k of ["destination", "receipt", "content-length", "transaction"]) delete headers[k];
    this.pending.set(item.receipt, { kind: "send", destination: item.destination, resolve: item.resolve, reject: item.reject, timer: item.timer });
    this.sendRaw(a, encodeFrame("SEND", { destination: item.destination, receipt: item.receipt, ...headers }, body));
  }

  /** In-band token refresh: SEND /gateway/token. */
  renew(token) {
    const a = this.a;
    if (!a || !a.opened || a.detached) return Promise.resolve();
    return new Promise((resolve) => {
      const receipt = this.nextReceipt("token");
      const timer = setTimeout(() => {
        this.pending.delete(receipt);
        resolve();
      }, this.gw.options.publishTimeoutMs);
      this.pending.set(receipt, {
        kind: "token",
        token,
        timer,
        resolve: () => {
          a.token = token;
          resolve();
        },
        reject: () => resolve(),
      });
      a.sentToken = token;
      this.sendRaw(a, encodeFrame("SEND", { destination: "/gateway/token", receipt, "content-type": "text/plain" }, token));
    });
  }

  rejectPending(err, filter = () => true) {
    for (const [id, p] of [...this.pending]) {
      if (!filter(p)) continue;
      this.pending.delete(id);
      clearTimeout(p.timer);
      if (p.kind === "send") p.reject(makeError({ ...err, destination: p.destination, fatal: false }));
      else p.reject(err);
    }
  }

  failPublishes(err) {
    for (const item of this.outbox) {
      clearTimeout(item.timer);
      item.reject(makeError({ ...err, destination: item.destination }));
    }
    this.outbox = [];
    this.rejectPending(err);
  }

  /** The gateway's ERROR; the connection closes after it. */
  onErrorFrame(a, h, body) {
    a.handled = true;
    const message = h.message || "error";
    const code = h["gateway-code"];
    const detail = body && body !== message ? body : "";
    const full = detail ? `${message}: ${detail}` : message;
    const receiptId = h["receipt-id"];
    this.detach(a);
    this.a = null;
    this.healthy = false;
    const p = receiptId ? this.pending.get(receiptId) : null;
    if (p && p.kind === "send") {
      this.pending.delete(receiptId);
      clearTimeout(p.timer);
      p.reject(
        makeError(
          code === "forbidden"
            ? { code: "forbidden", message: full, destination: p.destination, status: 403, error: "forbidden", fatal: false }
            : { code: "publish_failed", message: full, destination: p.destination, fatal: false },
        ),
      );
    }
    let m;
    if (code === "token_expired" || message === "token expired") {
      this.gw.tokens.invalidate(a.token);
      this.rejectPending({ code: "connection_lost", message: full });
      if (!this.gw.tokens.canRefresh) this.failAll({ code: "token_expired", message: full, status: 401, error: "token_expired", fatal: true });
      else this.connect("token_expired");
    } else if (message === "invalid token" || message === "token refresh refused") {
      this.gw.tokens.invalidate(message === "invalid token" ? a.token : a.sentToken);
      this.rejectPending({ code: "connection_lost", message: full });
      if (this.gw.tokens.canRefresh && !this.authRetried) {
        this.authRetried = true;
        this.connect("unauthorized");
      } else {
        this.failAll({ code: "unauthorized", message: full, status: 401, error: "invalid_token", fatal: true });
      }
    } else if ((m = /^not allowed to subscribe to (.*): /.exec(message)) || (m = /does not allow subscribing to (.*)$/.exec(message))) {
      const sub = this.findSub(m[1]);
      this.rejectPending({ code: "connection_lost", message: full });
      if (sub) {
        this.subs.delete(sub.id);
        sub.active = false;
        sub.error({ code: "forbidden", message: full, status: 403, error: "forbidden", fatal: true });
        this.gw._subscriptionFailed(sub, { code: "forbidden", message: full, status: 403 });
        this.connect("resubscribe");
      } else {
        this.scheduleRetry("forbidden");
      }
    } else if ((m = /^not allowed to publish to (.*): /.exec(message))) {
      const destination = m[1];
      this.rejectPending({ code: "forbidden", message: full, status: 403 }, (x) => x.kind === "send" && x.destination === destination);
      this.rejectPending({ code: "connection_lost", message: full });
      this.connect("resubscribe");
    } else {
      this.rejectPending({ code: "connection_lost", message: full });
      const reason = code || "error";
      if (code !== "shutting_down" && code !== "heartbeat_timeout") {
        for (const sub of this.subs.values()) sub.error({ code: reason, message: full, fatal: false });
        if (this.publishOnly) this.gw._emitError({ code: reason, message: full, fatal: false });
      }
      // shutting_down: the gateway's jittered hint (retry-after-ms), else the backoff
      // spreads the reconnects.
      const hint = Number(h["retry-after-ms"]);
      const wait = code === "shutting_down" ? (Number.isFinite(hint) && hint >= 0 ? Math.min(hint, 60000) : 250) : 0;
      this.scheduleRetry(reason, wait);
    }
  }

  findSub(destination) {
    const all = [...this.subs.values()].filter((s) => s.destination === destination);
    return all.find((s) => !s.confirmed) || all[0] || null;
  }

  onClose(a, e) {
    if (a !== this.a || a.detached) return;
    this.detach(a);
    this.a = null;
    this.healthy = false;
    this.rejectPending({ code: "connection_lost", message: `the connection closed (${e.code}) before the RECEIPT; the message may or may not have been published` });
    if (a.handled) return;
    if (!this.wanted) {
      this.setState("idle", "disconnected");
      return;
    }
    this.scheduleRetry(a.opened ? "disconnected" : "network_error");
  }

  failAll(err) {
    this.clearRetry();
    this.generation += 1;
    this.detach(this.a);
    this.a = null;
    this.failPublishes(err);
    if (this.publishOnly) {
      this.gw._emitError(err);
      this.state = "idle";
      return;
    }
    this.state = "stopped";
    this.reason = err.code;
    const subs = [...this.subs.values()];
    this.subs.clear();
    for (const sub of subs) {
      sub.active = false;
      sub.error({ ...err, fatal: true });
    }
    this.gw._connectionFailed(err);
  }

  watch(now) {
    super.watch(now);
    const a = this.a;
    if (!a || a.detached) return;
    if (!a.opened) {
      if (now - a.startedAt > this.gw.options.connectTimeoutMs) {
        this.detach(a);
        this.a = null;
        this.scheduleRetry("timeout");
      }
      return;
    }
    if (a.inMs > 0 && now - a.lastActivity > DEAD_FACTOR * a.inMs) {
      this.detach(a);
      this.a = null;
      this.healthy = false;
      this.rejectPending({ code: "connection_lost", message: "no heart-beat from the gateway" });
      this.scheduleRetry("heartbeat_timeout");
      return;
    }
    this.heartbeat(a, now);
  }

  wake() {
    if (this.state === "paused" && !this.wanted) {
      this.setState("idle", "online");
      return;
    }
    super.wake();
  }

  stop() {
    this.clearRetry();
    this.generation += 1;
    if (this.a && this.a.opened) this.sendRaw(this.a, encodeFrame("DISCONNECT", {}));
    this.detach(this.a);
    this.a = null;
    this.failPublishes({ code: "closed", message: "the gateway client was closed", fatal: true });
    this.state = "stopped";
  }
}

function makeError(e) {
  const err = new Error(e.message || e.code);
  Object.assign(err, e);
  err.name = "GatewayError";
  return err;
}

// ----------------------------------------------------------------------------- the client

/**
 * A connection to stomp-gateway, made by {@link connect}. An `EventTarget` with events:
 * - `state` (`CustomEvent<StateDetail>`): the connection state changed;
 * - `error` (`CustomEvent<GatewayError>`): every error also given to an `onError`.
 */
export class Gateway extends EventTarget {
  /** @param {ConnectOptions} options */
  constructor(options = {}) {
    super();
    const defaults = {
      transport: "sse",
      heartbeatMs: 15000,
      backoffBaseMs: 1000,
      backoffCapMs: 30000,
      publishTimeoutMs: 10000,
      connectTimeoutMs: 10000,
      maxRefusals: 5,
      withCredentials: false,
    };
    this.options = { ...defaults };
    for (const [k, v] of Object.entries(options)) if (v !== undefined) this.options[k] = v;
    if (this.options.transport !== "sse" && this.options.transport !== "websocket") {
      throw new TypeError(`transport must be "sse" or "websocket", not ${JSON.stringify(this.options.transport)}`);
    }
    const base = options.url || (typeof location !== "undefined" ? location.origin : "");
    /** @type {string} */
    this.baseURL = String(base).replace(/\/+$/, "");
    this.closed = false;
    this.offline = typeof navigator !== "undefined" && navigator.onLine === false;
    this.tokens = new Tokens(this, options.token, options.getToken);
    /** @type {Map<string, {sub: Subscription, channel: SSEChannel | null}>} */
    this.subs = new Map();
    this.nextId = 0;
    this.stomp = this.options.transport === "websocket" ? new StompChannel(this, false) : null;
    this.publisher = null; // SSE transport: a STOMP connection for publishing, opened on demand
    this._state = "connecting";
    this._reason = "start";
    this._everOpen = false;
    this._disrupted = false;
    this._lastFatal = null;
    this._renewChain = Promise.resolve();

    const hb = this.options.heartbeatMs;
    const tickMs = Math.max(250, Math.min(5000, (hb || 15000) / 2));
    this._ticker = setInterval(() => this._tick(), tickMs);
    this._listeners = [];
    const on = (target, type, fn) => {
      if (!target || !target.addEventListener) return;
      target.addEventListener(type, fn);
      this._listeners.push(() => target.removeEventListener(type, fn));
    };
    const win = typeof window !== "undefined" ? window : null;
    const doc = typeof document !== "undefined" ? document : null;
    on(win, "offline", () => this._goOffline());
    on(win, "online", () => this._goOnline());
    on(win, "pageshow", () => this._tick());
    on(win, "focus", () => this._tick());
    on(doc, "visibilitychange", () => {
      if (document.visibilityState === "visible") this._tick();
    });
    on(doc, "resume", () => this._tick());

    queueMicrotask(() => {
      if (this.closed) return;
      this._dispatchState({ state: this._state, reason: "start" });
      if (this.stomp) this.stomp.connect("start");
      else this._updateState(null);
    });
  }

  /** @type {ConnectionState} The current state. */
  get state() {
    return this._state;
  }

  /**
   * Subscribes to a destination. Messages arrive in order, each once; after a reconnect the
   * subscription resumes after the last message it delivered.
   * @param {string} destination e.g. `/topic/orders.42`
   * @param {(msg: GatewayMessage) => void} handler
   * @param {SubscribeOptions} [options]
   * @returns {() => void} unsubscribe
   */
  subscribe(destination, handler, options = {}) {
    if (this.closed) throw new Error("the gateway client is closed");
    if (typeof destination !== "string" || !destination) throw new TypeError("destination must be a non-empty string");
    if (typeof handler !== "function") throw new TypeError("handler must be a function");
    const since = options.since;
    if (since !== undefined && since !== "all" && since !== "live" && since !== "latest" && !parsePosition(since)) {
      throw new TypeError(`since must be "all", "live", "latest" or a position EPOCH-SEQUENCE, not ${JSON.stringify(since)}`);
    }
    const id = `sub-${++this.nextId}`;
    const sub = new Subscription(this, id, destination, handler, { ...options, since: since === "latest" ? undefined : since });
    const entry = { sub, channel: null };
    this.subs.set(id, entry);
    if (this.stomp) {
      this.stomp.add(sub);
    } else {
      entry.channel = new SSEChannel(this, sub);
      entry.channel.connect("start");
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      sub.active = false;
      this.subs.delete(id);
      if (this.stomp) this.stomp.remove(sub);
      if (entry.channel) entry.channel.stop();
      this._updateState(null);
    };
  }

  /**
   * Publishes a message over STOMP (WebSocket; with the SSE transport a WebSocket is opened for
   * it). Resolves when the gateway's RECEIPT arrives (after the broker's); rejects with a
   * {@link GatewayError} (`forbidden`, `publish_failed`, `connection_lost`, `timeout`, `closed`).
   * @param {string} destination
   * @param {string | ArrayBuffer | ArrayBufferView | object} body objects are sent as JSON
   * @param {Record<string, string>} [headers]
   * @returns {Promise<{receipt: string}>}
   */
  publish(destination, body, headers = {}) {
    if (this.closed) return Promise.reject(makeError({ code: "closed", message: "the gateway client is closed", fatal: true }));
    if (typeof destination !== "string" || !destination) return Promise.reject(new TypeError("destination must be a non-empty string"));
    if (this.stomp) return this.stomp.publish(destination, body, headers);
    if (!this.publisher) this.publisher = new StompChannel(this, true);
    return this.publisher.publish(destination, body, headers);
  }

  /** Closes every connection; state becomes `closed`. Pending publishes reject with `closed`. */
  close() {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this._ticker);
    for (const off of this._listeners) off();
    this._listeners = [];
    this.tokens.close();
    for (const { sub, channel } of this.subs.values()) {
      sub.active = false;
      if (channel) channel.stop();
    }
    this.subs.clear();
    if (this.stomp) this.stomp.stop();
    if (this.publisher) this.publisher.stop();
    this._state = "closed";
    this._dispatchState({ state: "closed", reason: "closed" });
  }

  // -- internals

  _channels() {
    const list = [];
    if (this.stomp) list.push(this.stomp);
    for (const { channel } of this.subs.values()) if (channel) list.push(channel);
    return list;
  }

  _allChannels() {
    const list = this._channels();
    if (this.publisher) list.push(this.publisher);
    return list;
  }

  _tick() {
    if (this.closed) return;
    const now = Date.now();
    this.tokens.checkDue(now);
    for (const c of this._allChannels()) c.watch(now);
  }

  _goOffline() {
    if (this.closed) return;
    this.offline = true;
    for (const c of this._allChannels()) c.pause();
    this._updateState(null);
  }

  _goOnline() {
    if (this.closed) return;
    this.offline = false;
    for (const c of this._allChannels()) c.wake();
    this._updateState(null);
    // Streams that stayed "open" through the outage may be dead: look at the clock.
    this._tick();
  }

  _tokenChanged(token) {
    // One channel at a time (an SSE replacement needs a free connection slot).
    const channels = this._allChannels();
    this._renewChain = this._renewChain.then(async () => {
      for (const c of channels) {
        if (this.closed || token !== this.tokens.token) return;
        if (c.renew) await c.renew(token);
      }
    });
  }

  _emitError(err) {
    this.dispatchEvent(new CustomEvent("error", { detail: err }));
  }

  _subscriptionFailed(sub, err) {
    sub.active = false;
    const entry = this.subs.get(sub.id);
    if (entry) {
      this.subs.delete(sub.id);
      if (entry.channel) entry.channel.stop();
    }
    this._lastFatal = err;
    const state = this._computeState();
    this._state = state;
    this._dispatchState({ state, reason: err.code, destination: sub.destination, message: err.message, status: err.status });
  }

  _connectionFailed(err) {
    this._lastFatal = err;
    this._state = "closed";
    this._dispatchState({ state: "closed", reason: err.code, message: err.message, status: err.status });
  }

  _computeState() {
    if (this.closed) return "closed";
    if (this.offline) return "paused";
    const chans = this._channels().filter((c) => c.state !== "stopped");
    // SSE with no subscription: nothing to connect; the state stays as it is.
    if (chans.length === 0) return this._lastFatal ? "closed" : this._state === "paused" ? "open" : this._state;
    if (chans.some((c) => c.state === "paused")) return "paused";
    if (chans.some((c) => c.state === "connecting" || c.state === "idle")) return "connecting";
    return "open";
  }

  /** A channel changed state: dispatch the aggregate when it changes. */
  _updateState(channel) {
    if (this.closed) return;
    if (channel && channel.publishOnly) return;
    let state = this._computeState();
    const src = channel && channel.state === state ? channel : this._channels().find((c) => c.state === state);
    const reason = this.offline ? "offline" : src ? src.reason : undefined;
    const retryInMs = state === "paused" && src && !this.offline ? src.retryInMs : null;
    if (state === "paused" || (state === "connecting" && reason && reason !== "start")) {
      if (this._everOpen) this._disrupted = true;
    }
    if (state === "open") {
      if (this._everOpen && this._disrupted) state = "resumed";
      else if (this._state === "resumed") state = "resumed";
      this._everOpen = true;
      this._disrupted = false;
    }
    const public_ = state;
    if (public_ === this._state && !(state === "paused" && reason !== this._reason)) return;
    this._state = public_;
    this._reason = reason;
    this._dispatchState({ state: public_, reason, retryInMs });
  }

  _dispatchState(detail) {
    this.dispatchEvent(new CustomEvent("state", { detail }));
  }
}

/**
 * Connects to stomp-gateway. Nothing is opened until the next microtask, so subscribe right away.
 * @param {ConnectOptions} [options]
 * @returns {Gateway}
 */
export function connect(options = {}) {
  return new Gateway(options);
}

export { GatewayMessage, parsePosition, jwtClaims };
