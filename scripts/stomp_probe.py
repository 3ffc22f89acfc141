#!/usr/bin/env python3
"""Probe a STOMP broker with a real third-party client (stomp.py, STOMP 1.2).

    scripts/stomp_probe.py HOST PORT [LOGIN PASSCODE]

Connects (vhost '/'), subscribes to /queue/probe, sends one message with a unique
body, waits for that message, disconnects. Exits 0 on success, 1 with a message
on failure or after 10 seconds.
"""
import os
import sys
import threading
import time
import uuid

TIMEOUT = 10.0


def main() -> int:
    if len(sys.argv) not in (3, 5):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    host, port = sys.argv[1], int(sys.argv[2])
    login, passcode = (sys.argv[3], sys.argv[4]) if len(sys.argv) == 5 else ("guest", "guest")

    try:
        import stomp
    except ImportError:
        print("stomp_probe: python module stomp.py is missing (pip install stomp.py)", file=sys.stderr)
        return 1

    deadline = time.monotonic() + TIMEOUT

    def watchdog():
        print(f"stomp_probe: {host}:{port}: no complete round trip within {TIMEOUT:.0f}s", file=sys.stderr)
        sys.stderr.flush()
        os._exit(1)

    timer = threading.Timer(TIMEOUT + 0.5, watchdog)
    timer.daemon = True
    timer.start()
    body = "probe-" + uuid.uuid4().hex
    got = threading.Event()
    errors = []

    class Listener(stomp.ConnectionListener):
        def on_message(self, frame):
            if frame.body == body:
                got.set()

        def on_error(self, frame):
            errors.append(frame.body or str(frame.headers))
            got.set()

    conn = stomp.Connection12([(host, port)], vhost="/", timeout=TIMEOUT,
                              reconnect_attempts_max=1, heartbeats=(0, 0))
    conn.set_listener("probe", Listener())
    t0 = time.monotonic()
    try:
        conn.connect(login, passcode, wait=True, headers={"client-id": "stomp-probe-" + uuid.uuid4().hex[:8]})
        conn.subscribe("/queue/probe", id="probe-sub", ack="auto")
        conn.send("/queue/probe", body, content_type="text/plain")
        if not got.wait(max(0.0, deadline - time.monotonic())):
            print(f"stomp_probe: no message back from {host}:{port} within {TIMEOUT:.0f}s", file=sys.stderr)
            return 1
        if errors:
            print(f"stomp_probe: ERROR frame from {host}:{port}: {errors[0]}", file=sys.stderr)
            return 1
        conn.unsubscribe("probe-sub")
        conn.disconnect(receipt=None)
    except Exception as exc:  # connection refused, timeout, protocol error
        detail = str(exc) or "could not connect (is the broker running?)"
        print(f"stomp_probe: {host}:{port}: {type(exc).__name__}: {detail}", file=sys.stderr)
        return 1
    finally:
        try:
            if conn.is_connected():
                conn.disconnect(receipt=None)
        except Exception:
            pass
    print(f"stomp_probe: {host}:{port} OK (round trip {1000 * (time.monotonic() - t0):.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
