#!/usr/bin/env python3
"""A STOMP 1.2 client built on stomp.py, for interoperability tests.

Usage:
    stomppy_client.py publish DEST COUNT
    stomppy_client.py consume DEST COUNT

The broker is STOMP_HOST:STOMP_PORT (default 127.0.0.1:61613); STOMP_LOGIN and
STOMP_PASSCODE are sent when set. STOMP_TIMEOUT is the time limit in seconds
(default 20).

publish sends COUNT messages with the bodies "python message 1 ✓" … "python message
COUNT ✓" and returns once the broker has confirmed the last one with a receipt.

consume subscribes (waiting for the broker's receipt), prints READY on stderr, then
prints each body received, one per line, on stdout, and exits 0 after COUNT
messages; after the time limit it exits 2 with a message on stderr.
"""

import os
import sys
import threading
import time

import stomp


class Listener(stomp.ConnectionListener):
    def __init__(self, expected):
        self.expected = expected
        self.bodies = []
        self.receipts = set()
        self.errors = []
        self.condition = threading.Condition()

    def on_message(self, frame):
        with self.condition:
            self.bodies.append(frame.body)
            print(frame.body, flush=True)
            self.condition.notify_all()

    def on_receipt(self, frame):
        with self.condition:
            self.receipts.add(frame.headers.get("receipt-id"))
            self.condition.notify_all()

    def on_error(self, frame):
        with self.condition:
            self.errors.append(frame.headers.get("message", frame.body))
            self.condition.notify_all()

    def wait_for(self, predicate, deadline):
        with self.condition:
            while not predicate():
                if self.errors:
                    fail("broker sent ERROR: %s" % self.errors[0])
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.condition.wait(min(remaining, 0.2))
            return True


def fail(message, status=2):
    print("stomppy_client: " + message, file=sys.stderr, flush=True)
    os._exit(status)


def main(argv):
    if len(argv) != 4 or argv[1] not in ("publish", "consume"):
        fail("usage: stomppy_client.py publish|consume DEST COUNT", status=64)
    mode, destination, count = argv[1], argv[2], int(argv[3])
    host = os.environ.get("STOMP_HOST", "127.0.0.1")
    port = int(os.environ.get("STOMP_PORT", "61613"))
    timeout = float(os.environ.get("STOMP_TIMEOUT", "20"))
    deadline = time.monotonic() + timeout

    listener = Listener(count)
    conn = stomp.Connection12(host_and_ports=[(host, port)], vhost="/", heartbeats=(0, 0),
                              reconnect_attempts_max=1)
    conn.set_listener("interop", listener)
    try:
        conn.connect(
            username=os.environ.get("STOMP_LOGIN"),
            passcode=os.environ.get("STOMP_PASSCODE"),
            wait=True,
        )
    except Exception as error:  # noqa: BLE001 - any failure is reported the same way
        fail("could not connect to %s:%d: %r" % (host, port, error))

    if mode == "publish":
        for index in range(1, count + 1):
            headers = {"receipt": "last-send"} if index == count else {}
            conn.send(destination=destination, body="python message %d ✓" % index,
                      content_type="text/plain", headers=headers)
        if count > 0 and not listener.wait_for(lambda: "last-send" in listener.receipts, deadline):
            fail("timed out after %.0f s waiting for the receipt of the last SEND" % timeout)
    else:
        conn.subscribe(destination=destination, id="interop-1", ack="auto",
                       headers={"receipt": "subscribed"})
        if not listener.wait_for(lambda: "subscribed" in listener.receipts, deadline):
            fail("timed out after %.0f s waiting for the SUBSCRIBE receipt" % timeout)
        print("READY", file=sys.stderr, flush=True)
        if not listener.wait_for(lambda: len(listener.bodies) >= count, deadline):
            fail("timed out after %.0f s: received %d of %d messages"
                 % (timeout, len(listener.bodies), count))
    try:
        conn.disconnect()
    except Exception:  # noqa: BLE001 - the work is done; a failed goodbye does not matter
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
