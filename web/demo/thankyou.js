// The thank-you page's live timeline: the order's statuses from its feed, each shown
// once and in order, with the connection's state; after a gap (for instance a gateway
// restart) the order's history is fetched from the shop, so nothing is missing.
import { connect } from "/web/stomp-gateway.js";

const main = document.querySelector("main.thank-you");
const order = main.dataset.order;
const proof = main.dataset.proof;
const expected = Number(main.dataset.statuses);
const params = new URLSearchParams(window.location.search);
// For trying it out: ?token=… replaces the page's own token (e.g. another order's).
let token = params.get("token") || main.dataset.token;
const timeline = document.querySelector("#timeline");
const live = document.querySelector("#live");
const problem = document.querySelector("#problem");
const shown = new Map();

const labels = {
  connecting: "connecting…",
  open: "live",
  resumed: "live again",
  paused: "paused — reconnecting",
  closed: "closed",
};

function showState(state, reason) {
  live.className = `live ${state}`;
  live.textContent = labels[state] || state;
  live.title = reason || "";
  if (state === "closed" || shown.size >= expected) return;
}

function add(status) {
  if (!status || status.order !== order || shown.has(status.seq)) return;
  shown.set(status.seq, status);
  const items = [...shown.values()].sort((a, b) => a.seq - b.seq);
  timeline.replaceChildren(
    ...items.map((item) => {
      const li = document.createElement("li");
      li.dataset.seq = item.seq;
      if (item.final) li.className = "final";
      const time = document.createElement("time");
      time.dateTime = new Date(item.at).toISOString();
      time.textContent = new Date(item.at).toLocaleTimeString();
      li.append(time, item.status);
      return li;
    }),
  );
  document.title = `Order ${order}: ${items[items.length - 1].status}`;
}

// The shop's record of the order, after a gap in the feed (or a hole in the
// sequence): tried again for a while, since the shop may itself be restarting.
let reloading = false;
async function reloadHistory() {
  if (reloading) return;
  reloading = true;
  try {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      try {
        const response = await fetch(`/demo/orders/${order}?proof=${proof}`, { cache: "no-store" });
        if (response.ok) {
          for (const status of await response.json()) add(status);
          return;
        }
      } catch {
        // The shop is not reachable yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    reloading = false;
  }
}

function hasHole() {
  const seqs = [...shown.keys()];
  return seqs.length > 0 && Math.max(...seqs) !== seqs.length;
}

function refuse(error) {
  problem.hidden = false;
  problem.textContent = `Live updates are not available for this page: ${error.message || error}`;
  showState("closed", error.message);
}

const gateway = connect({
  url: window.location.origin,
  token,
  getToken: params.get("token")
    ? undefined
    : async () => {
        const response = await fetch(`/demo/token?order=${order}&proof=${proof}`, { cache: "no-store" });
        if (!response.ok) throw new Error(`token refresh failed: HTTP ${response.status}`);
        token = (await response.json()).token;
        return token;
      },
});
gateway.addEventListener("state", (event) => showState(event.detail.state, event.detail.reason));
gateway.subscribe(
  `/topic/orders.${order}`,
  (message) => {
    try {
      add(message.json());
    } catch {
      // Not a status: ignore.
    }
    if (hasHole()) reloadHistory();
  },
  {
    since: "all",
    onGap: () => reloadHistory(),
    onError: (error) => {
      if (error.status === 401 || error.status === 403 || ["forbidden", "unauthorized", "invalid_token"].includes(error.code)) refuse(error);
    },
  },
);
