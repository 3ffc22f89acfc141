"""5. Authorization: tokens, grants, wildcards, public destinations, Origin — over SSE and WS.

Auth does not depend on the broker, so these run against the embedded gateway (and
the public-key-only gateway for RS256/ES256)."""

from __future__ import annotations

import re
import time

import jwt
import pytest
from websockets.exceptions import InvalidStatus

import pushlib
from pushlib import (
    ALLOWED_ORIGIN,
    BAD_ORIGIN,
    SSEClient,
    StompWS,
    WSClosed,
    alg_none_token,
    claims,
    hs256_by_hand,
    mint,
    uid,
)

ORDER42 = "/topic/orders.42"

# name -> (token factory, HTTP status, words one of which the reason must contain)
TOKEN_CASES = {
    "wrong_signature": (lambda: mint(subscribe=[ORDER42], key="another-secret-of-more-than-32-bytes!!"), 401, ["signature"]),
    "alg_none": (lambda: alg_none_token(claims(subscribe=[ORDER42])), 401, ["none", "alg", "signature", "unsigned"]),
    "expired": (lambda: mint(subscribe=[ORDER42], exp=time.time() - 120), 401, ["expired"]),
    "nbf_in_future": (lambda: mint(subscribe=[ORDER42], nbf=time.time() + 600), 401, ["nbf", "not yet", "not valid", "before"]),
    "wrong_audience": (lambda: mint(subscribe=[ORDER42], aud="other-shop"), 401, ["aud"]),
    "wrong_issuer": (lambda: mint(subscribe=[ORDER42], iss="https://evil.example"), 401, ["iss"]),
    "no_exp": (lambda: jwt.encode({k: v for k, v in claims(subscribe=[ORDER42]).items() if k != "exp"}, pushlib.HMAC_SECRET, algorithm="HS256"), 401, ["exp"]),
    "malformed": (lambda: "aaaa.bbbb.cccc", 401, []),
}


def names_reason(message: str, words) -> bool:
    m = message.lower()
    return not words or any(w.lower() in m for w in words)


def assert_error_json(c: SSEClient, status: int, words=(), must_contain: str | None = None) -> dict:
    assert c.status == status, f"expected HTTP {status}, got {c.status}: {c.body[:300]!r}"
    ctype = c.headers.get("content-type", "").lower()
    assert ctype.startswith("application/json"), f"error body must be JSON, content-type {ctype!r}"
    body = c.json_body()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("message"), str) and body["message"], body
    assert names_reason(body["message"], words), f"message should say why ({words}): {body}"
    if must_contain:
        assert must_contain in body["message"], f"message should name {must_contain!r}: {body}"
    return body


def ws_denied(w: StompWS, token: str | None, destination: str, words=(), must_contain: str | None = None) -> str:
    """CONNECT (token as passcode) then SUBSCRIBE: one of them must get an ERROR, then the close."""
    f = w.connect_stomp(token)
    if f.command == "CONNECTED":
        w.subscribe(destination, receipt="r-sub")
        try:
            f = w.recv_frame(5)
        except (TimeoutError, WSClosed) as e:
            raise AssertionError(f"SUBSCRIBE to {destination} should be refused with ERROR, got {e!r}") from None
    assert f.command == "ERROR", f"expected ERROR, got {f!r}"
    msg = f.headers.get("message", "")
    assert msg, f"ERROR without a message header: {f!r}"
    assert names_reason(msg + " " + f.text, words), f"ERROR should say why ({words}): {f!r}"
    if must_contain:
        assert must_contain in msg, f"ERROR message should name {must_contain!r}: {f!r}"
    w.wait_closed(5)
    return msg


def ws_allowed(w: StompWS, token: str | None, destination: str, via: str = "passcode") -> None:
    f = w.connect_stomp(token, via=via)
    assert f.command == "CONNECTED", f
    w.subscribe(destination, receipt="r-ok")
    f = w.recv_frame(5)
    while f.command == "MESSAGE":  # a retained status may come before the receipt
        f = w.recv_frame(5)
    assert f.command == "RECEIPT" and f.headers.get("receipt-id") == "r-ok", f


# ----------------------------------------------------------------------------- token problems


def test_sse_no_token_on_non_public_is_401(embedded_gateway, sse):
    assert_error_json(sse(ORDER42), 401, ["token"])


def test_ws_no_token_on_non_public_is_refused(embedded_gateway, ws):
    ws_denied(ws(), None, ORDER42)


@pytest.mark.parametrize("case", list(TOKEN_CASES) + ["not_jwt_shaped"])
def test_sse_bad_token_is_401(embedded_gateway, sse, case):
    make, status, words = TOKEN_CASES[case] if case in TOKEN_CASES else ((lambda: "not-a-jwt"), 401, [])
    assert_error_json(sse(ORDER42, token=make()), status, words)


@pytest.mark.parametrize("case", list(TOKEN_CASES))
def test_ws_bad_token_gets_error_on_connect(embedded_gateway, ws, case):
    make, _, words = TOKEN_CASES[case]
    w = ws()
    f = w.connect_stomp(make())
    assert f.command == "ERROR", f"CONNECT with a bad token ({case}) must be answered with ERROR, got {f!r}"
    msg = f.headers.get("message", "")
    assert msg and names_reason(msg + " " + f.text, words), f"ERROR should say why ({words}): {f!r}"
    w.wait_closed(5)


def test_ws_passcode_not_shaped_like_a_jwt_gets_public_grants(embedded_gateway, ws):
    """A client written for a broker sends passcode:guest: not a token, public grants only."""
    ws_allowed(ws(), "guest", f"/topic/public.{uid()}")
    ws_denied(ws(), "guest", ORDER42, must_contain=ORDER42)


# ----------------------------------------------------------------------------- grants and wildcards

GRANT_CASES = [
    # grant, destination, allowed?
    (["/topic/orders.42"], "/topic/orders.42", True),
    (["/topic/orders.42"], "/topic/orders.43", False),
    (["/topic/orders.42"], "/topic/orders.420", False),
    (["/topic/orders.42"], "/topic/Orders.42", False),
    (["/topic/orders.*"], "/topic/orders.42", True),
    (["/topic/orders.*"], "/topic/orders.42.items", False),
    (["/topic/orders.*"], "/topic/ordersX", False),
    (["/topic/orders.*"], "/topic/orders", False),
    (["/topic/orders.**"], "/topic/orders.42", True),
    (["/topic/orders.**"], "/topic/orders.42.items", True),
    (["/topic/orders.**"], "/topic/ordersX", False),
    (["/topic/orders.**"], "/topic/orders", False),
]


@pytest.mark.parametrize("grant,dest,allowed", GRANT_CASES, ids=[f"{g[0]}->{d}" for g, d, _ in GRANT_CASES])
def test_sse_grants(embedded_gateway, sse, grant, dest, allowed):
    c = sse(dest, token=mint(subscribe=grant))
    if allowed:
        assert c.status == 200, (c.status, c.body)
    else:
        assert_error_json(c, 403, must_contain=dest)


@pytest.mark.parametrize("grant,dest,allowed", [c for c in GRANT_CASES if c[1] in ("/topic/orders.43", "/topic/orders.42.items", "/topic/ordersX")],
                         ids=lambda v: str(v))
def test_ws_grants(embedded_gateway, ws, grant, dest, allowed):
    if allowed:
        ws_allowed(ws(), mint(subscribe=grant), dest)
    else:
        ws_denied(ws(), mint(subscribe=grant), dest, must_contain=dest)


def test_subscribe_grant_is_not_a_publish_grant(embedded_gateway, ws):
    d = f"/topic/orders.{uid()}"
    w = ws()
    assert w.connect_stomp(mint(subscribe=[d])).command == "CONNECTED"
    w.send_frame("SEND", [("destination", d), ("receipt", "r-send")], "x")
    f = w.recv_frame(5)
    assert f.command == "ERROR" and d in f.headers.get("message", ""), f


def test_public_destination_without_token(embedded_gateway, sse, ws):
    d = f"/topic/public.{uid()}"
    c = sse(d)
    assert c.status == 200, (c.status, c.body)
    ws_allowed(ws(), None, d)


# ----------------------------------------------------------------------------- token transports (WS)


def test_ws_token_on_upgrade_query(embedded_gateway, ws):
    d = f"/topic/orders.{uid()}"
    ws_allowed(ws(query_token=mint(subscribe=[d])), None, d)


def test_ws_token_on_upgrade_authorization_header(embedded_gateway, ws):
    d = f"/topic/orders.{uid()}"
    ws_allowed(ws(upgrade_headers={"Authorization": f"Bearer {mint(subscribe=[d])}"}), None, d)


def test_ws_token_in_connect_authorization_header(embedded_gateway, ws):
    d = f"/topic/orders.{uid()}"
    ws_allowed(ws(), mint(subscribe=[d]), d, via="authorization")


def test_ws_connect_token_wins_over_upgrade_token(embedded_gateway, ws):
    a, b = f"/topic/orders.{uid()}", f"/topic/orders.{uid()}"
    ws_allowed(ws(query_token=mint(subscribe=[a])), mint(subscribe=[b]), b)


# ----------------------------------------------------------------------------- Origin


def test_sse_bad_origin_is_403(embedded_gateway, sse):
    d = f"/topic/public.{uid()}"
    assert_error_json(sse(d, origin=BAD_ORIGIN), 403)
    assert_error_json(sse(f"/topic/orders.{uid()}", token=pushlib.admin_token(), origin=BAD_ORIGIN), 403)


def test_sse_allowed_origin_ok(embedded_gateway, sse):
    assert sse(f"/topic/public.{uid()}", origin=ALLOWED_ORIGIN).status == 200


def test_ws_bad_origin_is_403_on_upgrade(embedded_gateway):
    with pytest.raises(InvalidStatus) as ei:
        StompWS(embedded_gateway, origin=BAD_ORIGIN).close()
    assert ei.value.response.status_code == 403, ei.value


def test_ws_allowed_origin_ok(embedded_gateway, ws):
    w = ws(origin=ALLOWED_ORIGIN)
    assert w.subprotocol == "v12.stomp"
    assert w.connect_stomp(None).command == "CONNECTED"


# ----------------------------------------------------------------------------- public keys (RS256 / ES256)


def _keyed_claims(sub):
    return claims(subscribe=sub, aud=None, iss=None)


def test_rs256_and_es256_accepted(keyed_gateway, sse, ws):
    gw = keyed_gateway.gateway
    d = f"/topic/orders.{uid()}"
    rs = jwt.encode(_keyed_claims([d]), keyed_gateway.rsa_private, algorithm="RS256")
    es = jwt.encode(_keyed_claims([d]), keyed_gateway.ec_private, algorithm="ES256")
    for tok in (rs, es):
        c = sse(d, token=tok, gw=gw)
        assert c.status == 200, (jwt.get_unverified_header(tok), c.status, c.body)
        ws_allowed(ws(gw=gw), tok, d)


def test_hs256_signed_with_public_key_is_refused(keyed_gateway, sse, ws):
    gw = keyed_gateway.gateway
    d = f"/topic/orders.{uid()}"
    for pem in (keyed_gateway.rsa_public_pem, keyed_gateway.ec_public_pem):
        tok = hs256_by_hand(_keyed_claims([d]), pem)
        assert_error_json(sse(d, token=tok, gw=gw), 401)
        w = ws(gw=gw)
        f = w.connect_stomp(tok)
        assert f.command == "ERROR", f"HS256 signed with a public key must be refused: {f!r}"


def test_keyed_gateway_refuses_other_keys_and_none(keyed_gateway, sse):
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    gw = keyed_gateway.gateway
    d = f"/topic/orders.{uid()}"
    other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_ec = ec.generate_private_key(ec.SECP256R1())
    for tok in (
        jwt.encode(_keyed_claims([d]), other_rsa, algorithm="RS256"),
        jwt.encode(_keyed_claims([d]), other_ec, algorithm="ES256"),
        alg_none_token(_keyed_claims([d])),
        mint(subscribe=[d], aud=None, iss=None),  # HS256: no secret configured
    ):
        assert_error_json(sse(d, token=tok, gw=gw), 401)


# ----------------------------------------------------------------------------- `stomp-gateway token`


def test_token_command_mints_a_working_token(embedded_gateway, sse):
    d = f"/topic/orders.{uid()}"
    p = f"/queue/orders.commands.{uid()}"
    r = embedded_gateway.token_cli("--subscribe", d, "--publish", p, "--ttl", "120")
    assert r.returncode == 0, f"token command failed ({r.returncode}): {r.stderr}"
    found = re.findall(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", r.stdout)
    assert found, f"no JWT in the output: {r.stdout!r}"
    tok = found[-1]
    c = jwt.decode(tok, pushlib.HMAC_SECRET, algorithms=["HS256"], options={"verify_aud": False})
    assert d in c.get("subscribe", []), c
    assert p in c.get("publish", []), c
    assert abs(c["exp"] - (time.time() + 120)) < 15, c
    s = sse(d, token=tok)
    assert s.status == 200, (
        f"the gateway refused a token its own `token` command minted with the same config: {s.status} {s.body!r}; claims {c}"
    )
    assert_error_json(sse(f"/topic/orders.{uid()}", token=tok), 403)
