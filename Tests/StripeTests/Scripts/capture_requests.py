"""Sends the project's Stripe calls with the official client (stripe-python) to a capturing HTTP
server on loopback and prints what went on the wire, as JSON: {case: [request, ...]}.

Each call below uses the same parameters, in the same insertion order, as the Swift test case of the
same name in WireFormatTests.swift. Reads nothing; writes JSON to stdout.
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import stripe

assert stripe.VERSION == "16.1.0", stripe.VERSION

API_KEY = "sk_test_wire_123"
PINNED = "2026-02-25.clover"
DAHLIA = "2026-03-25.dahlia"
ACACIA = "2025-02-24.acacia"
RESPONSE = b'{"id":"obj_1","object":"list","data":[],"has_more":false}'

captured = []
handed = []


class RecordingRequestsClient(stripe.RequestsClient):
    """The default transport, recording the URL and body stripe-python hands it: requests/urllib3 2.x
    percent-encode `[` and `]` in the query on their way to the wire, which stripe-python's own encoder
    leaves literal (as the POST body shows)."""

    def request(self, method, url, headers, post_data=None):
        handed.append({"url": url, "body": post_data or ""})
        return super().request(method, url, headers, post_data)



class Capture(BaseHTTPRequestHandler):
    def _capture(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        captured.append({
            "method": self.command,
            "target": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8"),
        })
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(RESPONSE)))
        self.send_header("Request-Id", "req_py")
        self.end_headers()
        self.wfile.write(RESPONSE)

    do_GET = _capture
    do_POST = _capture
    do_DELETE = _capture

    def log_message(self, *args):
        pass


stripe.enable_telemetry = False
server = ThreadingHTTPServer(("127.0.0.1", 0), Capture)
threading.Thread(target=server.serve_forever, daemon=True).start()
client = stripe.StripeClient(
    API_KEY,
    base_addresses={"api": "http://127.0.0.1:%d" % server.server_address[1]},
    stripe_version=PINNED,
    max_network_retries=0,
    http_client=RecordingRequestsClient(),
)
v1 = client.v1

NOTE = "Tee & cap = 2 \u2713 {x} 100% [sale] a+b/c"
LINES = [
    {"price_data": {"currency": "cny", "unit_amount": 400, "product_data": {"name": "T-shirt (\u9ed1\u8272) size M"}},
     "quantity": 1},
    {"price_data": {"currency": "cny", "unit_amount": 250, "product_data": {"name": "Mug"}},
     "quantity": 2},
]
RETURN_URL = "https://shop.example/return?session_id={CHECKOUT_SESSION_ID}&order=o1"


def checkout_params(ui_mode):
    return {
        "mode": "payment",
        "ui_mode": ui_mode,
        "line_items": LINES,
        "return_url": RETURN_URL,
        "metadata": {"order_id": "o1"},
        "payment_intent_data": {"metadata": {"order_id": "o1"}},
        "payment_method_types": ["card", "alipay", "wechat_pay", "link"],
        "customer_email": "buyer+1@example.com",
        "expires_at": 1774342496,
    }


CASES = [
    ("payment_intent_automatic", lambda: v1.payment_intents.create(
        params={"amount": 400, "currency": "cny", "metadata": {"order_id": "o1", "note": NOTE},
                "automatic_payment_methods": {"enabled": True}},
        options={"idempotency_key": "order-o1-payment-intent"})),
    ("payment_intent_types", lambda: v1.payment_intents.create(
        params={"amount": 1099, "currency": "usd", "metadata": {"order_id": "o2"},
                "payment_method_types": ["card", "alipay"], "customer": "cus_123",
                "receipt_email": "buyer@example.com"},
        options={"idempotency_key": "order-o2-payment-intent"})),
    ("payment_intent_retrieve", lambda: v1.payment_intents.retrieve("pi_123")),
    ("payment_intent_cancel", lambda: v1.payment_intents.cancel(
        "pi_123", options={"idempotency_key": "order-o1-cancel"})),
    ("checkout_create", lambda: v1.checkout.sessions.create(
        params=checkout_params("embedded"), options={"idempotency_key": "order-o1-checkout"})),
    ("checkout_create_dahlia", lambda: v1.checkout.sessions.create(
        params=checkout_params("embedded_page"),
        options={"idempotency_key": "order-o1-checkout", "stripe_version": DAHLIA})),
    ("checkout_retrieve", lambda: v1.checkout.sessions.retrieve(
        "cs_test_123", params={"expand": ["payment_intent"]})),
    ("checkout_expire", lambda: v1.checkout.sessions.expire(
        "cs_test_123", options={"idempotency_key": "order-o1-expire"})),
    ("customer_find_or_create", lambda: (
        v1.customers.list(params={"email": "buyer+1@example.com", "limit": 1}),
        v1.customers.create(params={"email": "buyer+1@example.com"},
                            options={"idempotency_key": "order-o1-customer"}))),
    ("invoice_create", lambda: v1.invoices.create(
        params={"customer": "cus_123", "currency": "cny", "collection_method": "charge_automatically",
                "auto_advance": False, "pending_invoice_items_behavior": "exclude",
                "metadata": {"order_id": "o1"}},
        options={"idempotency_key": "order-o1-invoice"})),
    ("invoice_item", lambda: v1.invoice_items.create(
        params={"customer": "cus_123", "invoice": "in_123", "amount": 400, "currency": "cny",
                "description": "T-shirt \u00d7 1", "metadata": {"order_id": "o1", "line": "0"}},
        options={"idempotency_key": "order-o1-item-0"})),
    ("invoice_finalize", lambda: v1.invoices.finalize_invoice(
        "in_123", params={"expand": ["confirmation_secret"]},
        options={"idempotency_key": "order-o1-finalize"})),
    ("invoice_finalize_acacia", lambda: v1.invoices.finalize_invoice(
        "in_123", params={"expand": ["payment_intent"]},
        options={"idempotency_key": "order-o1-finalize", "stripe_version": ACACIA})),
    ("invoice_retrieve", lambda: v1.invoices.retrieve(
        "in_123", params={"expand": ["confirmation_secret"]})),
    ("events_list", lambda: v1.events.list(
        params={"limit": 100, "starting_after": "evt_0", "created": {"gte": 1774000000},
                "delivery_success": False})),
]

out = {}
for name, call in CASES:
    start = len(captured)
    call()
    assert len(captured) == len(handed)
    for request, before in zip(captured[start:], handed[start:]):
        request["handed_url"] = before["url"]
        request["handed_body"] = before["body"]
    out[name] = captured[start:]
server.shutdown()
json.dump(out, sys.stdout, ensure_ascii=False)
