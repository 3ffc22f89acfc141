"""WebSocket protocol rules on /stomp (shared with the diagnostics echo route that
scripts/autobahn.sh tests): the echo route is off by default; invalid UTF-8 is refused
with 1007, pings are answered, close codes are checked and echoed. Raw frames over a
socket, so that what a library would refuse to send can be sent."""

from __future__ import annotations

import base64
import os
import socket
import struct

import pytest


def _handshake(gw, path: str, protocol: str | None = "v12.stomp") -> tuple[socket.socket, bytes]:
    """Opens a WebSocket by hand; returns the socket and the head of the response."""
    sock = socket.create_connection((gw.http_host, gw.http_port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {gw.http_host}:{gw.http_port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if protocol:
        lines.append(f"Sec-WebSocket-Protocol: {protocol}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return sock, head


def _frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    mask = os.urandom(4)
    first = (0x80 if fin else 0) | opcode
    if len(payload) < 126:
        header = struct.pack("!BB", first, 0x80 | len(payload))
    elif len(payload) <= 0xFFFF:
        header = struct.pack("!BBH", first, 0x80 | 126, len(payload))
    else:
        header = struct.pack("!BBQ", first, 0x80 | 127, len(payload))
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _read_frames(sock: socket.socket, until_opcode: int, timeout: float = 5) -> list[tuple[int, bytes]]:
    """Server frames up to and including one with `until_opcode` (or until the socket closes)."""
    sock.settimeout(timeout)
    data = b""
    frames: list[tuple[int, bytes]] = []
    while True:
        while len(data) >= 2:
            length = data[1] & 0x7F
            offset = 2
            if length == 126:
                if len(data) < 4:
                    break
                length, offset = struct.unpack("!H", data[2:4])[0], 4
            elif length == 127:
                if len(data) < 10:
                    break
                length, offset = struct.unpack("!Q", data[2:10])[0], 10
            if len(data) < offset + length:
                break
            frames.append((data[0] & 0x0F, data[offset : offset + length]))
            data = data[offset + length :]
            if frames[-1][0] == until_opcode:
                return frames
        chunk = sock.recv(65536)
        if not chunk:
            return frames
        data += chunk


def _close_code(frames: list[tuple[int, bytes]]) -> int | None:
    closes = [payload for opcode, payload in frames if opcode == 0x8]
    return struct.unpack("!H", closes[-1][:2])[0] if closes and len(closes[-1]) >= 2 else None


def _closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(5)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return True


def test_diagnostics_echo_is_404_when_off(embedded_gateway):
    sock, head = _handshake(embedded_gateway, "/diagnostics/echo", protocol=None)
    sock.close()
    assert head.startswith(b"HTTP/1.1 404"), head[:200]


def test_stomp_refuses_invalid_utf8_with_1007(embedded_gateway):
    sock, head = _handshake(embedded_gateway, "/stomp")
    try:
        assert head.startswith(b"HTTP/1.1 101"), head[:200]
        # CONNECT, then a text message whose UTF-8 is invalid (an overlong '/').
        sock.sendall(_frame(0x1, b"CONNECT\naccept-version:1.2\nhost:x\n\n\x00"))
        sock.sendall(_frame(0x1, b"SEND\ndestination:/topic/public.x\n\n\xc0\xaf\x00"))
        frames = _read_frames(sock, until_opcode=0x8)
        assert _close_code(frames) == 1007, frames
        assert _closed_by_server(sock)
    finally:
        sock.close()


def test_stomp_refuses_fragmented_invalid_utf8_before_the_end(embedded_gateway):
    sock, head = _handshake(embedded_gateway, "/stomp")
    try:
        assert head.startswith(b"HTTP/1.1 101"), head[:200]
        sock.sendall(_frame(0x1, b"SEND\ndestination:/topic/x\n\n\xed\xa0\x80", fin=False))  # a surrogate; no final fragment
        assert _close_code(_read_frames(sock, until_opcode=0x8)) == 1007
    finally:
        sock.close()


def test_stomp_answers_pings_and_echoes_the_close_code(embedded_gateway):
    sock, head = _handshake(embedded_gateway, "/stomp")
    try:
        assert head.startswith(b"HTTP/1.1 101"), head[:200]
        sock.sendall(_frame(0x9, b"are you there"))
        assert _read_frames(sock, until_opcode=0xA) == [(0xA, b"are you there")]
        sock.sendall(_frame(0x8, struct.pack("!H", 4001) + b"bye"))
        assert _close_code(_read_frames(sock, until_opcode=0x8)) == 4001
        assert _closed_by_server(sock)
    finally:
        sock.close()


@pytest.mark.parametrize("code", [1005, 1006, 999, 5000])
def test_stomp_refuses_close_codes_not_for_the_wire(embedded_gateway, code):
    sock, head = _handshake(embedded_gateway, "/stomp")
    try:
        assert head.startswith(b"HTTP/1.1 101"), head[:200]
        sock.sendall(_frame(0x8, struct.pack("!H", code)))
        assert _close_code(_read_frames(sock, until_opcode=0x8)) == 1002
    finally:
        sock.close()


@pytest.mark.parametrize("fragments", [1, 2])
def test_stomp_refuses_messages_over_the_limit_with_1009(embedded_gateway, fragments):
    """http.max_frame_bytes (64 KiB here), in one frame or in fragments: a clean 1009 close."""
    sock, head = _handshake(embedded_gateway, "/stomp")
    try:
        assert head.startswith(b"HTTP/1.1 101"), head[:200]
        part = b"x" * (70_000 // fragments)
        frames = [_frame(0x2 if i == 0 else 0x0, part, fin=i == fragments - 1) for i in range(fragments)]
        sock.sendall(b"".join(frames))
        assert _close_code(_read_frames(sock, until_opcode=0x8)) == 1009
    finally:
        sock.close()
