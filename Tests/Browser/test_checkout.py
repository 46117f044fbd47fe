"""Checkout in a real browser, offline: every flow clicked through as a customer would, against the
whole stack started by scripts/run with the stand-in's emulated Stripe.js.

Each test asserts the page the customer lands on, the order's status once the webhook path has
delivered the payment event, and the customer's email. The field names are those of Stripe's own
forms, so these tests read like tests written against Stripe test mode.
"""

import re
import urllib.parse

import pytest
from playwright.sync_api import expect

GOOD = "4242424242424242"
DECLINED = "4000000000000002"
THREE_DS = "4000002500003155"
THREE_DS_ALWAYS = "4000002760003184"


def shot(page, screenshot_dir, name):
    page.screenshot(path=str(screenshot_dir / f"{name}.png"), full_page=True)


def start_order(page, stack, flow, email="customer@example.com"):
    """The home page: the first product, an email, one of the three buttons. Returns the order id."""
    page.goto(stack.gateway + "/")
    expect(page.locator("#products article").first).to_be_visible()
    page.fill("#email", email)
    page.click(f"button[data-flow={flow}]")
    target = {"payment_intent": "**/checkout?order_id=*", "checkout_session": "**/checkout/embedded?order_id=*",
              "invoice": "**/invoice?order_id=*"}[flow]
    page.wait_for_url(target)
    return urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)["order_id"][0]


def payment_element(page):
    return page.frame_locator("#payment-element iframe")


def fill_card(frame, number, expiry="12 / 34", cvc="123", postal="12345"):
    frame.locator("[name=number]").fill(number)
    frame.locator("[name=expiry]").fill(expiry)
    frame.locator("[name=cvc]").fill(cvc)
    frame.locator("[name=postalCode]").fill(postal)


def pay(page):
    expect(page.locator("#pay")).to_be_enabled()
    page.click("#pay")


def expect_success(page, stack, order_id, event_type="payment_intent.succeeded"):
    page.wait_for_url(re.compile(r"/order/success\?order_id="))
    assert urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)["order_id"] == [order_id]
    stack.wait_for_delivered(event_type, order_id)
    stack.wait_for_order(order_id, "fulfilled")
    expect(page.locator("#status")).to_contain_text("Confirmed", timeout=20_000)
    stack.wait_for_email(order_id)


def test_payment_element_good_card(page, stack, screenshot_dir):
    page.goto(stack.gateway + "/")
    expect(page.locator("#products article").first).to_be_visible()
    expect(page.locator("#mode")).to_contain_text("4242 4242 4242 4242")
    page.fill("#email", "customer@example.com")
    shot(page, screenshot_dir, "01-shop")
    page.click("button[data-flow=payment_intent]")
    page.wait_for_url("**/checkout?order_id=*")
    order_id = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)["order_id"][0]
    frame = payment_element(page)
    fill_card(frame, GOOD)
    # Stripe's formatting: groups of four, MM / YY.
    expect(frame.locator("[name=number]")).to_have_value("4242 4242 4242 4242")
    expect(frame.locator("[name=expiry]")).to_have_value("12 / 34")
    shot(page, screenshot_dir, "02-payment-element")
    pay(page)
    expect_success(page, stack, order_id)
    shot(page, screenshot_dir, "03-success")


def test_decline_then_good_card_on_the_same_page(page, stack, screenshot_dir):
    order_id = start_order(page, stack, "payment_intent")
    frame = payment_element(page)
    fill_card(frame, DECLINED)
    pay(page)
    message = page.locator("#message")
    expect(message).to_have_text("Your card was declined.")
    expect(message).to_have_attribute("role", "alert")
    assert "/checkout?" in page.url, "a decline must not leave the payment page"
    stack.wait_for_delivered("payment_intent.payment_failed", order_id)
    shot(page, screenshot_dir, "04-declined")
    frame.locator("[name=number]").fill(GOOD)
    pay(page)
    expect_success(page, stack, order_id)


def test_inline_validation(page, stack, screenshot_dir):
    start_order(page, stack, "payment_intent")
    frame = payment_element(page)
    frame.locator("[name=number]").fill("4242 4242")
    frame.locator("[name=expiry]").fill("01 / 20")
    frame.locator("[name=cvc]").focus()
    expect(frame.locator("#Field-numberError")).to_have_text("Your card number is incomplete.")
    expect(frame.locator("#Field-expiryError")).to_have_text("Your card's expiration year is in the past.")
    pay(page)
    # confirmPayment resolves with the validation error; nothing was sent to the stand-in.
    expect(page.locator("#message")).to_have_text("Your card number is incomplete.")
    expect(frame.locator("[name=number]")).to_have_attribute("aria-invalid", "true")
    shot(page, screenshot_dir, "05-validation")


def test_3d_secure_completed(page, stack, screenshot_dir):
    order_id = start_order(page, stack, "payment_intent")
    fill_card(payment_element(page), THREE_DS)
    pay(page)
    challenge = page.frame_locator("iframe[title='3D Secure authentication']")
    expect(challenge.locator("#test-source-authorize-3ds")).to_have_text("Complete")
    shot(page, screenshot_dir, "06-3ds-challenge")
    challenge.locator("#test-source-authorize-3ds").click()
    expect_success(page, stack, order_id)


def test_3d_secure_failed(page, stack, screenshot_dir):
    order_id = start_order(page, stack, "payment_intent")
    fill_card(payment_element(page), THREE_DS_ALWAYS)
    pay(page)
    page.frame_locator("iframe[title='3D Secure authentication']").locator("#test-source-fail-3ds").click()
    expect(page.locator("#message")).to_contain_text("authenticate")
    expect(page.locator("iframe[title='3D Secure authentication']")).to_have_count(0)
    assert "/checkout?" in page.url
    stack.wait_for_delivered("payment_intent.payment_failed", order_id)
    assert stack.order(order_id)["status"] in ("awaiting_payment", "payment_failed")
    shot(page, screenshot_dir, "07-3ds-failed")
    # The customer can still pay with another card on the same page.
    payment_element(page).locator("[name=number]").fill(GOOD)
    pay(page)
    expect_success(page, stack, order_id)


def test_bank_debit_processing_then_settles(page, stack, screenshot_dir):
    order_id = start_order(page, stack, "payment_intent", email="bank@example.com")
    frame = payment_element(page)
    frame.get_by_role("tab", name="US bank account").click()
    frame.locator("[name=name]").fill("Jenny Rosen")
    frame.locator("[name=email]").fill("bank@example.com")
    shot(page, screenshot_dir, "08-bank-debit")
    pay(page)
    page.wait_for_url(re.compile(r"/order/success\?order_id="))
    expect(page.locator("#status")).to_contain_text("Processing")
    shot(page, screenshot_dir, "09-processing")
    stack.wait_for_delivered("payment_intent.processing", order_id)
    # Then the debit settles by itself, the webhook arrives, and the page follows the order.
    stack.wait_for_delivered("payment_intent.succeeded", order_id)
    stack.wait_for_order(order_id, "fulfilled")
    expect(page.locator("#status")).to_contain_text("Confirmed", timeout=20_000)
    stack.wait_for_email(order_id)


def embedded_frame(page):
    return page.frame_locator("#checkout iframe")


def fill_checkout(frame, number, name="Jenny Rosen"):
    frame.locator("#cardNumber").fill(number)
    frame.locator("#cardExpiry").fill("12 / 34")
    frame.locator("#cardCvc").fill("123")
    frame.locator("#billingName").fill(name)


def test_embedded_checkout_paid(page, stack, screenshot_dir):
    order_id = start_order(page, stack, "checkout_session", email="embedded@example.com")
    frame = embedded_frame(page)
    # The email is prefilled from the session's customer_email; the lines and total are the order's.
    expect(frame.locator("#email")).to_have_value("embedded@example.com")
    total = stack.order(order_id)
    expect(frame.locator("#lines")).to_contain_text(total["items"][0]["name"])
    fill_checkout(frame, GOOD)
    shot(page, screenshot_dir, "10-embedded-checkout")
    frame.locator("[data-testid=hosted-payment-submit-button]").click()
    expect_success(page, stack, order_id, event_type="checkout.session.completed")
    shot(page, screenshot_dir, "11-embedded-success")


def test_embedded_checkout_declined_then_paid(page, stack, screenshot_dir):
    order_id = start_order(page, stack, "checkout_session")
    frame = embedded_frame(page)
    fill_checkout(frame, DECLINED)
    frame.locator("[data-testid=hosted-payment-submit-button]").click()
    expect(frame.locator("#form-error")).to_have_text("Your card was declined.")
    assert "/checkout/embedded?" in page.url
    shot(page, screenshot_dir, "12-embedded-declined")
    frame.locator("#cardNumber").fill(GOOD)
    frame.locator("[data-testid=hosted-payment-submit-button]").click()
    expect_success(page, stack, order_id, event_type="checkout.session.completed")


def test_embedded_checkout_expired(page, stack, screenshot_dir):
    order_id = start_order(page, stack, "checkout_session")
    frame = embedded_frame(page)
    expect(frame.locator("[data-testid=hosted-payment-submit-button]")).to_be_visible()
    sessions = stack.stripe("/v1/checkout/sessions", status="open", limit=100)["data"]
    session = next(s for s in sessions if s["metadata"].get("order_id") == order_id)
    stack.helper(f"/_emulator/checkout/sessions/{session['id']}/expire")
    page.reload()
    frame = embedded_frame(page)
    expect(frame.locator("#state")).to_contain_text("expired")
    expect(frame.locator("[data-testid=hosted-payment-submit-button]")).to_be_hidden()
    stack.wait_for_delivered("checkout.session.expired", order_id)
    assert stack.order(order_id)["status"] not in ("paid", "fulfilled")
    shot(page, screenshot_dir, "13-embedded-expired")


def test_invoice_paid_in_the_app(page, stack, screenshot_dir):
    order_id = start_order(page, stack, "invoice", email="invoice@example.com")
    expect(page.locator("h1")).to_have_text("Pay your invoice")
    fill_card(payment_element(page), GOOD)
    shot(page, screenshot_dir, "14-invoice")
    pay(page)
    expect_success(page, stack, order_id, event_type="invoice.paid")
    assert stack.gateway in page.url, "the invoice must be paid without leaving the shop"


def test_double_click_on_pay_charges_once(page, stack):
    order_id = start_order(page, stack, "payment_intent")
    fill_card(payment_element(page), GOOD)
    expect(page.locator("#pay")).to_be_enabled()
    page.dblclick("#pay")
    expect_success(page, stack, order_id)
    succeeded = stack.events("payment_intent.succeeded", order_id)
    assert len(succeeded) == 1, succeeded
    charges = {e["data"]["object"]["latest_charge"] for e in succeeded}
    assert len(charges) == 1
    assert stack.events("payment_intent.payment_failed", order_id) == []
    assert len([s for s in stack.emails_for(order_id) if s.startswith("Thank you")]) == 1


def test_reload_and_back_change_nothing(page, stack):
    order_id = start_order(page, stack, "payment_intent")
    fill_card(payment_element(page), GOOD)
    returned = []
    page.on("request", lambda r: returned.append(r.url) if "/payment/return?" in r.url else None)
    pay(page)
    expect_success(page, stack, order_id)
    return_url = returned[0]
    assert "redirect_status=succeeded" in return_url and "payment_intent_client_secret=" in return_url
    # Back from the success page: the payment page says the order is paid and offers no form.
    page.go_back()
    page.wait_for_url("**/checkout?order_id=*")
    expect(page.locator("#message")).to_contain_text("Paid and on its way")
    expect(page.locator("#payment-element")).to_have_count(0)
    # The return URL again (a reload of the redirect, a bookmark), then the success page reloaded.
    page.goto(return_url)
    page.wait_for_url(re.compile(r"/order/success\?order_id="))
    page.reload()
    expect(page.locator("#status")).to_contain_text("Confirmed")
    assert stack.order(order_id)["status"] == "fulfilled"
    assert len(stack.events("payment_intent.succeeded", order_id)) == 1
    assert len([s for s in stack.emails_for(order_id) if s.startswith("Thank you")]) == 1


def test_return_url_with_another_orders_secret_is_not_success(page, stack):
    status_a, a = stack.api("POST", "/api/orders", {"items": [{"sku": "sticker", "quantity": 1}], "email": "a@example.com"})
    status_b, b = stack.api("POST", "/api/orders", {"items": [{"sku": "sticker", "quantity": 1}], "email": "b@example.com"})
    assert status_a == 201 or status_a == 200, a
    assert status_b == 201 or status_b == 200, b
    # Pay order A for real, then present A's PaymentIntent with B's client secret.
    stack.helper(f"/_emulator/payment_intents/{a['payment_intent_id']}/confirm", card=GOOD)
    query = urllib.parse.urlencode({"payment_intent": a["payment_intent_id"],
                                    "payment_intent_client_secret": b["client_secret"],
                                    "redirect_status": "succeeded"})
    page.goto(stack.gateway + "/payment/return?" + query)
    page.wait_for_url(re.compile(r"/payment/error\?"))
    assert "reason=invalid_return" in page.url
    expect(page.locator("h1")).to_have_text("Payment problem")
    expect(page.locator("body")).not_to_contain_text("Thank you")


def test_phone_viewport(browser, stack, screenshot_dir):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        order_id = start_order(page, stack, "payment_intent", email="phone@example.com")
        frame = payment_element(page)
        fill_card(frame, GOOD)
        # Nothing wider than the phone: no sideways scrolling on the page.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        shot(page, screenshot_dir, "15-phone")
        pay(page)
        expect_success(page, stack, order_id)
    finally:
        context.close()


def test_keyboard_only(page, stack):
    page.goto(stack.gateway + "/")
    expect(page.locator("#products article").first).to_be_visible()
    # Every input has a label, and Tab reaches the email field and the pay buttons in order.
    assert page.evaluate("[...document.querySelectorAll('input')].every(i => i.labels && i.labels.length > 0)")
    focused = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id || document.activeElement.dataset.flow || document.activeElement.tagName"))
    assert "email" in focused and "payment_intent" in focused
    assert focused.index("email") < focused.index("payment_intent")
    # Submitting with Enter and no email announces the problem.
    page.focus("#email")
    page.keyboard.press("Enter")
    expect(page.locator("#message")).to_have_attribute("role", "alert")
    expect(page.locator("#message")).to_contain_text("email")
    # In the Payment Element: labelled fields, reached with Tab, errors announced.
    page.fill("#email", "keys@example.com")
    page.focus("button[data-flow=payment_intent]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/checkout?order_id=*")
    frame = payment_element(page)
    expect(frame.locator("label[for=Field-numberInput]")).to_have_text("Card number")
    frame.locator("[name=number]").focus()
    page.keyboard.type("4242")
    page.keyboard.press("Tab")
    expect(frame.locator("[name=expiry]")).to_be_focused()
    expect(frame.locator("#Field-numberError")).to_have_attribute("role", "alert")
    expect(frame.locator("#Field-numberError")).to_have_text("Your card number is incomplete.")


def test_pay_again_from_the_email_link_in_a_new_browser(browser, stack, page, screenshot_dir):
    """The order id alone opens no payment; the link in the payment-failed email carries a token of its
    own (in the fragment), so the customer can pay from another browser."""
    order_id = start_order(page, stack, "payment_intent", email="again@example.com")
    fill_card(payment_element(page), DECLINED)
    pay(page)
    expect(page.locator("#message")).to_have_text("Your card was declined.")
    stack.wait_for_email(order_id, subject_start="Payment for order")
    text = stack.email_text(order_id, "Payment for order")
    link = next(line.strip() for line in text.splitlines() if "/order/pay?order_id=" in line)
    assert "#token=otk_" in link, link
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    context.set_default_timeout(15_000)
    other = context.new_page()
    try:
        # Without the token (the id alone, as in a proxy log), the payment page cannot take the payment.
        other.goto(link.split("#")[0])
        other.wait_for_url("**/checkout?order_id=*")
        expect(other.locator("#message")).to_contain_text("open the link in your email")
        # With the email's link, in a browser that never saw the order: pay, and done.
        other.goto(stack.gateway + "/")
        other.goto(link)
        other.wait_for_url("**/checkout?order_id=*")
        assert "token" not in other.url
        fill_card(payment_element(other), GOOD)
        pay(other)
        expect_success(other, stack, order_id)
    finally:
        context.close()
