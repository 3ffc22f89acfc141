"""Helpers for the fault tests (issue 8, "Faults"): the broker under test, a TCP proxy
that can blackhole a connection, a publisher that keeps publishing through a broker
outage, and browser clients (SSE, STOMP over WebSocket) that record what they get.

Builds on tests/push/pushlib.py (gateway processes, SSE and WebSocket clients) and
tests/webhooks/whlib.py (webhook gateways, receivers, queue readers). Every wait here
has an explicit deadline; every thread is a daemon and stops on its own flag.
"""

from __future__ import annotations

import json
import os
import queue
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "push"))
sys.path.insert(0, str(HERE.parent / "webhooks"))

import pushlib  # noqa: E402
import whlib  # noqa: E402
from pushlib import REPO, SSEClient, StompWS, WSClosed  # noqa: E402


def uid() -> str:
    return pushlib.uid()


def wait_for(pred: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    return whlib.wait_for(pred, timeout, what, interval)


# ----------------------------------------------------------------------------- the broker under test


def _env_file_url(state_dir: str) -> str | None:
    env = Path(state_dir) / "env"
    if not env.is_file():
        return None
    for line in env.read_text().splitlines():
        line = line.strip().removeprefix("export ").strip()
        if line.startswith("STOMP_TEST_RABBITMQ_URL="):
            return line.split("=", 1)[1].strip().strip("'\"") or None
    return None


class RabbitMQ:
    """The RabbitMQ node scripts/brokers.sh runs under $BROKER_STATE_DIR (ports and node
    name from the RMQ_* environment, as brokers.sh reads them). Only that node is ever
    killed: brokers.sh signals the PID recorded in its state directory."""

    def __init__(self, state_dir: str) -> None:
        self.state_dir = state_dir
        url = _env_file_url(state_dir)
        self.url = url or f"stomp://guest:guest@127.0.0.1:{os.environ.get('RMQ_STOMP_PORT', '61613')}"
        u = urllib.parse.urlsplit(self.url)
        self.stomp_host, self.stomp_port = u.hostname or "127.0.0.1", u.port or 61613
        self.amqp_port = int(os.environ.get("RMQ_AMQP_PORT", "5672"))
        self.events: list[str] = []

    def brokers_sh(self, *args: str, timeout: float = 150) -> subprocess.CompletedProcess:
        env = dict(os.environ, BROKER_STATE_DIR=self.state_dir)
        return subprocess.run(["bash", str(REPO / "scripts" / "brokers.sh"), *args], capture_output=True, text=True,
                              timeout=timeout, env=env, stdin=subprocess.DEVNULL)

    def reachable(self) -> bool:
        return whlib.stomp_reachable(self.url, "rabbitmq")

    def kill(self) -> float:
        """SIGKILL the broker (brokers.sh kill: its recorded beam PID). Returns the time."""
        r = self.brokers_sh("kill", "rabbitmq", timeout=30)
        assert r.returncode == 0, f"brokers.sh kill rabbitmq failed:\n{r.stderr[-2000:]}"
        return time.monotonic()

    def start(self) -> float:
        """Start it again (after a kill); returns when STOMP answers."""
        r = self.brokers_sh("start", "rabbitmq")
        assert r.returncode == 0, f"brokers.sh start rabbitmq failed:\n{r.stderr[-3000:]}"
        return time.monotonic()

    def ensure_running(self) -> None:
        if self.reachable():
            return
        r = self.brokers_sh("start", "rabbitmq")
        assert r.returncode == 0 and self.reachable(), f"could not start RabbitMQ again:\n{r.stderr[-3000:]}"

    def _amqp(self):
        import pika

        params = pika.ConnectionParameters("127.0.0.1", self.amqp_port, "/", pika.PlainCredentials("guest", "guest"),
                                           socket_timeout=5, blocked_connection_timeout=5)
        return pika.BlockingConnection(params)

    def declare_durable_queue(self, name: str) -> None:
        """Declares a durable queue over AMQP, as RabbitMQ's STOMP adapter does for
        `/queue/NAME` (durable, not auto-delete, not exclusive)."""
        conn = self._amqp()
        try:
            conn.channel().queue_declare(name, durable=True)
        finally:
            conn.close()

    def queue_exists(self, name: str) -> bool:
        import pika

        conn = self._amqp()
        try:
            conn.channel().queue_declare(name, passive=True)
            return True
        except pika.exceptions.ChannelClosedByBroker:
            return False
        finally:
            if conn.is_open:
                conn.close()

    def delete_queue(self, name: str) -> None:
        """Deletes a queue or stream over AMQP (pika), best effort."""
        try:
            import pika

            params = pika.ConnectionParameters("127.0.0.1", self.amqp_port, "/", pika.PlainCredentials("guest", "guest"),
                                               socket_timeout=5, blocked_connection_timeout=5)
            conn = pika.BlockingConnection(params)
            try:
                conn.channel().queue_delete(name)
            finally:
                conn.close()
        except Exception:  # noqa: BLE001 - cleanup only
            pass


def read_stream(url: str, stream: str, expect: int, timeout: float = 20.0, quiet: float = 1.0) -> list[dict]:
    """Every message of a RabbitMQ stream from its first (the broker's own record):
    [{"n":…, "destination":…, "offset":…}], reading until `expect` came and then
    nothing for `quiet` s (or `timeout`)."""
    conn, listener = whlib.stomp_connect(url, "rabbitmq")
    out: list[dict] = []
    try:
        conn.subscribe(destination=f"/amq/queue/{stream}", id="stream-reader", ack="client-individual",
                       headers={"prefetch-count": "5000", "x-stream-offset": "first"})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                h, body = listener.messages.get(timeout=quiet if len(out) >= expect else max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                break
            d = json.loads(body)
            out.append({"n": d.get("n"), "destination": h.get("destination"), "offset": h.get("x-stream-offset")})
    finally:
        try:
            conn.disconnect()
        except Exception:  # noqa: BLE001
            pass
    return out


# ----------------------------------------------------------------------------- a TCP proxy that can blackhole


class BlackholeProxy:
    """127.0.0.1:0 → target, one thread per direction per connection.

    ``blackhole()``: from then on nothing is forwarded in either direction on the
    connections open now, and new connections are accepted but not forwarded either;
    every socket stays open (a dead network path, not a reset). ``restore()``: new
    connections are forwarded again (the blackholed ones stay dead).
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.lock = threading.Lock()
        self.generation = 0  # connections of an earlier generation are blackholed
        self.holing = False
        self.conns: list[tuple[int, socket.socket, socket.socket | None]] = []
        self.accepted = 0
        self.forwarded_bytes = 0
        self.stopped = False
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True, name="proxy-accept").start()

    def _accept(self) -> None:
        while not self.stopped:
            try:
                client, _ = self.server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.accepted += 1
                gen, holing = self.generation, self.holing
            if holing:
                with self.lock:
                    self.conns.append((gen, client, None))  # accepted, never forwarded
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns.append((gen, client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b, gen), daemon=True, name="proxy-pump").start()

    def _live(self, gen: int) -> bool:
        with self.lock:
            return not self.stopped and gen == self.generation and not self.holing

    def _pump(self, src: socket.socket, dst: socket.socket, gen: int) -> None:
        src.setblocking(False)
        while True:
            if not self._live(gen):
                return  # blackholed: stop reading and writing; the sockets stay open
            try:
                r, _, _ = select.select([src], [], [], 0.05)
            except (OSError, ValueError):
                return
            if not r:
                continue
            if not self._live(gen):
                return  # the bytes stay unread in the kernel, like on a dead path
            try:
                data = src.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return
            try:
                dst.sendall(data)
            except OSError:
                return
            with self.lock:
                self.forwarded_bytes += len(data)

    def blackhole(self) -> float:
        with self.lock:
            self.holing = True
            self.generation += 1
        return time.monotonic()

    def restore(self) -> float:
        with self.lock:
            self.holing = False
            self.generation += 1
        return time.monotonic()

    def close(self) -> None:
        with self.lock:
            self.stopped = True
            conns = list(self.conns)
        try:
            self.server.close()
        except OSError:
            pass
        for _, a, b in conns:
            for s in (a, b):
                if s is not None:
                    try:
                        s.close()
                    except OSError:
                        pass


# ----------------------------------------------------------------------------- a publisher that rides out outages


class SequencePublisher:
    """Publishes {"n": 1, 2, 3, …, "run": tag} to `destination` in a thread, each SEND
    with a receipt (persistent). A message counts as confirmed only when its receipt
    came; a SEND that failed or got no receipt is "unconfirmed" (it may or may not be
    on the broker) and the next one gets the next number. While the broker is down it
    reconnects every `retry` seconds."""

    def __init__(self, url: str, destination: str, tag: str, interval: float = 0.02, receipt_timeout: float = 3.0,
                 retry: float = 0.2) -> None:
        self.url, self.destination, self.tag = url, destination, tag
        self.interval, self.receipt_timeout, self.retry = interval, receipt_timeout, retry
        self.confirmed: list[tuple[int, float]] = []  # (n, time of the receipt)
        self.unconfirmed: list[int] = []
        self.failures: list[tuple[float, str]] = []
        self.connects: list[float] = []
        self.n = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="sequence-publisher")

    def start(self) -> "SequencePublisher":
        self._thread.start()
        return self

    def stop(self, timeout: float = 15) -> None:
        self._stop.set()
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the publisher thread did not stop"

    @property
    def confirmed_ns(self) -> list[int]:
        return [n for n, _ in self.confirmed]

    def confirmed_count(self) -> int:
        return len(self.confirmed)

    def _connect(self):
        conn, listener = whlib.stomp_connect(self.url, "rabbitmq", timeout=3)
        self.connects.append(time.monotonic())
        return conn, listener

    def _run(self) -> None:
        conn = listener = None
        while not self._stop.is_set():
            if conn is None:
                try:
                    conn, listener = self._connect()
                except Exception as e:  # noqa: BLE001 - the broker is down: retry
                    self.failures.append((time.monotonic(), f"connect: {type(e).__name__}"))
                    conn = None
                    self._stop.wait(self.retry)
                    continue
            self.n += 1
            n = self.n
            rid = f"seq-{self.tag}-{n}"
            ok = False
            try:
                conn.send(destination=self.destination, body=json.dumps({"n": n, "run": self.tag}),
                          headers={"receipt": rid, "persistent": "true", "content-type": "application/json"})
                missing = listener.wait_receipts([rid], self.receipt_timeout)
                ok = not missing and not listener.errors
            except Exception as e:  # noqa: BLE001
                self.failures.append((time.monotonic(), f"send: {type(e).__name__}: {e}"))
            if ok:
                self.confirmed.append((n, time.monotonic()))
            else:
                self.unconfirmed.append(n)
                try:
                    conn.disconnect()
                except Exception:  # noqa: BLE001
                    pass
                conn = None
                continue
            self._stop.wait(self.interval)
        if conn is not None:
            try:
                conn.disconnect()
            except Exception:  # noqa: BLE001
                pass


# ----------------------------------------------------------------------------- browser clients that record


@dataclass
class Got:
    kind: str  # "message" | "gap"
    n: int | None  # the message's sequence number ({"n": …})
    position: str | None
    t: float
    missed: int | None = None


@dataclass
class BrowserClient:
    """One simulated browser on a feed: SSE or STOMP over WebSocket; `bounce` > 0 drops
    the connection every `bounce` seconds and reconnects with its last id (SSE:
    Last-Event-ID; STOMP: SUBSCRIBE since:) — also while the broker is down."""

    name: str
    transport: str  # "sse" | "ws"
    gw: Any
    destination: str
    bounce: float = 0.0
    got: list[Got] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    connects: int = 0
    last_id: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._final = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"client-{self.name}")

    def start(self) -> "BrowserClient":
        self._thread.start()
        return self

    def finish(self) -> None:
        """Stop bouncing: the client stays on its current (or next) connection."""
        self._final.set()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def ns(self) -> list[int]:
        with self.lock:
            return [g.n for g in self.got if g.kind == "message" and g.n is not None]

    def gaps(self) -> list[Got]:
        with self.lock:
            return [g for g in self.got if g.kind == "gap"]

    def has(self, n: int) -> Got | None:
        with self.lock:
            return next((g for g in self.got if g.kind == "message" and g.n == n), None)

    def _record(self, g: Got, the_id: str | None) -> None:
        with self.lock:
            self.got.append(g)
            if the_id:
                self.last_id = the_id

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.transport == "sse":
                    self._sse_once()
                else:
                    self._ws_once()
            except Exception as e:  # noqa: BLE001 - e.g. the gateway refused while busy: retry
                self.errors.append(f"{time.monotonic():.1f} {type(e).__name__}: {e}")
                self._stop.wait(0.3)

    def _connection_over(self, started: float) -> bool:
        if self._stop.is_set():
            return True
        return self.bounce > 0 and not self._final.is_set() and time.monotonic() - started >= self.bounce

    def _sse_once(self) -> None:
        since = None if self.last_id else "all"
        c = SSEClient(self.gw, self.destination, since=since, last_event_id=self.last_id, origin=None).open()
        self.connects += 1
        try:
            assert c.status == 200, f"SSE answered {c.status}: {c.body[:300]!r}"
            started = time.monotonic()
            while not self._connection_over(started):
                ev = c.next_event(0.1)
                if ev is None:
                    if c.closed:
                        self.errors.append(f"{time.monotonic():.1f} SSE stream closed: {c.close_reason}")
                        return
                    continue
                if ev.type == "message":
                    d = ev.json
                    body = json.loads(pushlib.msg_body(ev))
                    self._record(Got("message", body.get("n"), d.get("position"), time.monotonic()), ev.id)
                elif ev.type == "gap":
                    d = ev.json
                    self._record(Got("gap", None, d.get("position"), time.monotonic(), d.get("missed")), ev.id)
                elif ev.type == "error":
                    self.errors.append(f"{time.monotonic():.1f} SSE error event: {ev.data}")
                    return
        finally:
            c.close()

    def _ws_once(self) -> None:
        ws = StompWS(self.gw, origin=None)
        try:
            f = ws.connect_stomp()
            assert f.command == "CONNECTED", f"CONNECT answered {f!r}"
            self.connects += 1
            ws.subscribe(self.destination, sub_id="s0", since=self.last_id or "all")
            started = time.monotonic()
            while not self._connection_over(started):
                try:
                    f = ws.recv_frame(0.1)
                except TimeoutError:
                    continue
                except WSClosed:
                    self.errors.append(f"{time.monotonic():.1f} WebSocket closed ({ws.close_code})")
                    return
                if f.command == "MESSAGE":
                    pos = f.headers.get("message-id")
                    if f.headers.get("gateway-gap") == "true":
                        missed = f.headers.get("gateway-missed")
                        self._record(Got("gap", None, f.headers.get("gateway-position"), time.monotonic(),
                                         int(missed) if missed and missed.isdigit() else None), f.headers.get("gateway-position"))
                    else:
                        self._record(Got("message", json.loads(f.body).get("n"), pos, time.monotonic()), pos)
                elif f.command == "ERROR":
                    self.errors.append(f"{time.monotonic():.1f} STOMP ERROR: {f!r}")
                    return
        finally:
            ws.close()


def check_sequence(client: BrowserClient, confirmed: list[int], unconfirmed: list[int]) -> list[str]:
    """Every confirmed message exactly once and in order; nothing that was never sent."""
    problems = []
    ns = client.ns()
    dups = sorted({n for n in ns if ns.count(n) > 1})
    if dups:
        problems.append(f"{client.name}: {len(dups)} message(s) more than once: {dups[:20]}")
    if ns != sorted(ns):
        bad = [(a, b) for a, b in zip(ns, ns[1:]) if b <= a]
        problems.append(f"{client.name}: out of order at {bad[:10]}")
    missing = sorted(set(confirmed) - set(ns))
    if missing:
        problems.append(f"{client.name}: {len(missing)} confirmed message(s) never received: {missing[:30]}")
    invented = sorted(set(ns) - set(confirmed) - set(unconfirmed))
    if invented:
        problems.append(f"{client.name}: received messages that were never sent: {invented[:20]}")
    return problems


def readyz(gw) -> tuple[int | None, dict | None]:
    try:
        code, _, body = gw.http("GET", "/readyz", timeout=2)
        return code, json.loads(body)
    except (OSError, ValueError):
        return None, None


class ReadyzPoller:
    """Samples /readyz every `interval` s in a thread: [(t, status, body)]."""

    def __init__(self, gw, interval: float = 0.1) -> None:
        self.gw, self.interval = gw, interval
        self.samples: list[tuple[float, int | None, dict | None]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="readyz-poller")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            code, body = readyz(self.gw)
            self.samples.append((time.monotonic(), code, body))
            self._stop.wait(self.interval)

    def first(self, pred: Callable[[int | None, dict | None], bool], after: float = 0.0) -> float | None:
        for t, code, body in list(self.samples):
            if t >= after and pred(code, body):
                return t
        return None

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def broker_ok(code: int | None, body: dict | None) -> bool | None:
    if body is None:
        return None
    return bool(body.get("checks", {}).get("broker", {}).get("ok"))


__all__ = [
    "BlackholeProxy", "BrowserClient", "Got", "RabbitMQ", "ReadyzPoller", "SequencePublisher", "broker_ok",
    "check_sequence", "queue", "readyz", "uid", "wait_for",
]
