"""The operator console in a real browser: log in with the token scripts/run made, find an order by
email, refund part of it, and see the refund in the order's timeline once Stripe's webhook has been
applied. A wrong token gets nowhere."""

import uuid

import pytest
from playwright.sync_api import expect

GOOD = "4242424242424242"


def shot(page, screenshot_dir, name):
    page.screenshot(path=str(screenshot_dir / f"{name}.png"), full_page=True)


def paid_order(stack, email):
    """An order paid through the stand-in (the API and its confirm helper, as a customer's card would)."""
    status, created = stack.api("POST", "/api/orders", {"items": [{"sku": "mug", "quantity": 2}], "email": email})
    assert status == 201, created
    stack.helper(f"/_emulator/payment_intents/{created['payment_intent_id']}/confirm", card=GOOD)
    stack.wait_for_order(created["order_id"], "fulfilled")
    return created["order_id"]


def login(page, stack, token):
    page.goto(stack.admin + "/admin/")
    page.wait_for_url("**/admin/login")
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")


@pytest.mark.http_errors(401, 404)
def test_console_wrong_token_gets_nowhere(page, stack, screenshot_dir):
    login(page, stack, "adm_" + "0" * 64)
    expect(page.locator(".notice.error")).to_contain_text("not valid")
    assert page.context.cookies() == []
    shot(page, screenshot_dir, "console-01-login-refused")
    page.goto(stack.admin + "/admin/orders")
    page.wait_for_url("**/admin/login")
    # The public port has no console at all.
    response = page.goto(stack.gateway + "/admin/orders")
    assert response.status == 404


def test_console_find_order_and_refund_part(page, stack, screenshot_dir):
    email = f"console-{uuid.uuid4().hex[:8]}@example.com"
    order_id = paid_order(stack, email)
    login(page, stack, stack.admin_token)
    page.wait_for_url("**/admin/orders")
    cookie = [c for c in page.context.cookies() if c["name"] == "shop_admin"][0]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    expect(page.locator("#chart svg").first).to_be_visible()

    page.fill("input[name=email]", email)
    page.click(".filters button[type=submit]")
    rows = page.locator("#orders tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("fulfilled")
    shot(page, screenshot_dir, "console-02-orders")
    rows.first.locator("a").click()
    page.wait_for_url(f"**/admin/orders/{order_id}*")

    # Refund 500 of 2400: the browser asks for confirmation first.
    page.fill("form.refund input[name=amount]", "500")
    page.once("dialog", lambda dialog: dialog.accept() if "Refund 500" in dialog.message else dialog.dismiss())
    page.click("form.refund button[type=submit]")
    expect(page.locator("p.notice[role=alert]")).to_contain_text("Refund re_")
    # The refund appears in the timeline once Stripe's webhook has been through payments and fulfillment.
    # Polled by reloading the page, as an operator would, up to 20 s.
    for _ in range(100):
        if page.locator("#timeline li.kind-refund", has_text="fulfillment").count() > 0 \
                and "partially_refunded" in page.locator("#status").inner_text():
            break
        page.wait_for_timeout(200)
        page.reload()
    expect(page.locator("#status")).to_have_text("partially_refunded")
    expect(page.locator("#refunded")).to_have_text("$5.00")
    expect(page.locator("#timeline li.kind-operator")).to_contain_text("refund")
    expect(page.locator("#timeline li.kind-refund").first).to_be_visible()
    shot(page, screenshot_dir, "console-03-order-refunded")

    page.locator("#timeline a.raw").first.click()
    expect(page.locator("pre.raw")).to_contain_text("evt_")
    page.goto(stack.admin + "/admin/health")
    expect(page.locator("#last-webhook")).to_contain_text("Last Stripe webhook")
    shot(page, screenshot_dir, "console-04-health")
    page.goto(stack.admin + "/admin/audit")
    expect(page.locator("#audit")).to_contain_text(order_id)
    shot(page, screenshot_dir, "console-05-audit")


def test_console_works_without_javascript(browser, stack, screenshot_dir):
    """Scripts off: the login, the filters and a refund still work; a required "I confirm" box stands in
    for the browser's confirmation."""
    email = f"nojs-{uuid.uuid4().hex[:8]}@example.com"
    order_id = paid_order(stack, email)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1000, "height": 900})
    try:
        page = context.new_page()
        login(page, stack, stack.admin_token)
        page.wait_for_url("**/admin/orders")
        page.fill("input[name=email]", email)
        page.click(".filters button[type=submit]")
        page.locator("#orders tbody tr a").first.click()
        page.wait_for_url(f"**/admin/orders/{order_id}*")
        page.fill("form.refund input[name=amount]", "100")
        page.click("form.refund button[type=submit]")
        # Without the box ticked the browser does not send the form.
        assert "/refund" not in page.url and page.locator("p.notice[role=alert]").count() == 0
        page.check("form.refund input[name=confirm]")
        page.click("form.refund button[type=submit]")
        expect(page.locator("p.notice[role=alert]")).to_contain_text("Refund re_")
        shot(page, screenshot_dir, "console-06-no-javascript")
    finally:
        context.close()
