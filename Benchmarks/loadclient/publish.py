#!/usr/bin/env python3
"""Publish R msg/s for S seconds to a STOMP destination over plain STOMP TCP.

Each body is "ts=<ns>" where <ns> is CLOCK_REALTIME in decimal nanoseconds taken
just before the SEND (use --bare for just "<ns>"); --size pads the body with 'x'
after a space. stomp_ws_load parses either form.

    python3 publish.py --rate 50 --seconds 10 --destination /topic/bench

Loopback only (127.0.0.1 / localhost / ::1). Uses stomp.py Connection12 with
vhost='/' (RabbitMQ needs the vhost in the host header).

With --http-url http://127.0.0.1:8090/pub it instead POSTs each body over one
keep-alive HTTP connection (nginx + nchan publisher location); no STOMP.
"""
import argparse
import http.client
import urllib.parse
import sys
import time

import stomp

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=61613)
    ap.add_argument("--destination", default="/topic/bench")
    ap.add_argument("--rate", type=float, default=50.0, help="messages per second")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--login", default="guest")
    ap.add_argument("--passcode", default="guest")
    ap.add_argument("--vhost", default="/")
    ap.add_argument("--size", type=int, default=0, help="pad body to at least this many bytes")
    ap.add_argument("--http-url", default=None, help="POST to this nchan publisher URL instead of STOMP")
    ap.add_argument("--bare", action="store_true", help="body is just <ns> instead of ts=<ns>")
    a = ap.parse_args()
    if a.host not in LOOPBACK:
        sys.exit(f"refusing non-loopback host {a.host!r}")
    if a.rate <= 0 or a.seconds <= 0:
        sys.exit("rate and seconds must be > 0")

    if a.http_url:
        u = urllib.parse.urlsplit(a.http_url)
        if u.scheme != "http" or u.hostname not in LOOPBACK:
            sys.exit(f"refusing non-loopback or non-http URL {a.http_url!r}")
        hc = http.client.HTTPConnection(u.hostname, u.port or 80)
        path = u.path + ("?" + u.query if u.query else "")

        def send(body):
            hc.request("POST", path, body=body.encode(), headers={"Content-Type": "text/plain"})
            r = hc.getresponse()
            r.read()
            if r.status >= 300:
                sys.exit(f"publisher POST failed: {r.status}")

        def close():
            hc.close()
    else:
        conn = stomp.Connection12([(a.host, a.port)], vhost=a.vhost, heartbeats=(0, 0), auto_content_length=True)
        conn.connect(a.login, a.passcode, wait=True)

        def send(body):
            conn.send(destination=a.destination, body=body)

        def close():
            # a receipt on DISCONNECT makes sure every SEND was processed by the broker
            conn.disconnect(receipt="pub-done")

    total = int(round(a.rate * a.seconds))
    interval = 1.0 / a.rate
    prefix = "" if a.bare else "ts="
    t0 = time.monotonic()
    late = 0
    for i in range(total):
        due = t0 + i * interval
        d = due - time.monotonic()
        if d > 0:
            time.sleep(d)
        elif d < -0.05:
            late += 1
        body = f"{prefix}{time.time_ns()}"
        if a.size > len(body):
            body = body + " " + "x" * (a.size - len(body) - 1)
        send(body)
    elapsed = time.monotonic() - t0
    close()
    print(f"PUBLISHED sent={total} seconds={elapsed:.2f} rate={total / elapsed:.1f}/s "
          f"late_over_50ms={late} destination={a.http_url or a.destination}", flush=True)


if __name__ == "__main__":
    main()
