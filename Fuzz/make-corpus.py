#!/usr/bin/env python3
"""Writes the seed corpus under Fuzz/Corpus/<Target>/ from the STOMP 1.2 specification's
examples and the gateway's documented formats (docs/BROWSER-PUSH.md). Run from Fuzz/."""
import base64, hashlib, hmac, json, os

HERE = os.path.dirname(os.path.abspath(__file__))

def b(s):
    return s.encode("utf-8") if isinstance(s, str) else s

# STOMP 1.2 specification examples and variations.
FRAMES = [
    "CONNECT\naccept-version:1.2\nhost:stomp.github.org\n\n\0",
    "STOMP\naccept-version:1.0,1.1,1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:10000,10000\n\n\0",
    "CONNECTED\nversion:1.2\nheart-beat:0,0\nserver:Apache/1.3.9\nsession:s1\n\n\0",
    "CONNECT\naccept-version:1.0\nhost:gw\n\n\0SEND\ndestination:/queue/a\n\nhello\0",
    "CONNECT\naccept-version:1.1\nhost:gw\n\n\0SEND\ndestination:/queue/a\nx:a\\cb\\\\c\\nd\n\nbody\0",
    "SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a\n\0",
    "SEND\ndestination:/queue/a\ncontent-type:application/octet-stream\ncontent-length:5\n\na\0b\0c\0",
    "SEND\ndestination:/queue/a\nreceipt:message-12345\n\nhello queue a\0",
    "SEND\ndestination:/queue/a\ntransaction:tx1\ncontent-length:0\n\n\0",
    "SUBSCRIBE\nid:0\ndestination:/queue/foo\nack:client\n\n\0",
    "SUBSCRIBE\nid:1\ndestination:/topic/orders.*\nack:client-individual\n\n\0",
    "SUBSCRIBE\nid:2\ndestination:/topic/**\nack:auto\nsince:k3f9a2-17\n\n\0",
    "UNSUBSCRIBE\nid:0\n\n\0",
    "ACK\nid:12345\ntransaction:tx1\n\n\0",
    "NACK\nid:12345\n\n\0",
    "BEGIN\ntransaction:tx1\n\n\0",
    "COMMIT\ntransaction:tx1\n\n\0",
    "ABORT\ntransaction:tx1\n\n\0",
    "DISCONNECT\nreceipt:77\n\n\0",
    "RECEIPT\nreceipt-id:77\n\n\0",
    "MESSAGE\nsubscription:0\nmessage-id:007\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a\0",
    "MESSAGE\nsubscription:0\nmessage-id:k3f9a2-18\ndestination:/topic/a\nack:7\ncontent-length:3\n\n\0\0\0\0",
    "ERROR\nreceipt-id:message-12345\ncontent-type:text/plain\ncontent-length:170\nmessage:malformed frame received\n\n" + "The message:\n-----\nMESSAGE\ndestined:/queue/a\nreceipt:message-12345\n\nHello queue a!\n-----\nDid not contain a destination header, which is REQUIRED\nfor message propagation.\n" + "\0",
    "\n\n\r\n",
    "SEND\r\ndestination:/queue/a\r\nfoo:bar\\r\\n\r\n\r\nwindows\0\n",
    "SEND\ndestination:/queue/a\nfoo:1\nfoo:2\n\n\0",
    "SEND\ndestination:/queue/a\ncontent-length:  3 \n\nabc\0",
]

def write(target, name, data):
    folder = os.path.join(HERE, "Corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(b(data))

# FuzzSTOMPParser: config byte (version: learn; default limits), 2 seed bytes, stream.
for i, frame in enumerate(FRAMES):
    write("FuzzSTOMPParser", f"spec-{i:02d}", b"\x00\x01\x02" + b(frame))
    write("FuzzSTOMPParser", f"spec-small-{i:02d}", bytes([0x07, 40, 4, 64, 200, 3, 9]) + b(frame))
write("FuzzSTOMPParser", "all-frames", b"\x00\x05\x07" + b"".join(b(f) for f in FRAMES))

# FuzzSTOMPRoundTrip: command index, version index, header count, then per header
# (name length, name, value length, value), then the body.
COMMANDS = ["CONNECT", "STOMP", "CONNECTED", "SEND", "SUBSCRIBE", "UNSUBSCRIBE", "ACK", "NACK", "BEGIN", "COMMIT", "ABORT", "DISCONNECT", "MESSAGE", "RECEIPT", "ERROR"]
def roundtrip(command, version, headers, body):
    out = bytes([COMMANDS.index(command), version, len(headers)])
    for name, value in headers:
        out += bytes([len(b(name))]) + b(name) + bytes([len(b(value))]) + b(value)
    return out + b(body)
RT = [
    ("SEND", 2, [("destination", "/queue/a"), ("receipt", "r:1\n\r\\x")], "hello\0world"),
    ("CONNECT", 2, [("accept-version", "1.2"), ("host", "a\nb\rc"), ("login", "a:b")], ""),
    ("MESSAGE", 1, [("subscription", "0"), ("x\\y", "\r\n:")], "b"),
    ("MESSAGE", 0, [("a:b", "c"), ("content-length", "9")], "\0\0"),
    ("ERROR", 2, [("message", "bad\0nul"), ("", "")], ""),
    ("SUBSCRIBE", 2, [("id", "0"), ("destination", "/topic/a.*"), ("ack", "client-individual")], ""),
    ("CONNECTED", 1, [("version", "1.1"), ("heart-beat", "0,0")], ""),
]
for i, args in enumerate(RT):
    write("FuzzSTOMPRoundTrip", f"frame-{i:02d}", roundtrip(*args))

# FuzzBrowserSTOMP: flags (1: upgrade token, 2: CONNECT first, 4: raw WebSocket bytes,
# 8: binary, 16: fragmented, 32: 7-byte reads), then messages separated by 0xFF.
SESSIONS = [
    (0, ["CONNECT\naccept-version:1.2\nhost:gw\n\n\0", "SUBSCRIBE\nid:0\ndestination:/topic/public.a\nreceipt:r1\n\n\0", "DISCONNECT\nreceipt:77\n\n\0"]),
    (0, ["CONNECT\naccept-version:1.0,1.1,1.2\npasscode:good.token.x\nheart-beat:1000,1000\n\n\0SUBSCRIBE\nid:s\ndestination:/topic/orders.42\nsince:all\n\n\0"]),
    (1, ["STOMP\naccept-version:1.1\nhost:gw\n\n\0", "SUBSCRIBE\nid:1\ndestination:/topic/a\nsince:abc-5\nreceipt:x\\ny\n\n\0", "UNSUBSCRIBE\nid:1\nreceipt:u\n\n\0"]),
    (0, ["CONNECT\naccept-version:1.0\nAuthorization:Bearer good.a.b\n\n\0", "SEND\ndestination:/queue/fuzz.a\nreceipt:r\nx:y\n\nhello\0", "SEND\ndestination:/queue/fuzz.refused\nreceipt:q\n\n\0"]),
    (2, ["SEND\ndestination:/gateway/token\nreceipt:t\n\ngood.new.token\0", "SUBSCRIBE\nid:1\ndestination:/queue/fuzz.b\n\n\0", "SUBSCRIBE\nid:1\ndestination:/queue/fuzz.c\n\n\0"]),
    (2, ["BEGIN\ntransaction:t\n\n\0", "ACK\nid:1\nreceipt:a\n\n\0"]),
    (0, ["SEND\ndestination:/queue/a\n\nbefore connect\0"]),
    (0, ["CONNECT\naccept-version:2.0\n\n\0"]),
    (0, ["CONNECT\naccept-version:1.2\npasscode:expired.a.b\n\n\0"]),
    (0, ["FOO\n\n\0"]),
    (2, ["SUBSCRIBE\nid:1\ndestination:/topic/a\nsince:zz-99999999999999999999\n\n\0"]),
    (2, ["SUBSCRIBE\ndestination:/topic/a\n\n\0", "\n", "SEND\ndestination:/topic/chat.x\ntransaction:t\n\n\0"]),
    (18, ["CONNECT\naccept-version:1.2\nhost:gw\n\n\0SUBSCRIBE\nid:1\ndestination:/topic/x\n\n\0"]),
    (34, ["SUBSCRIBE\nid:a\ndestination:/topic/retained.x\nsince:latest\n\n\0", "SUBSCRIBE\nid:b\ndestination:/topic/public.b\nsince:live\n\n\0"]),
    (10, ["SEND\ndestination:/queue/fuzz.bin\ncontent-length:3\n\n\0\1\2\0"]),
]
for i, (flags, messages) in enumerate(SESSIONS):
    write("FuzzBrowserSTOMP", f"session-{i:02d}", bytes([flags]) + b"\xff".join(b(m) for m in messages))
# Raw WebSocket: a masked text frame, a ping and a close.
def masked(opcode, payload, fin=True):
    payload = b(payload); mask = b"\x01\x02\x03\x04"
    head = bytes([(0x80 if fin else 0) | opcode, 0x80 | len(payload)])
    return head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
write("FuzzBrowserSTOMP", "raw-00", bytes([4]) + masked(1, "CONNECT\naccept-version:1.2\n\n\0") + masked(9, "ping") + masked(8, b"\x03\xe8bye"))
write("FuzzBrowserSTOMP", "raw-01", bytes([4]) + masked(1, "CONNECT\n", fin=False) + masked(0, "\n\0"))

# FuzzSSEResume: query, NUL, Last-Event-ID.
SSE = [
    ("destination=%2Ftopic%2Forders.42", "k3f9a2-17"),
    ("destination=/topic/a&destination=/topic/b&since=k3f9a2-17,k3f9a2-0", "k3f9a2-17,k3f9a2-0"),
    ("destination=/topic/a&since=all&access_token=a.b.c", ""),
    ("destination=/topic/a&since=live&heartbeat=event", "latest"),
    ("since=s1a2b3c4d-99999999999999999999", "s1a2b3c4d-18446744073709551615"),
    ("destination=%zz&x", "-1"),
    ("a=%F0%9F%98%80+b&c", "abc_DEF-0007"),
    ("destination=%0D%0Ax", "k3f9a2-17\r\nevil: 1"),
]
for i, (query, last) in enumerate(SSE):
    write("FuzzSSEResume", f"resume-{i:02d}", b(query) + b"\0" + b(last))

# FuzzToken: mode 0 (any string), 1 (signed header NUL payload), 2 (claims).
SECRET = b"fuzzing-secret-0123456789abcdef-0123456789"
def b64(data):
    return base64.urlsafe_b64encode(b(data)).rstrip(b"=").decode()
def jwt(header, payload, secret=SECRET):
    signing = b64(json.dumps(header)) + "." + b64(json.dumps(payload))
    return signing + "." + b64(hmac.new(secret, signing.encode(), hashlib.sha256).digest())
claims = {"sub": "user-1", "exp": 1800003600, "subscribe": ["/topic/orders.42", "/topic/**"], "publish": ["/queue/a"]}
TOKENS = [
    b"\x00" + b(jwt({"alg": "HS256", "typ": "JWT"}, claims)),
    b"\x00" + b(b64(json.dumps({"alg": "none"})) + "." + b64(json.dumps(claims)) + "."),
    b"\x00" + b(jwt({"alg": "HS512"}, claims)),
    b"\x00" + b(jwt({"alg": "HS256"}, claims, secret=b"x" * 32)),
    b"\x00not.a.jwt",
    b"\x00" + b(b64("{") + ".e30.x"),
    b"\x01" + b(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k"})) + b"\0" + b(json.dumps(claims)),
    b"\x01" + b(json.dumps({"alg": "HS256"})) + b"\0" + b(json.dumps({"exp": "soon", "subscribe": "x"})),
    b"\x01" + b(json.dumps({"alg": "HS256"})) + b"\0" + b(json.dumps({"exp": 1e308, "nbf": -1e308, "subscribe": ["/topic/ord*"]})),
    b"\x02\x7f" + b"\x05user1" + b"\x80" + b"\x10" + b"\x03aud" + b"\x02/topic/a.*\0/topic/**\0" + b"/queue/x\0" + b"1800000100\0",
]
for i, token in enumerate(TOKENS):
    write("FuzzToken", f"token-{i:02d}", token)

# FuzzDestinationPattern: pattern, NUL, destination.
PATTERNS = [
    ("/topic/orders.*", "/topic/orders.42"), ("/topic/orders.*", "/topic/orders.42.items"),
    ("/topic/**", "/topic/a/b.c"), ("/topic/**", "/topic/"), ("/topic/ord*", "/topic/orders"),
    ("/queue/a", "/queue/a"), ("**", "a.b"), ("*.*", "a/b"), ("/topic/*/x", "/topic//x"),
    ("/topic/caf\u00e9", "/topic/cafe\u0301"), ("/topic/*", "/topic/a\u0301"), ("/a.**", "/a/b"),
    ("/topic/**/x", "/topic/a/x"), ("/topic/\x01", "/topic/\x01"),
]
for i, (pattern, destination) in enumerate(PATTERNS):
    write("FuzzDestinationPattern", f"pattern-{i:02d}", b(pattern) + b"\0" + b(destination))
