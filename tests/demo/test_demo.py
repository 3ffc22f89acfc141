"""The demo's story in a real Chromium: buy, the thank-you page at once, every status
of the order live, exactly once, in order — also across a gateway restart and the page
going offline — and the admin page."""

from __future__ import annotations

import json
import re
import time
import urllib.request

from conftest import ADMIN_KEY, HMAC_SECRET, screenshot

STATUSES = 5  # Order received, Payment authorised, Items reserved, Label created, Handed to the carrier


def buy(page, demo, name="Ada"):
    page.goto(f"{demo.url}/")
    page.fill("input[name=name]", name)
    started = time.time()
    page.click("#buy")
    page.wait_for_selector("#order-number")
    return page.inner_text("#order-number"), time.time() - started


def timeline(page):
    return page.eval_on_selector_all("#timeline li", "items => items.map(li => Number(li.dataset.seq))")


def wait_complete(page, timeout=40):
    page.wait_for_function(f"document.querySelectorAll('#timeline li').length >= {STATUSES}", timeout=timeout * 1000)
    time.sleep(0.5)  # anything late or duplicated would show now


def test_thank_you_page_shows_every_status_in_order(page, demo):
    order, elapsed = buy(page, demo)
    assert elapsed < 3, f"the thank-you page took {elapsed:.1f} s"
    assert re.fullmatch(r"\d+", order)
    assert "Ada" in page.inner_text("#note") or "Thank you" in page.inner_text("#note")
    assert page.eval_on_selector_all("#recommendations li", "items => items.length") == 3
    wait_complete(page)
    assert timeline(page) == [1, 2, 3, 4, 5]
    texts = page.eval_on_selector_all("#timeline li", "items => items.map(li => li.textContent)")
    assert "Order received" in texts[0] and "Handed to the carrier" in texts[-1]
    assert page.inner_text("#live") in ("live", "live again")
    screenshot(page, "thank-you")


def test_a_status_published_before_the_page_loaded_shows(page, demo):
    order, _ = buy(page, demo)
    # "Order received" was published (with the broker's receipt) before the answer.
    page.wait_for_selector("#timeline li[data-seq='1']", timeout=5000)
    # Reload after the pipeline finished: everything comes from the retained feed.
    wait_complete(page)
    page.reload()
    wait_complete(page)
    assert timeline(page) == [1, 2, 3, 4, 5]


def test_offline_and_back_shows_every_status_exactly_once(page, context, demo):
    buy(page, demo)
    page.wait_for_selector("#timeline li[data-seq='1']")
    context.set_offline(True)
    page.allow_console(r"ERR_INTERNET_DISCONNECTED|net::ERR|Failed to load resource")
    page.wait_for_function("document.querySelector('#live').className.includes('paused')", timeout=10000)
    time.sleep(1.5)
    context.set_offline(False)
    wait_complete(page)
    assert timeline(page) == [1, 2, 3, 4, 5]
    page.wait_for_function("document.querySelector('#live').textContent.startsWith('live')", timeout=10000)


def test_gateway_killed_and_restarted_mid_pipeline(page, split_demo):
    buy(page, split_demo)
    page.wait_for_selector("#timeline li[data-seq='1']")
    page.allow_console(r"net::ERR|Failed to load resource|EventSource")
    split_demo.restart_web(down_for=1.5)
    wait_complete(page, timeout=60)
    assert timeline(page) == [1, 2, 3, 4, 5]


def test_a_token_for_another_order_gets_nothing_and_the_page_says_why(page, demo):
    first, _ = buy(page, demo)
    other_token = page.get_attribute("main", "data-token")
    second, _ = buy(page, demo, name="Grace")
    proof = page.get_attribute("main", "data-proof")
    page.allow_console(r"403|Forbidden|Failed to load resource")
    page.goto(f"{demo.url}/demo/thank-you?order={second}&proof={proof}&token={other_token}")
    page.wait_for_selector("#problem:not([hidden])", timeout=15000)
    problem = page.inner_text("#problem")
    assert "not allowed" in problem or "forbidden" in problem.lower(), problem
    assert f"/topic/orders.{second}" in problem
    time.sleep(1.5)
    assert timeline(page) == []


def test_admin_page_shows_the_connection_and_webhook_deliveries(page, context, demo):
    buy(page, demo)
    wait_complete(page)
    admin = context.new_page()
    errors = []
    admin.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    admin.goto(demo.admin_url())
    admin.wait_for_function("Number(document.querySelector('#sse-count').textContent) >= 2", timeout=10000)  # the page and the admin page
    admin.wait_for_function(
        "[...document.querySelectorAll('#receiver-log li')].filter(li => li.textContent.includes('signature valid')).length >= 5",
        timeout=15000,
    )
    row = admin.locator("[data-route='demo-orders'] tr[data-endpoint='receiver']")
    assert "active" in row.inner_text()
    destinations = admin.eval_on_selector_all("#feeds tbody td:first-child", "cells => cells.map(c => c.textContent)")
    assert any(d.startswith("/topic/orders.") for d in destinations)
    screenshot(admin, "admin")
    assert errors == []


def test_admin_page_refuses_a_wrong_key(page, demo):
    page.allow_console(r"401|Unauthorized|Failed to load resource")
    page.goto(f"{demo.url}/admin#key=wrong-key-0123456789")
    page.wait_for_selector("#login:not([hidden])", timeout=15000)
    assert "not accepted" in page.inner_text("#login-error")


def test_narrow_mobile_viewport(browser, demo):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{demo.url}/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.fill("input[name=name]", "Lin")
    page.click("#buy")
    page.wait_for_selector("#order-number")
    wait_complete(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "horizontal scrolling on a phone"
    screenshot(page, "thank-you-mobile")
    context.close()
    assert errors == []
