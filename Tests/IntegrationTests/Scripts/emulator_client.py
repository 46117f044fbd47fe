"""Drives the Stripe stand-in with the official `stripe` Python client (used by StripeEmulatorTests).

usage: emulator_client.py BASE_URL            runs the PaymentIntent and Checkout Session flow, prints a JSON summary
       emulator_client.py BASE_URL errors     provokes client-side error classes, prints a JSON summary
"""
import json
import sys

import stripe


def client(base):
    return stripe.StripeClient("sk_test_emulator", base_addresses={"api": base}, max_network_retries=0)


def flow(base):
    c = client(base)
    out = {"stripe_version": stripe.VERSION, "api_version": stripe.api_version}
    pi = c.v1.payment_intents.create(params={
        "amount": 400, "currency": "cny", "metadata": {"order_id": "o-py"},
        "automatic_payment_methods": {"enabled": True},
    }, options={"idempotency_key": "py-create-1"})
    out["created"] = {"id": pi.id, "status": pi.status, "client_secret": pi.client_secret,
                      "metadata": pi.metadata.to_dict()}
    again = c.v1.payment_intents.create(params={
        "amount": 400, "currency": "cny", "metadata": {"order_id": "o-py"},
        "automatic_payment_methods": {"enabled": True},
    }, options={"idempotency_key": "py-create-1"})
    out["replayed_same_id"] = again.id == pi.id
    confirmed = c.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa",
                                                             "return_url": "http://127.0.0.1/done",
                                                             "expand": ["latest_charge"]})
    out["confirmed"] = {"status": confirmed.status, "charge_status": confirmed.latest_charge.status,
                        "amount_received": confirmed.amount_received}
    got = c.v1.payment_intents.retrieve(pi.id)
    out["retrieved"] = {"status": got.status, "latest_charge": got.latest_charge}

    declined = c.v1.payment_intents.create(params={"amount": 500, "currency": "usd",
                                                   "payment_method_types": ["card"]})
    try:
        c.v1.payment_intents.confirm(declined.id, params={"payment_method": "pm_card_visa_chargeDeclined"})
        out["decline"] = {"raised": False}
    except stripe.CardError as e:
        out["decline"] = {"raised": True, "code": e.code, "decline_code": e.error.decline_code,
                          "http_status": e.http_status,
                          "pi_status": c.v1.payment_intents.retrieve(declined.id).status}

    session = c.v1.checkout.sessions.create(params={
        "mode": "payment",
        # stripe-python 16.1.0 sends Stripe-Version 2026-10-28.endive: the dahlia+ spelling.
        "ui_mode": "embedded_page",
        "return_url": "http://127.0.0.1:8081/return?session_id={CHECKOUT_SESSION_ID}",
        "line_items": [{"price_data": {"currency": "cny", "unit_amount": 400,
                                       "product_data": {"name": "T-shirt"}}, "quantity": 2}],
        "metadata": {"order_id": "o-cs"},
        "payment_intent_data": {"metadata": {"order_id": "o-cs"}},
    })
    out["session"] = {"id": session.id, "status": session.status, "payment_status": session.payment_status,
                      "amount_total": session.amount_total, "ui_mode": session.ui_mode,
                      "has_client_secret": bool(session.client_secret)}
    again = c.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    out["session_retrieved"] = {"id": again.id, "status": again.status, "payment_intent": again.payment_intent,
                                "return_url": again.return_url}
    print(json.dumps(out))


def errors(base):
    out = {}
    bad = stripe.StripeClient("sk_live_nope", base_addresses={"api": base}, max_network_retries=0)
    try:
        bad.v1.payment_intents.retrieve("pi_x")
    except stripe.AuthenticationError as e:
        out["auth"] = {"class": "AuthenticationError", "http_status": e.http_status}
    c = client(base)
    try:
        c.v1.payment_intents.retrieve("pi_missing")
    except stripe.InvalidRequestError as e:
        out["missing"] = {"code": e.code, "param": e.param, "http_status": e.http_status}
    try:
        c.v1.payment_intents.create(params={"currency": "usd"})
    except stripe.InvalidRequestError as e:
        out["param_missing"] = {"code": e.code, "param": e.param, "http_status": e.http_status}
    c.v1.customers.create(params={"email": "x@example.com"}, options={"idempotency_key": "py-idem"})
    try:
        c.v1.customers.create(params={"email": "y@example.com"}, options={"idempotency_key": "py-idem"})
    except stripe.IdempotencyError as e:
        out["idempotency"] = {"class": "IdempotencyError", "http_status": e.http_status}
    print(json.dumps(out))


if __name__ == "__main__":
    base = sys.argv[1]
    (errors if len(sys.argv) > 2 and sys.argv[2] == "errors" else flow)(base)
