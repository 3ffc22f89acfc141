#!/usr/bin/env python3
"""Soak driver for stomp-gateway: a steady mixed load for N minutes, sampled every 10 s.

  soak.py --bin .build-release/release/stomp-gateway --broker stomp://guest:guest@127.0.0.1:61613 \
          --minutes 30 --out /tmp/soak

One asyncio process runs the whole load against one gateway it starts itself:

- feeds: D topics (`/topic/soak<run>.dNN`), each published at R msg/s with a sequence
  number in the body, half through `POST /api/publish`, half straight to the broker
  over STOMP; S SSE and W STOMP-over-WebSocket subscribers spread over them, each with
  a JWT. A churner closes random subscribers and reopens them after 0.2-3 s with
  `Last-Event-ID` (SSE) or `since` (WebSocket). Every subscriber checks that it gets
  each sequence number once and in order, across its reconnects.
- webhooks: a queue route to a receiver in this process that verifies the Standard
  Webhooks signature and answers 500 to a share of requests (so retries happen);
  every published message must be delivered at least once, in order per key.
- request-reply: `POST /api/request` against a STOMP responder in this process.

Every `--sample` seconds: VmRSS, VmHWM, open fds and threads of the gateway, CPU time,
its /metrics, and the load's counters -> CSV. At the end: the checks and a summary
(JSON and text); the exit status is 0 only if every check passed.
"""
import argparse, asyncio, base64, csv, hashlib, hmac, json, os, random, secrets, signal, socket, sys, time, urllib.parse

import websockets
from websockets.asyncio.client import connect as ws_connect

CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256(payload: dict, secret: bytes) -> str:
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    return f"{h}.{p}.{b64url(hmac.new(secret, f'{h}.{p}'.encode(), hashlib.sha256).digest())}"


class Counters(dict):
    def inc(self, k, n=1):
        self[k] = self.get(k, 0) + n


C = Counters()


# ---------------------------------------------------------------- minimal STOMP client
class Stomp:
    def __init__(self, host, port, login, passcode, vhost, name):
        self.addr = (host, port)
        self.login, self.passcode, self.vhost, self.name = login, passcode, vhost, name
        self.receipts: dict[str, asyncio.Future] = {}
        self.on_message = None
        self.n = 0
        self.closed = asyncio.Event()
        self.closing = False

    async def connect(self):
        self.reader, self.writer = await asyncio.open_connection(*self.addr)
        self.writer.write(self.frame("CONNECT", {"accept-version": "1.2", "host": self.vhost, "login": self.login,
                                                 "passcode": self.passcode, "heart-beat": "0,0"}))
        cmd, _, _ = await self.read_frame()
        if cmd != "CONNECTED":
            raise RuntimeError(f"{self.name}: {cmd}")
        self.task = asyncio.create_task(self.loop())
        return self

    @staticmethod
    def frame(cmd, headers, body=b""):
        if isinstance(body, str):
            body = body.encode()
        h = "".join(f"{k}:{v}\n" for k, v in headers.items())
        return f"{cmd}\n{h}content-length:{len(body)}\n\n".encode() + body + b"\0"

    async def read_frame(self):
        while True:
            line = await self.reader.readline()
            if not line:
                raise ConnectionError("eof")
            if line.strip(b"\r\n\0"):
                break
        cmd = line.strip(b"\r\n\0").decode()
        headers = {}
        while True:
            line = (await self.reader.readline()).rstrip(b"\r\n").decode()
            if not line:
                break
            k, _, v = line.partition(":")
            headers.setdefault(k, v)
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
            await self.reader.readexactly(1)
        else:
            body = (await self.reader.readuntil(b"\0"))[:-1]
        return cmd, headers, body

    async def loop(self):
        try:
            while True:
                cmd, headers, body = await self.read_frame()
                if cmd == "MESSAGE" and self.on_message:
                    await self.on_message(headers, body)
                elif cmd == "RECEIPT":
                    f = self.receipts.pop(headers.get("receipt-id", ""), None)
                    if f and not f.done():
                        f.set_result(True)
                elif cmd == "ERROR":
                    C.inc("stomp_errors")
                    log(f"{self.name}: ERROR {headers.get('message')} {body[:200]!r}")
        except (ConnectionError, asyncio.IncompleteReadError) as e:
            if not self.closing:
                C.inc("stomp_disconnects")
                log(f"{self.name}: connection lost: {e!r}")
        finally:
            self.closed.set()
            for f in self.receipts.values():
                if not f.done():
                    f.set_exception(ConnectionError("closed"))

    async def send(self, dest, body, headers=None, receipt=False):
        h = {"destination": dest, **(headers or {})}
        f = None
        if receipt:
            self.n += 1
            rid = f"r{self.n}"
            h["receipt"] = rid
            f = asyncio.get_running_loop().create_future()
            self.receipts[rid] = f
        self.writer.write(self.frame("SEND", h, body))
        await self.writer.drain()
        if f:
            await asyncio.wait_for(f, 15)

    async def subscribe(self, dest, sid, headers=None):
        self.writer.write(self.frame("SUBSCRIBE", {"destination": dest, "id": sid, "ack": "auto", **(headers or {})}))
        await self.writer.drain()

    def close(self):
        self.closing = True
        try:
            self.writer.close()
        except Exception:
            pass


# ---------------------------------------------------------------- minimal HTTP/1.1 keep-alive client
class Http:
    def __init__(self, port):
        self.port = port
        self.conn = None

    async def request(self, method, path, body=b"", headers=None, timeout=20):
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = await asyncio.open_connection("127.0.0.1", self.port)
                r, w = self.conn
                h = {"Host": f"127.0.0.1:{self.port}", "Content-Length": str(len(body)), **(headers or {})}
                w.write(f"{method} {path} HTTP/1.1\r\n".encode() + "".join(f"{k}: {v}\r\n" for k, v in h.items()).encode() + b"\r\n" + body)
                await w.drain()
                return await asyncio.wait_for(self._response(r), timeout)
            except (ConnectionError, asyncio.IncompleteReadError, OSError) as e:
                self.close()
                if attempt:
                    raise
                C.inc("http_reconnects")
            except asyncio.TimeoutError:
                self.close()
                raise

    async def _response(self, r):
        head = await r.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                hdrs[k.strip().lower()] = v.strip()
        if "content-length" in hdrs:
            body = await r.readexactly(int(hdrs["content-length"]))
        elif hdrs.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int((await r.readline()).split(b";")[0], 16)
                if size == 0:
                    await r.readline()
                    break
                body += await r.readexactly(size)
                await r.readline()
        else:
            body = b""
        if hdrs.get("connection", "").lower() == "close":
            self.close()
        return status, hdrs, body

    def close(self):
        if self.conn:
            try:
                self.conn[1].close()
            except Exception:
                pass
        self.conn = None


# ---------------------------------------------------------------- the soak
class Soak:
    def __init__(self, a):
        self.a = a
        self.run = "soak" + secrets.token_hex(3)
        self.dests = [f"/topic/{self.run}.d{i:02d}" for i in range(a.destinations)]
        self.published = [0] * a.destinations          # last sequence number the broker confirmed, per destination
        self.stop = asyncio.Event()
        self.load_stop = asyncio.Event()
        self.hmac_secret = secrets.token_hex(32)
        self.api_key = "soak-api-" + secrets.token_hex(16)
        self.admin_key = "soak-admin-" + secrets.token_hex(16)
        self.wh_key = secrets.token_bytes(32)
        self.wh_secret = "whsec_" + base64.b64encode(self.wh_key).decode()
        self.wh_published = set()
        self.wh_delivered = {}      # n -> deliveries
        self.wh_key_next = {}       # key -> next key-seq expected (first deliveries)
        self.clients = []
        self.procs = []
        u = urllib.parse.urlparse(a.broker) if a.broker != "embedded" else None
        self.broker = u

    # ------------------------------------------------------------ gateway
    def config(self):
        ex = self.a
        return f"""log:
  level: warning
http:
  web_dir: "off"
auth:
  hmac_secret: "{self.hmac_secret}"
api:
  keys: [{self.api_key}]
admin:
  keys: [{self.admin_key}]
feeds:
  retain: [/topic/{self.run}.**]
webhooks:
  routes:
    soak:
      source: /queue/{self.run}.hooks
      id_header: event-id
      prefetch: 64
      endpoints:
        receiver:
          url: http://127.0.0.1:{self.rport}/hook
          secrets: [{self.wh_secret}]
          max_concurrency: 8
          ordering_key: order-id
          timeout_ms: 5000
          retry:
            max_attempts: 50
            initial_delay_ms: 100
            max_delay_ms: 2000
"""

    async def start_gateway(self):
        self.port = free_port()
        self.rport = free_port()
        os.makedirs(self.a.out, exist_ok=True)
        cfg = os.path.join(self.a.out, "gateway.yaml")
        with open(cfg, "w") as f:
            f.write(self.config())
        args = [self.a.bin, "serve", "--config", cfg, "--http-host", "127.0.0.1", "--http-port", str(self.port)]
        if self.broker:
            args += ["--broker", self.a.broker]
            self.stomp_addr = (self.broker.hostname, self.broker.port or 61613)
            self.stomp_auth = (self.broker.username or "guest", self.broker.password or "guest")
            q = urllib.parse.parse_qs(self.broker.query)
            self.vhost = q.get("host", ["/"])[0]
        else:
            bport = free_port()
            args += ["--broker-host", "127.0.0.1", "--broker-port", str(bport)]
            self.stomp_addr = ("127.0.0.1", bport)
            self.stomp_auth = ("guest", "guest")
            self.vhost = "/"
        self.gwlog = open(os.path.join(self.a.out, "gateway.log"), "wb")
        # the configuration is the file alone (the gateway refuses unknown STOMP_GATEWAY_* variables)
        env = {k: v for k, v in os.environ.items() if not k.startswith("STOMP_GATEWAY_")}
        self.gw = await asyncio.create_subprocess_exec(*args, stdout=self.gwlog, stderr=self.gwlog, env=env)
        with open(os.path.join(self.a.out, "gateway.pid"), "w") as f:
            f.write(str(self.gw.pid))
        http = Http(self.port)
        for _ in range(300):
            try:
                st, _, body = await http.request("GET", "/readyz", timeout=2)
                if st == 200:
                    break
            except Exception:
                pass
            if self.gw.returncode is not None:
                raise RuntimeError("gateway exited at start; see gateway.log")
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError("gateway not ready in 30 s")
        http.close()
        log(f"gateway pid {self.gw.pid} on 127.0.0.1:{self.port}, run {self.run}, broker {self.a.broker}")

    def token(self):
        return hs256({"sub": "soak", "exp": int(time.time()) + self.a.minutes * 60 + 3600,
                      "subscribe": [f"/topic/{self.run}.**"]}, self.hmac_secret.encode())

    # ------------------------------------------------------------ feed publishers
    async def feed_publisher(self, i, via_api):
        dest = self.dests[i]
        interval = 1.0 / self.a.rate
        http = Http(self.port) if via_api else None
        stomp = None
        await asyncio.sleep(random.random() * interval)
        t = time.monotonic()
        while not self.load_stop.is_set():
            seq = self.published[i] + 1
            body = json.dumps({"d": i, "seq": seq, "t": time.time(), "pad": "p" * 120})
            try:
                if via_api:
                    st, _, rb = await http.request("POST", "/api/publish", json.dumps({"destination": dest, "body": body}).encode(),
                                                   {"X-API-Key": self.api_key, "Content-Type": "application/json"})
                    if st != 202:
                        raise RuntimeError(f"publish {st} {rb[:200]!r}")
                    C.inc("api_publish_ok")
                else:
                    if stomp is None or stomp.closed.is_set():
                        stomp = await Stomp(*self.stomp_addr, *self.stomp_auth, self.vhost, f"pub{i}").connect()
                    await stomp.send(dest, body, {"content-type": "application/json"}, receipt=True)
                    C.inc("stomp_publish_ok")
                self.published[i] = seq
                C.inc("feed_published")
            except Exception as e:
                C.inc("feed_publish_errors")
                log(f"publish {dest} seq {seq}: {e!r}")
                # a message whose confirmation was lost may still have reached the broker: then the
                # subscribers see seq twice... no: we retry with the same seq, so they may see it twice.
                self.feed_uncertain.add((i, seq))
                if stomp:
                    stomp.close()
                    stomp = None
                await asyncio.sleep(1)
            t += interval
            await asyncio.sleep(max(0, t - time.monotonic()))
        if stomp:
            stomp.close()
        if http:
            http.close()

    # ------------------------------------------------------------ subscribers
    def new_client(self, kind, i):
        c = {"kind": kind, "i": i, "d": i % len(self.dests), "last": None, "pos": None, "delivered": 0,
             "missing": 0, "dups": 0, "gaps": 0, "reconnects": 0, "unexpected": 0, "cut": asyncio.Event(), "connected": False}
        self.clients.append(c)
        return c

    def check(self, c, seq, pos):
        c["delivered"] += 1
        C.inc("delivered")
        if c["last"] is not None:
            if seq == c["last"] + 1:
                pass
            elif seq <= c["last"]:
                c["dups"] += 1
                C.inc("out_of_order_or_dup")
                return
            else:
                c["missing"] += seq - c["last"] - 1
                C.inc("missing", seq - c["last"] - 1)
        c["last"] = seq
        c["pos"] = pos

    async def client_loop(self, c):
        await asyncio.sleep(random.random() * 5)
        while not self.stop.is_set():
            c["cut"].clear()
            try:
                if c["kind"] == "sse":
                    await self.sse_session(c)
                else:
                    await self.ws_session(c)
            except (asyncio.CancelledError):
                raise
            except Exception as e:
                if not c["cut"].is_set() and not self.stop.is_set():
                    c["unexpected"] += 1
                    C.inc("unexpected_disconnects")
                    if C.get("unexpected_disconnects", 0) <= 20:
                        log(f"{c['kind']}{c['i']}: {e!r}")
            c["connected"] = False
            if self.stop.is_set():
                break
            c["reconnects"] += 1
            C.inc("reconnects")
            await asyncio.sleep(0.2 + random.random() * 2.8 if c["cut"].is_set() else 1.0)

    async def until_cut(self, c, coro):
        """Runs coro until the churner cuts this client or the soak stops."""
        task = asyncio.create_task(coro)
        cut = asyncio.create_task(c["cut"].wait())
        stop = asyncio.create_task(self.stop.wait())
        done, _ = await asyncio.wait({task, cut, stop}, return_when=asyncio.FIRST_COMPLETED)
        for t in (task, cut, stop):
            if t not in done:
                t.cancel()
        if task in done:
            task.result()
            raise ConnectionError("stream ended")

    async def sse_session(self, c):
        dest = self.dests[c["d"]]
        q = urllib.parse.urlencode([("destination", dest), ("access_token", self.token_value)], safe="/")
        r, w = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            extra = f"Last-Event-ID: {c['pos']}\r\n" if c["pos"] else ""
            w.write(f"GET /events?{q} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n{extra}\r\n".encode())
            head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 10)
            status = head.split(b" ", 2)[1]
            if status != b"200":
                raise RuntimeError(f"SSE status {status!r}: {head[:300]!r}")
            c["connected"] = True
            chunked = b"chunked" in head.lower()
            await self.until_cut(c, self.sse_read(c, r, chunked))
        finally:
            w.close()

    async def sse_read(self, c, r, chunked):
        buf = b""
        events = b""
        while True:
            data = await r.read(65536)
            if not data:
                return
            if chunked:
                buf += data
                while True:
                    n = buf.find(b"\r\n")
                    if n < 0:
                        break
                    size = int(buf[:n].split(b";")[0], 16)
                    if size == 0:
                        return
                    if len(buf) < n + 2 + size + 2:
                        break
                    events += buf[n + 2:n + 2 + size]
                    buf = buf[n + 2 + size + 2:]
            else:
                events += data
            while True:
                n = events.find(b"\n\n")
                if n < 0:
                    break
                ev, events = events[:n], events[n + 2:]
                etype, eid, edata = "message", None, []
                for line in ev.decode().split("\n"):
                    if line.startswith(":"):
                        continue
                    k, _, v = line.partition(":")
                    v = v[1:] if v.startswith(" ") else v
                    if k == "event":
                        etype = v
                    elif k == "id":
                        eid = v
                    elif k == "data":
                        edata.append(v)
                if not edata:
                    continue
                if etype == "message":
                    msg = json.loads("\n".join(edata))
                    self.check(c, json.loads(msg["body"])["seq"], eid or msg["position"])
                elif etype == "gap":
                    c["gaps"] += 1
                    C.inc("gap_events")
                elif etype == "error":
                    C.inc("error_events")
                    raise RuntimeError(f"SSE error event {edata}")

    async def ws_session(self, c):
        dest = self.dests[c["d"]]
        async with ws_connect(f"ws://127.0.0.1:{self.port}/stomp", subprotocols=["v12.stomp"], compression=None,
                              max_size=None, ping_interval=None, open_timeout=10) as ws:
            await ws.send(f"CONNECT\naccept-version:1.2\nhost:soak\npasscode:{self.token_value}\nheart-beat:0,0\n\n\0")
            f = await asyncio.wait_for(ws.recv(), 10)
            if not f.startswith("CONNECTED"):
                raise RuntimeError(f"WS: {f[:200]!r}")
            since = f"since:{c['pos']}\n" if c["pos"] else ""
            await ws.send(f"SUBSCRIBE\nid:0\ndestination:{dest}\n{since}\n\0")
            c["connected"] = True
            await self.until_cut(c, self.ws_read(c, ws))

    async def ws_read(self, c, ws):
        async for f in ws:
            if isinstance(f, bytes):
                f = f.decode()
            f = f.lstrip("\r\n")
            if not f:
                continue
            head, _, body = f.partition("\n\n")
            lines = head.split("\n")
            cmd = lines[0]
            h = {}
            for line in lines[1:]:
                k, _, v = line.partition(":")
                h.setdefault(k, v)
            if cmd == "MESSAGE":
                if h.get("gateway-gap") == "true":
                    c["gaps"] += 1
                    C.inc("gap_events")
                    continue
                self.check(c, json.loads(body.rstrip("\0"))["seq"], h["message-id"])
            elif cmd == "ERROR":
                C.inc("error_events")
                raise RuntimeError(f"WS ERROR {f[:300]!r}")

    async def churner(self):
        interval = 1.0 / self.a.churn
        while not self.load_stop.is_set():
            await asyncio.sleep(interval * (0.5 + random.random()))
            cands = [c for c in self.clients if c["connected"] and not c["cut"].is_set()]
            if cands:
                c = random.choice(cands)
                c["cut"].set()
                C.inc("churned")

    # ------------------------------------------------------------ webhooks
    async def webhook_receiver(self):
        async def handle(r, w):
            try:
                while True:
                    head = await r.readuntil(b"\r\n\r\n")
                    hdrs = {}
                    for line in head.decode("latin-1").split("\r\n")[1:]:
                        if ":" in line:
                            k, v = line.split(":", 1)
                            hdrs[k.strip().lower()] = v.strip()
                    body = await r.readexactly(int(hdrs.get("content-length", "0")))
                    C.inc("wh_requests")
                    status = 204
                    wid, ts = hdrs.get("webhook-id", ""), hdrs.get("webhook-timestamp", "")
                    mac = base64.b64encode(hmac.new(self.wh_key, f"{wid}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
                    sigs = [s.split(",", 1)[1] for s in hdrs.get("webhook-signature", "").split() if s.startswith("v1,")]
                    if not any(hmac.compare_digest(mac, s) for s in sigs) or abs(time.time() - int(ts or 0)) > 300:
                        C.inc("wh_bad_signature")
                        status = 401
                    elif random.random() < self.a.webhook_fail:
                        C.inc("wh_answered_500")
                        status = 500
                    else:
                        m = json.loads(body)
                        n, key, kseq = m["n"], m["key"], m["kseq"]
                        if n in self.wh_delivered:
                            C.inc("wh_duplicates")
                        else:
                            nxt = self.wh_key_next.get(key, 1)
                            if kseq != nxt:
                                C.inc("wh_order_violations")
                            self.wh_key_next[key] = max(nxt, kseq + 1)
                        self.wh_delivered[n] = self.wh_delivered.get(n, 0) + 1
                        C["wh_delivered"] = len(self.wh_delivered)
                    reason = {204: "No Content", 401: "Unauthorized", 500: "Internal Server Error"}[status]
                    w.write(f"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\n\r\n".encode())
                    await w.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                w.close()

        self.wh_server = await asyncio.start_server(handle, "127.0.0.1", self.rport)

    async def webhook_publisher(self):
        stomp = None
        interval = 1.0 / self.a.webhook_rate
        keys = 16
        kseq = [0] * keys
        n = 0
        t = time.monotonic()
        while not self.load_stop.is_set():
            n += 1
            k = n % keys
            kseq[k] += 1
            body = json.dumps({"n": n, "key": f"k{k}", "kseq": kseq[k], "pad": "w" * 100})
            try:
                if stomp is None or stomp.closed.is_set():
                    stomp = await Stomp(*self.stomp_addr, *self.stomp_auth, self.vhost, "whpub").connect()
                await stomp.send(f"/queue/{self.run}.hooks", body, {"content-type": "application/json", "persistent": "true",
                                                                     "event-id": f"{self.run}-{n}", "order-id": f"k{k}"}, receipt=True)
                self.wh_published.add(n)
                C["wh_published"] = len(self.wh_published)
            except Exception as e:
                # unconfirmed: it may or may not be in the queue; not counted as published
                C.inc("wh_publish_errors")
                log(f"webhook publish {n}: {e!r}")
                if stomp:
                    stomp.close()
                    stomp = None
                await asyncio.sleep(1)
            t += interval
            await asyncio.sleep(max(0, t - time.monotonic()))
        if stomp:
            stomp.close()

    # ------------------------------------------------------------ request-reply
    async def responder(self):
        while not self.stop.is_set():
            try:
                s = await Stomp(*self.stomp_addr, *self.stomp_auth, self.vhost, "responder").connect()

                async def on_message(h, body, s=s):
                    C.inc("rpc_served")
                    await s.send(h["reply-to"], b"re:" + body, {"correlation-id": h.get("correlation-id", ""), "content-type": "text/plain"})

                s.on_message = on_message
                await s.subscribe(f"/queue/{self.run}.rpc", "0")
                self.responder_conn = s
                done, pending = await asyncio.wait({asyncio.create_task(s.closed.wait()), asyncio.create_task(self.stop.wait())},
                                                   return_when=asyncio.FIRST_COMPLETED)
                for t in pending:
                    t.cancel()
                if self.stop.is_set():
                    s.close()
            except Exception as e:
                log(f"responder: {e!r}")
            if not self.stop.is_set():
                await asyncio.sleep(1)

    async def requester(self, w):
        http = Http(self.port)
        interval = self.a.rpc_workers / self.a.rpc_rate
        t = time.monotonic() + random.random() * interval
        await asyncio.sleep(max(0, t - time.monotonic()))
        n = 0
        while not self.load_stop.is_set():
            n += 1
            payload = f"w{w}-{n}"
            t0 = time.monotonic()
            try:
                st, _, rb = await http.request("POST", "/api/request", json.dumps({"destination": f"/queue/{self.run}.rpc", "body": payload, "timeout": 5}).encode(),
                                               {"X-API-Key": self.api_key, "Content-Type": "application/json"}, timeout=10)
                if st == 200 and json.loads(rb)["body"] == "re:" + payload:
                    C.inc("rpc_ok")
                    self.rpc_lat.append(time.monotonic() - t0)
                elif st == 504:
                    C.inc("rpc_timeouts")
                else:
                    C.inc("rpc_errors")
                    log(f"request: {st} {rb[:200]!r}")
            except Exception as e:
                C.inc("rpc_errors")
                log(f"request: {e!r}")
            t += interval
            await asyncio.sleep(max(0, t - time.monotonic()))
        http.close()

    # ------------------------------------------------------------ sampling
    def proc(self):
        pid = self.gw.pid
        st = {}
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                st[k] = v.strip()
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return {"rss_kb": int(st["VmRSS"].split()[0]), "hwm_kb": int(st["VmHWM"].split()[0]),
                "threads": int(st["Threads"]), "fds": len(os.listdir(f"/proc/{pid}/fd")),
                "cpu_s": (int(fields[11]) + int(fields[12])) / CLK_TCK}

    async def metrics(self, http):
        st, _, body = await http.request("GET", "/metrics", timeout=5)
        out = {}
        for line in body.decode().splitlines():
            if not line or line.startswith("#"):
                continue
            name_labels, _, value = line.rpartition(" ")
            name = name_labels.split("{", 1)[0]
            try:
                v = float(value)
            except ValueError:
                continue
            if name.endswith("_bucket"):
                continue
            if name == "gateway_connections":
                out[f"conn_{'ws' if 'websocket' in name_labels or 'stomp' in name_labels else 'sse'}"] = out.get(f"conn_{'ws' if 'websocket' in name_labels or 'stomp' in name_labels else 'sse'}", 0) + v
            out[name] = out.get(name, 0) + v
        return out

    def beam_pid(self):
        try:
            with open("/tmp/stomp-gateway-brokers/rabbitmq/beam.pid") as f:
                return f.read().split()[0]
        except Exception:
            return ""

    COLUMNS = ["t_s", "rss_kb", "hwm_kb", "fds", "threads", "cpu_s",
               "m_connections", "m_conn_sse", "m_conn_ws", "m_subscriptions", "m_retained_destinations", "m_upstream_subscriptions",
               "m_messages_in", "m_messages_out", "m_gaps", "m_slow_consumer", "m_broker_reconnects",
               "m_webhook_delivered", "m_webhook_attempts", "m_webhook_failures", "m_webhook_in_flight", "m_webhook_waiting",
               "m_api_requests", "m_api_late_replies",
               "feed_published", "delivered", "missing", "dups", "gap_events", "churned", "reconnects", "unexpected_disconnects",
               "clients_connected", "wh_published", "wh_delivered", "wh_answered_500", "rpc_ok", "rpc_errors", "rpc_timeouts",
               "api_publish_ok", "stomp_publish_ok", "beam_pid"]
    MMAP = {"m_connections": "gateway_connections", "m_subscriptions": "gateway_subscriptions",
            "m_retained_destinations": "gateway_retained_destinations", "m_upstream_subscriptions": "gateway_upstream_subscriptions",
            "m_messages_in": "gateway_messages_in_total", "m_messages_out": "gateway_messages_out_total", "m_gaps": "gateway_gaps_total",
            "m_slow_consumer": "gateway_slow_consumer_actions_total", "m_broker_reconnects": "gateway_broker_reconnects_total",
            "m_webhook_delivered": "gateway_webhook_delivered_total", "m_webhook_attempts": "gateway_webhook_attempts_total",
            "m_webhook_failures": "gateway_webhook_failures_total", "m_webhook_in_flight": "gateway_webhook_in_flight",
            "m_webhook_waiting": "gateway_webhook_waiting", "m_api_requests": "gateway_api_requests_total",
            "m_api_late_replies": "gateway_api_late_replies_total"}

    async def sampler(self):
        http = Http(self.port)
        path = os.path.join(self.a.out, "soak.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(self.COLUMNS)
            t0 = self.t0
            nxt = t0
            while True:
                row = {"t_s": round(time.monotonic() - t0, 1)}
                try:
                    row.update(self.proc())
                except Exception as e:
                    log(f"sampler: gateway gone? {e!r}")
                    C.inc("gateway_gone")
                    self.stop.set()
                    return
                try:
                    m = await self.metrics(http)
                except Exception as e:
                    log(f"sampler: metrics {e!r}")
                    m = {}
                for col, name in self.MMAP.items():
                    row[col] = m.get(name, "")
                row["m_conn_sse"], row["m_conn_ws"] = m.get("conn_sse", ""), m.get("conn_ws", "")
                for k in ("feed_published", "delivered", "missing", "gap_events", "churned", "reconnects", "unexpected_disconnects",
                          "wh_published", "wh_delivered", "wh_answered_500", "rpc_ok", "rpc_errors", "rpc_timeouts", "api_publish_ok", "stomp_publish_ok"):
                    row[k] = C.get(k, 0)
                row["dups"] = C.get("out_of_order_or_dup", 0)
                row["clients_connected"] = sum(1 for c in self.clients if c["connected"])
                row["beam_pid"] = self.beam_pid() if self.broker else ""
                w.writerow([row.get(k, "") for k in self.COLUMNS])
                f.flush()
                self.samples.append(row)
                log(f"t={row['t_s']:>6}s rss={row['rss_kb']/1024:.1f}MiB fds={row['fds']} thr={row['threads']} cpu={row['cpu_s']:.0f}s "
                    f"conns={row['m_connections']} pub={row['feed_published']} dlv={row['delivered']} miss={row['missing']} "
                    f"churn={row['churned']} wh={row['wh_delivered']}/{row['wh_published']} (500s {row['wh_answered_500']}) rpc={row['rpc_ok']}")
                if self.stop.is_set():
                    return
                nxt += self.a.sample
                try:
                    await asyncio.wait_for(self.stop.wait(), max(0, nxt - time.monotonic()))
                except asyncio.TimeoutError:
                    pass

    # ------------------------------------------------------------ main
    async def main(self):
        a = self.a
        self.feed_uncertain = set()
        self.samples = []
        self.rpc_lat = []
        await self.start_gateway()
        self.token_value = self.token()
        await self.webhook_receiver()
        self.t0 = time.monotonic()
        tasks = [asyncio.create_task(self.sampler())]
        load = [asyncio.create_task(self.feed_publisher(i, i % 2 == 0)) for i in range(len(self.dests))]
        load.append(asyncio.create_task(self.webhook_publisher()))
        tasks.append(asyncio.create_task(self.responder()))
        await asyncio.sleep(2)
        load += [asyncio.create_task(self.requester(w)) for w in range(a.rpc_workers)]
        clients = [self.new_client("sse", i) for i in range(a.sse)] + [self.new_client("ws", a.sse + i) for i in range(a.ws)]
        ctasks = [asyncio.create_task(self.client_loop(c)) for c in clients]
        load.append(asyncio.create_task(self.churner()))
        end = self.t0 + a.minutes * 60
        while time.monotonic() < end and self.gw.returncode is None and not self.stop.is_set():
            await asyncio.sleep(1)
        gw_died = self.gw.returncode is not None
        self.load_end_t = time.monotonic() - self.t0
        log("load stops; draining")
        self.load_stop.set()
        await asyncio.gather(*load, return_exceptions=True)
        # feeds: let the last messages arrive (churned clients reconnect within 3 s)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if all(c["connected"] and c["last"] == self.published[c["d"]] for c in self.clients):
                break
            await asyncio.sleep(0.5)
        # webhooks: everything published delivered (retries included)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not self.wh_published <= self.wh_delivered.keys():
            await asyncio.sleep(0.5)
        self.stop.set()
        await asyncio.gather(*tasks, *ctasks, return_exceptions=True)
        self.wh_server.close()
        return self.report(gw_died)

    def report(self, gw_died):
        a = self.a
        # the figures are of the loaded period; the sample taken after the load stopped stays in the CSV only
        s = [r for r in self.samples if r["t_s"] <= self.load_end_t + 0.5] or self.samples
        dur = s[-1]["t_s"] if s else 0
        warm = min(a.warmup, dur / 3)
        after = [r for r in s if r["t_s"] >= warm]
        third = max(1, len(after) // 3)
        first, last = after[:third], after[-third:]
        mean = lambda rows, k: sum(r[k] for r in rows) / len(rows)
        rss_first, rss_last = mean(first, "rss_kb") / 1024, mean(last, "rss_kb") / 1024
        fds_first_max, fds_last_max = max(r["fds"] for r in first), max(r["fds"] for r in last)
        # least-squares slope of RSS after warm-up, MiB per hour
        xs, ys = [r["t_s"] for r in after], [r["rss_kb"] / 1024 for r in after]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        den = sum((x - mx) ** 2 for x in xs) or 1
        slope_h = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den * 3600
        # What the history bounds allow: D feeds x history.max_messages (100) x ~1 KiB per retained
        # message (body, headers, encoded frames) -- reached within the warm-up at these rates;
        # plus allocator noise.
        allowed_mib = a.allowed_growth_mib
        behind = sum(self.published[c["d"]] - (c["last"] or 0) for c in self.clients)
        never = sum(1 for c in self.clients if c["last"] is None)
        missing = sum(c["missing"] for c in self.clients)
        dups = sum(c["dups"] for c in self.clients)
        wh_lost = sorted(self.wh_published - self.wh_delivered.keys())
        lat = sorted(self.rpc_lat)
        pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else 0
        cpu = s[-1]["cpu_s"] - s[0]["cpu_s"] if len(s) > 1 else 0
        beams = sorted({r["beam_pid"] for r in s if r["beam_pid"]})
        checks = {
            "gateway stayed up": not gw_died and not C.get("gateway_gone"),
            f"RSS growth last third vs first third <= {allowed_mib} MiB": rss_last - rss_first <= allowed_mib,
            "FDs flat (max of last third <= max of first third + 10)": fds_last_max <= fds_first_max + 10,
            "every subscriber got every message once, in order": missing == 0 and dups == 0 and behind == 0 and never == 0,
            "no gap notices": C.get("gap_events", 0) == 0,
            "no webhook lost": not wh_lost,
            "webhook signatures all valid": C.get("wh_bad_signature", 0) == 0,
            "webhook order per key kept": C.get("wh_order_violations", 0) == 0,
            "request-reply: no errors": C.get("rpc_errors", 0) == 0 and C.get("rpc_timeouts", 0) == 0,
        }
        summary = {
            "run": self.run, "broker": a.broker, "minutes": a.minutes, "duration_s": dur,
            "load": {"destinations": len(self.dests), "rate_per_destination": a.rate, "sse": a.sse, "ws": a.ws,
                     "churn_per_s": a.churn, "webhook_rate": a.webhook_rate, "webhook_fail_share": a.webhook_fail,
                     "rpc_rate": a.rpc_rate},
            "rss_mib": {"start": s[0]["rss_kb"] / 1024, "after_warmup": after[0]["rss_kb"] / 1024, "end": s[-1]["rss_kb"] / 1024,
                        "max": max(r["rss_kb"] for r in s) / 1024, "hwm": s[-1]["hwm_kb"] / 1024,
                        "mean_first_third": rss_first, "mean_last_third": rss_last, "growth": rss_last - rss_first,
                        "slope_mib_per_hour": slope_h, "warmup_s": warm},
            "fds": {"start": s[0]["fds"], "end": s[-1]["fds"], "min": min(r["fds"] for r in after), "max": max(r["fds"] for r in after),
                    "max_first_third": fds_first_max, "max_last_third": fds_last_max},
            "threads": {"start": s[0]["threads"], "end": s[-1]["threads"]},
            "gateway_cpu_s": cpu, "gateway_cpu_share": cpu / dur if dur else 0,
            "feeds": {"published": C.get("feed_published", 0), "via_api": C.get("api_publish_ok", 0), "via_stomp": C.get("stomp_publish_ok", 0),
                      "publish_errors": C.get("feed_publish_errors", 0), "delivered": C.get("delivered", 0),
                      "delivered_per_s": C.get("delivered", 0) / dur if dur else 0,
                      "missing": missing, "duplicates_or_out_of_order": dups, "behind_at_end": behind, "clients_never_served": never,
                      "gap_events": C.get("gap_events", 0), "error_events": C.get("error_events", 0),
                      "churned": C.get("churned", 0), "reconnects": C.get("reconnects", 0), "unexpected_disconnects": C.get("unexpected_disconnects", 0)},
            "webhooks": {"published": len(self.wh_published), "delivered": len(self.wh_delivered), "lost": len(wh_lost), "lost_first": wh_lost[:20],
                         "requests": C.get("wh_requests", 0), "answered_500": C.get("wh_answered_500", 0), "duplicates": C.get("wh_duplicates", 0),
                         "bad_signatures": C.get("wh_bad_signature", 0), "order_violations": C.get("wh_order_violations", 0),
                         "publish_errors": C.get("wh_publish_errors", 0)},
            "rpc": {"ok": C.get("rpc_ok", 0), "errors": C.get("rpc_errors", 0), "timeouts": C.get("rpc_timeouts", 0),
                    "p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": lat[-1] * 1000 if lat else 0},
            "broker_beam_pids": beams, "stomp_disconnects": C.get("stomp_disconnects", 0),
            "checks": checks, "verdict": "PASS" if all(checks.values()) else "FAIL",
        }
        with open(os.path.join(a.out, "summary.json"), "w") as f:
            json.dump(summary, f, indent=2)
        r, fe, wh, rp = summary["rss_mib"], summary["feeds"], summary["webhooks"], summary["rpc"]
        print(f"""
==== soak summary ({self.run}, {a.broker}, {dur / 60:.1f} min) ====
load: {len(self.dests)} topics x {a.rate} msg/s ({fe['published']} published: {fe['via_api']} via /api/publish, {fe['via_stomp']} via STOMP),
      {a.sse} SSE + {a.ws} WebSocket subscribers, churn {a.churn}/s with resume; webhooks {a.webhook_rate}/s ({a.webhook_fail:.0%} answered 500);
      /api/request {a.rpc_rate}/s
RSS MiB: start {r['start']:.1f}, after warm-up ({r['warmup_s']:.0f} s) {r['after_warmup']:.1f}, end {r['end']:.1f}, max {r['max']:.1f};
         mean first third {r['mean_first_third']:.1f} -> last third {r['mean_last_third']:.1f} (growth {r['growth']:+.1f} MiB, slope {r['slope_mib_per_hour']:+.1f} MiB/h)
FDs: start {summary['fds']['start']}, end {summary['fds']['end']}, range after warm-up {summary['fds']['min']}-{summary['fds']['max']}; threads {summary['threads']['start']} -> {summary['threads']['end']}
gateway CPU: {cpu:.0f} s ({summary['gateway_cpu_share']:.0%} of one core)
feeds: delivered {fe['delivered']} ({fe['delivered_per_s']:.0f}/s), missing {fe['missing']}, dup/out-of-order {fe['duplicates_or_out_of_order']}, behind at end {fe['behind_at_end']},
       gap notices {fe['gap_events']}, churned {fe['churned']}, reconnects {fe['reconnects']}, unexpected disconnects {fe['unexpected_disconnects']}, publish errors {fe['publish_errors']}
webhooks: published {wh['published']}, delivered {wh['delivered']}, lost {wh['lost']}, requests {wh['requests']}, 500s {wh['answered_500']}, duplicates {wh['duplicates']},
          bad signatures {wh['bad_signatures']}, order violations {wh['order_violations']}
request-reply: ok {rp['ok']}, errors {rp['errors']}, timeouts {rp['timeouts']}, p50 {rp['p50_ms']:.1f} ms, p99 {rp['p99_ms']:.1f} ms
broker beam pids seen: {beams or '-'}
""")
        for k, v in checks.items():
            print(f"  [{'ok' if v else 'FAIL'}] {k}")
        print(f"verdict: {summary['verdict']}", flush=True)
        return 0 if summary["verdict"] == "PASS" else 1

    async def shutdown(self):
        if getattr(self, "gw", None) and self.gw.returncode is None:
            self.gw.terminate()
            try:
                await asyncio.wait_for(self.gw.wait(), 20)
            except asyncio.TimeoutError:
                self.gw.kill()
                await self.gw.wait()


async def amain(a):
    s = Soak(a)
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, main.cancel)
    try:
        return await s.main()
    finally:
        await s.shutdown()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--broker", default="embedded", help="stomp://user:pass@host:port, or 'embedded'")
    p.add_argument("--minutes", type=float, default=30)
    p.add_argument("--out", default="/tmp/stomp-gateway-soak")
    p.add_argument("--sample", type=float, default=10)
    p.add_argument("--warmup", type=float, default=180, help="seconds left out of the growth check (capped at a third of the run)")
    p.add_argument("--destinations", type=int, default=40)
    p.add_argument("--rate", type=float, default=1.5, help="msg/s per destination")
    p.add_argument("--sse", type=int, default=200)
    p.add_argument("--ws", type=int, default=100)
    p.add_argument("--churn", type=float, default=2.0, help="subscribers cut and resumed per second")
    p.add_argument("--webhook-rate", type=float, default=20)
    p.add_argument("--webhook-fail", type=float, default=0.05, help="share of webhook requests answered 500")
    p.add_argument("--rpc-rate", type=float, default=10)
    p.add_argument("--rpc-workers", type=int, default=4)
    p.add_argument("--allowed-growth-mib", type=float, default=16)
    a = p.parse_args()
    try:
        sys.exit(asyncio.run(amain(a)))
    except asyncio.CancelledError:
        print("interrupted", flush=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
