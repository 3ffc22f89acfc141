"""HTTPS/WSS on the gateway's own listener (http.tls_certificate_file / http.tls_key_file)."""

from __future__ import annotations

import asyncio
import http.client
import ssl
import subprocess

import websockets

from pushlib import Gateway, base_config


def test_sse_and_stomp_over_tls(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost"],
        check=True, capture_output=True,
    )
    config = base_config().replace("http:\n", f"http:\n  tls_certificate_file: {cert}\n  tls_key_file: {key}\n", 1)
    gw = Gateway("embedded", tmp_path / "tls", config, name="tls")
    try:
        _start(gw)
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        c = http.client.HTTPSConnection("127.0.0.1", gw.http_port, context=context, timeout=5)
        c.request("GET", "/events?destination=/topic/public.tls")
        r = c.getresponse()
        assert r.status == 200 and r.getheader("content-type", "").startswith("text/event-stream")
        assert r.fp.readline().strip()  # the first chunk's size line
        c.close()

        async def stomp():
            async with websockets.connect(f"wss://127.0.0.1:{gw.http_port}/stomp", subprotocols=["v12.stomp"], ssl=context) as ws:
                await ws.send("CONNECT\naccept-version:1.2\nhost:shop\n\n\x00")
                return await asyncio.wait_for(ws.recv(), 5)

        frame = asyncio.run(stomp())
        assert frame.startswith("CONNECTED\n"), frame
    finally:
        if gw.proc and gw.proc.poll() is None:
            gw.proc.terminate()
            assert gw.proc.wait(15) == 0


def _start(gw: Gateway) -> None:
    """Gateway.start checks /readyz over plain HTTP; with TLS, wait for the announce line only."""
    import os
    import re
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith("STOMP_GATEWAY_")}
    gw.proc = subprocess.Popen(
        [gw.binary, "serve", "--config", str(gw.config_path), "--http-port", "0", "--broker-port", "0"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = gw.proc.stdout.readline()
        m = re.search(r"HTTP listening on https://[^:]+:(\d+)", line or "")
        if m:
            gw.http_port = int(m.group(1))
            time.sleep(0.5)
            return
    raise AssertionError("the TLS gateway did not announce its listener")
