"""4. Selector: messages whose headers do not match are acknowledged and skipped
(never POSTed) and counted in gateway_webhook_filtered_total."""

from __future__ import annotations

import json

from whlib import endpoint, route, uid, wait_for


def test_selector_skips_non_matching_messages(h, broker):
    rcv = h.receiver()
    src, dlq = h.queue("src"), h.queue("dlq")
    gw = h.gateway({"orders": route(src, {"crm": endpoint(rcv.url())}, dead_letter=dlq,
                                    selector={"type": ["paid", "shipped"], "region": "eu"})})
    cases = [
        ({"type": "paid", "region": "eu"}, True),
        ({"type": "created", "region": "eu"}, False),
        ({"type": "shipped", "region": "eu"}, True),
        ({"type": "paid", "region": "us"}, False),  # every listed header must match
        ({"type": "paid"}, False),  # a listed header missing
        ({"region": "eu"}, False),
        ({"type": "paid,shipped", "region": "eu"}, False),
        ({"type": "shipped", "region": "eu", "extra": "x"}, True),
    ]
    tag = uid()
    msgs = [(json.dumps({"i": i, "tag": tag}).encode(), hd) for i, (hd, _) in enumerate(cases)]
    h.publisher(gw).publish(src, msgs)
    want = [i for i, (_, ok) in enumerate(cases) if ok]
    skipped = len(cases) - len(want)
    rcv.wait_count(len(want), 10, "the matching messages")
    wait_for(lambda: gw.metric("gateway_webhook_filtered_total", route="orders") == skipped, 10,
             f"gateway_webhook_filtered_total == {skipped}")
    wait_for(lambda: gw.routes()["orders"]["unacknowledged"] == 0, 10, "every message (skipped ones too) acknowledged")
    rcv.quiet(0.3)
    got = sorted(r.json["i"] for r in rcv.snapshot())
    assert got == want, f"POSTed {got}, expected only {want}"
    rt = gw.routes()["orders"]
    assert rt["filtered"] == skipped, rt
    ep = rt["endpoints"][0]
    assert ep["attempts"] == len(want) and ep["dead_lettered"] == 0, ep
    gw.stop()
    gw.stopped_by_test = True
    if h.external_url:  # (the embedded broker ended with the gateway)
        # The skipped messages were acknowledged: nothing is left in the source queue.
        assert h.read_queue(src, quiet=0.5) == [], "skipped messages were left unacknowledged in the source queue"
        assert h.read_queue(dlq, quiet=0.2) == [], "skipped messages must not be dead-lettered"
