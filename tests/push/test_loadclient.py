"""10. The independent C client (Benchmarks/loadclient, libwebsockets) against /stomp.

It runs unmodified: the token goes in CONNECT's passcode (--passcode), its
`login:guest` and `host:/` are ignored by the gateway, its parser already keeps a
carry buffer across WebSocket fragments, and the Origin libwebsockets sends
(`http://127.0.0.1`) is in the test config's http.allowed_origins.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import threading
import time

import pytest

from pushlib import REPO, admin_token

LOADCLIENT = REPO / "Benchmarks" / "loadclient"
CONNS = 4
N_MSG = 5


def _pkg_ok() -> bool:
    return shutil.which("pkg-config") is not None and subprocess.run(
        ["pkg-config", "--exists", "libwebsockets", "libuv"], capture_output=True
    ).returncode == 0


@pytest.fixture(scope="session")
def loadclient_bin():
    require = os.environ.get("STOMP_TEST_REQUIRE_BROKERS") == "1"
    if not _pkg_ok() and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        r = subprocess.run(["apt-get", "install", "-y", "-q", "libwebsockets-dev", "libuv1-dev"],
                           capture_output=True, text=True, timeout=600, env=env)
        if r.returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True, timeout=600, env=env)
            subprocess.run(["apt-get", "install", "-y", "-q", "libwebsockets-dev", "libuv1-dev"],
                           capture_output=True, timeout=600, env=env)
    if not _pkg_ok() or not shutil.which(os.environ.get("CC", "gcc")):
        msg = "libwebsockets-dev / libuv1-dev / gcc not available to build Benchmarks/loadclient"
        if require:
            pytest.fail(msg + " (STOMP_TEST_REQUIRE_BROKERS=1)", pytrace=False)
        pytest.skip(msg)
    r = subprocess.run(["make", "-C", str(LOADCLIENT), "stomp_ws_load"], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, f"make -C Benchmarks/loadclient stomp_ws_load failed:\n{r.stdout}\n{r.stderr}"
    return LOADCLIENT / "stomp_ws_load"


def _lines(proc, q):
    for line in iter(proc.stdout.readline, ""):
        q.put(line.rstrip("\n"))
    q.put(None)


def test_c_loadclient_receives_published_messages(gateway, feed, loadclient_bin):
    f = feed()
    args = [
        str(loadclient_bin),
        "--url", f"ws://127.0.0.1:{gateway.http_port}/stomp",
        "--connections", str(CONNS),
        "--destination", f.destination,
        "--duration", "3",
        "--setup-timeout", "10",
        "--passcode", admin_token(),
        "--batch", str(CONNS),
        "--quiet",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    q: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(proc, q), daemon=True).start()
    out: list[str] = []
    try:
        deadline = time.monotonic() + 15
        ready = None
        while ready is None and time.monotonic() < deadline:
            try:
                line = q.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            out.append(line)
            if line.startswith("READY"):
                ready = line
        assert ready, "the C client never printed READY:\n" + "\n".join(out) + "\n" + (proc.stderr.read() if proc.poll() is not None else "")
        assert f"subscribed={CONNS}" in ready, ready
        f.publish([f"ts={time.time_ns()} order-{i}" for i in range(N_MSG)], content_type="text/plain")
        proc.wait(timeout=15)
        while True:
            try:
                line = q.get(timeout=2)
            except queue.Empty:
                break
            if line is None:
                break
            out.append(line)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    text = "\n".join(out)
    err = proc.stderr.read()
    summary = {k: v for k, v in re.findall(r"(\S+?)=(\S+)", " ".join(l for l in out if l.startswith("SUMMARY")))}
    assert proc.returncode == 0, f"C client exit {proc.returncode}\n{text}\n{err}"
    assert summary.get("stomp_errors") == "0", text
    # Each connection: the current status on subscribing (the holder's last probe), then the 5.
    per_conn = N_MSG + 1
    assert summary.get("deliveries") == str(CONNS * per_conn), f"expected {CONNS * per_conn} deliveries\n{text}\n{err}"
    assert summary.get("per_conn_min") == str(per_conn) and summary.get("per_conn_max") == str(per_conn), text
