// The admin page: reads the gateway's own status feed (/topic/stomp-gateway.admin,
// published once a second) with the admin key as its token, and calls the admin API
// for the webhook actions.
import { connect } from "../stomp-gateway.js";

const FEED = "/topic/stomp-gateway.admin";
const RECEIVER = "/topic/stomp-gateway.admin.webhook-receiver";
const $ = (selector) => document.querySelector(selector);
const base = window.location.origin;
let gateway = null;
let previous = null;
// Several gateways on one broker each publish their snapshot to the admin feed.
const instances = new Map();
let chosen = null;

function adminKey() {
  const fromHash = new URLSearchParams(window.location.hash.slice(1)).get("key");
  if (fromHash) {
    sessionStorage.setItem("stomp-gateway-admin-key", fromHash);
    history.replaceState(null, "", window.location.pathname);
  }
  return sessionStorage.getItem("stomp-gateway-admin-key");
}

function text(tag, value, className) {
  const element = document.createElement(tag);
  element.textContent = value;
  if (className) element.className = className;
  return element;
}

function setState(state, detail) {
  const badge = $("#state");
  badge.className = `state ${state}`;
  const labels = { connecting: "connecting…", open: "live", resumed: "live (resumed)", paused: "paused — reconnecting", closed: "closed", error: "error" };
  badge.textContent = (labels[state] || state) + (detail ? ` · ${detail}` : "");
}

async function api(method, path) {
  const response = await fetch(base + path, { method, headers: { "X-Admin-Key": adminKey() } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message || `HTTP ${response.status}`);
  return body;
}

function renderFeeds(snapshot) {
  const tbody = $("#feeds tbody");
  tbody.replaceChildren();
  const seconds = previous ? Math.max(0.001, (snapshot.at - previous.at) / 1000) : 0;
  const before = new Map((previous?.feeds || []).map((feed) => [feed.destination, feed.messages]));
  for (const feed of snapshot.feeds) {
    const row = document.createElement("tr");
    row.append(text("td", feed.destination));
    row.append(text("td", String(feed.watchers), "num"));
    row.append(text("td", String(feed.messages), "num"));
    const rate = seconds && before.has(feed.destination) ? (feed.messages - before.get(feed.destination)) / seconds : 0;
    row.append(text("td", rate.toFixed(1), "num"));
    tbody.append(row);
  }
}

function renderWebhooks(routes) {
  const container = $("#webhooks");
  container.replaceChildren();
  if (!routes.length) {
    container.append(text("p", "No webhook routes.", "empty"));
    return;
  }
  for (const route of routes) {
    const box = document.createElement("div");
    box.className = "route";
    box.dataset.route = route.name;
    box.append(text("h3", `${route.name} · ${route.source} → dead letters ${route.dead_letter}`));
    const table = document.createElement("table");
    const head = document.createElement("tr");
    for (const title of ["endpoint", "state", "in flight", "waiting", "delivered", "failures", "dead-lettered", ""]) head.append(text("th", title));
    table.append(head);
    for (const endpoint of route.endpoints) {
      const row = document.createElement("tr");
      row.dataset.endpoint = endpoint.name;
      row.append(text("td", `${endpoint.name} (${endpoint.url})`));
      const state = document.createElement("td");
      state.append(text("span", endpoint.state, `badge ${endpoint.state}`));
      if (endpoint.disabled_reason) state.append(text("small", ` ${endpoint.disabled_reason}`));
      row.append(state);
      for (const value of [endpoint.in_flight, endpoint.waiting, endpoint.delivered, endpoint.failures, endpoint.dead_lettered]) {
        row.append(text("td", String(value), "num"));
      }
      const actions = document.createElement("td");
      const toggle = text("button", endpoint.state === "disabled" ? "Enable" : "Disable");
      toggle.addEventListener("click", () => action(`/admin/api/webhooks/${encodeURIComponent(route.name)}/endpoints/${encodeURIComponent(endpoint.name)}/${endpoint.state === "disabled" ? "enable" : "disable"}`));
      const replay = text("button", "Replay dead letters", "primary replay");
      replay.disabled = endpoint.state === "disabled";
      replay.addEventListener("click", () => action(`/admin/api/webhooks/${encodeURIComponent(route.name)}/replay?endpoint=${encodeURIComponent(endpoint.name)}`));
      actions.append(toggle, " ", replay);
      row.append(actions);
      table.append(row);
      if (endpoint.recent_failures.length) {
        const failures = document.createElement("tr");
        const cell = document.createElement("td");
        cell.colSpan = 8;
        const list = document.createElement("ul");
        for (const failure of endpoint.recent_failures.slice(-5).reverse()) {
          list.append(text("li", `${new Date(failure.at).toLocaleTimeString()} · ${failure.webhook_id} · attempt ${failure.attempt} · ${failure.error}`, "error"));
        }
        cell.append(text("small", "recent failures"), list);
        failures.append(cell);
        table.append(failures);
      }
    }
    const scroll = document.createElement("div");
    scroll.className = "scroll";
    scroll.append(table);
    box.append(scroll);
    if (route.recent_dead_letters.length) {
      const list = document.createElement("ul");
      list.className = "dead-letters";
      for (const letter of route.recent_dead_letters.slice(-10).reverse()) {
        list.append(text("li", `${new Date(letter.at).toLocaleTimeString()} · ${letter.webhook_id} → ${letter.endpoint}: ${letter.reason} after ${letter.attempts} attempt(s)${letter.last_status ? ` (HTTP ${letter.last_status})` : ""}`));
      }
      box.append(text("small", "recent dead letters"), list);
    }
    container.append(box);
  }
}

async function action(path) {
  try {
    const answer = await api("POST", path);
    if (answer.replay) setState("open", `replay took ${answer.replay.taken} dead letter(s)`);
  } catch (error) {
    setState("error", error.message);
  }
}

function receive(snapshot) {
  const name = snapshot.instance || snapshot.epoch;
  instances.set(name, snapshot);
  const select = $("#instance");
  if (![...select.options].some((option) => option.value === name)) {
    select.append(new Option(name, name));
    $(".instances").hidden = instances.size < 2;
  }
  if (chosen === null) chosen = name;
  if (name === chosen) render(snapshot);
}

function render(snapshot) {
  if (previous && previous.instance !== snapshot.instance) previous = null;
  $("#ws-count").textContent = snapshot.connections.websocket || 0;
  $("#sse-count").textContent = snapshot.connections.sse || 0;
  $("#upstream-count").textContent = snapshot.upstream_subscriptions;
  $("#feed-count").textContent = snapshot.feeds.length;
  renderFeeds(snapshot);
  renderWebhooks(snapshot.webhooks);
  previous = snapshot;
}

function logDelivery(message) {
  const log = $("#receiver-log");
  log.querySelector(".empty")?.remove();
  const entry = message.json();
  log.prepend(text("li", `${new Date(entry.at).toLocaleTimeString()} · ${entry.webhook_id} · ${entry.valid ? "signature valid" : "SIGNATURE INVALID"} · ${entry.summary}`));
  while (log.children.length > 100) log.lastElementChild.remove();
}

function start() {
  const key = adminKey();
  if (!key) {
    $("#login").hidden = false;
    return;
  }
  $("#login").hidden = true;
  $("#dashboard").hidden = false;
  gateway = connect({ url: base, token: key });
  gateway.addEventListener("state", (event) => setState(event.detail.state, event.detail.reason));
  const onError = (error) => {
    setState("error", error.message || String(error));
    if (error.status === 401 || error.code === "unauthorized" || error.code === "invalid_token") {
      sessionStorage.removeItem("stomp-gateway-admin-key");
      gateway.close();
      $("#dashboard").hidden = true;
      $("#login").hidden = false;
      $("#login-error").textContent = "That key was not accepted.";
    }
  };
  gateway.subscribe(FEED, (message) => receive(message.json()), { onError });
  gateway.subscribe(RECEIVER, logDelivery, { since: "all", onError: () => {} });
}

$("#instance").addEventListener("change", (event) => {
  chosen = event.target.value;
  previous = null;
  if (instances.has(chosen)) render(instances.get(chosen));
});

$("#login").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem("stomp-gateway-admin-key", $("#key").value);
  start();
});
start();
