// Test harness for web/stomp-gateway.js, driven by tests/browser through window.H.
//   harness.html?lib=<URL of stomp-gateway.js>[&gw=<gateway base URL>]
// getToken (options.tokenSpec) fetches tokens from the test server's /test-token.

const params = new URLSearchParams(location.search);
const libURL = params.get("lib") || "/web/stomp-gateway.js";

const H = {
  lib: null,
  gw: null,
  states: [],
  errors: [],
  subs: {},
  tokens: [],
  tokenCalls: 0,
  publishes: [],

  /** connect(options); options.tokenSpec → getToken that mints through the test. */
  connect(options = {}) {
    const o = { ...options };
    if (o.tokenSpec) {
      const spec = o.tokenSpec;
      delete o.tokenSpec;
      const client = Math.random().toString(36).slice(2);
      o.getToken = async () => {
        H.tokenCalls += 1;
        const q = new URLSearchParams({ client, spec: JSON.stringify(spec) });
        const res = await fetch("/test-token?" + q, { cache: "no-store" });
        if (!res.ok) throw new Error(`token service: HTTP ${res.status}`);
        const t = await res.text();
        H.tokens.push(t);
        return t;
      };
    }
    if (!o.url) o.url = params.get("gw") || location.origin;
    H.gw = H.lib.connect(o);
    H.gw.addEventListener("state", (e) => H.states.push({ t: Date.now(), ...e.detail }));
    H.gw.addEventListener("error", (e) => H.errors.push({ t: Date.now(), ...e.detail }));
    return true;
  },

  subscribe(key, destination, options = {}) {
    const rec = { msgs: [], gaps: [], errors: [], unsubscribe: null };
    H.subs[key] = rec;
    rec.unsubscribe = H.gw.subscribe(
      destination,
      (m) =>
        rec.msgs.push({
          t: Date.now(),
          body: m.body,
          position: m.position,
          destination: m.destination,
          headers: m.headers,
          isBinary: m.isBinary,
          bytes: m.isBinary ? Array.from(m.bytes) : undefined,
          json: /json/.test(m.headers["content-type"] || "") ? m.json() : undefined,
        }),
      { ...options, onGap: (g) => rec.gaps.push(g), onError: (e) => rec.errors.push({ ...e }) },
    );
    return true;
  },

  unsubscribe(key) {
    H.subs[key].unsubscribe();
    return true;
  },

  bodies(key) {
    return H.subs[key].msgs.map((m) => m.body);
  },

  /** body: {bytes: [..]} is sent as a Uint8Array. */
  async publish(destination, body, headers) {
    if (body && Array.isArray(body.bytes)) body = new Uint8Array(body.bytes);
    const started = Date.now();
    try {
      const r = await H.gw.publish(destination, body, headers);
      const out = { ok: true, receipt: r.receipt, ms: Date.now() - started };
      H.publishes.push(out);
      return out;
    } catch (e) {
      const out = { ok: false, code: e.code, message: e.message, ms: Date.now() - started };
      H.publishes.push(out);
      return out;
    }
  },

  close() {
    if (H.gw) H.gw.close();
    return true;
  },
};

window.H = H;
try {
  H.lib = await import(libURL);
  window.harnessReady = true;
} catch (e) {
  window.harnessError = String((e && e.stack) || e);
}
