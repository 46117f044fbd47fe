"""Checks what the Stripe stand-in renders against Stripe's own OpenAPI schemas (used by StripeConformanceTests).

usage: emulator_conformance.py BASE_URL SPEC_JSON

The official `stripe` client drives the stand-in through every object the shop uses (customer, invoice
item, invoice finalized and paid, Checkout Session and its line items, PaymentIntent confirmed and
declined, the events they send); each object's raw JSON, as the stand-in answered it in the client's API
version, is validated with `jsonschema` against the schema of its `object` type in the trimmed spec
(`nullable` turned into a null type; a `$ref` to a schema the trimmed copy lacks accepts anything).
Prints a JSON summary: {"api_version", "checked": {type: count}, "failures": [...], "events": [...]}.
The spec is read where it lies (../shared/stripe-openapi); nothing of it is copied.
"""
import copy
import json
import sys
import urllib.request

import jsonschema
import stripe

KEY = "sk_test_conformance"


def prepare(spec):
    """The spec's component schemas as one JSON-schema document: nullable -> null allowed, unknown $ref -> {}."""
    schemas = spec["components"]["schemas"]

    def fix(node):
        if isinstance(node, list):
            return [fix(n) for n in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if ref is not None:
            name = ref.rsplit("/", 1)[-1]
            return {"$ref": "#/definitions/" + name} if name in schemas else {}
        out = {k: fix(v) for k, v in node.items() if not k.startswith("x-")}
        if out.pop("nullable", False):
            return {"anyOf": [out, {"type": "null"}]}
        return out

    return {"definitions": {name: fix(copy.deepcopy(s)) for name, s in schemas.items()}}


def main(base, spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
    doc = prepare(spec)
    validators = {}

    def validator(kind):
        if kind not in validators:
            schema = dict(doc)
            schema["$ref"] = "#/definitions/" + kind
            validators[kind] = jsonschema.Draft7Validator(schema)
        return validators[kind]

    checked, failures = {}, []
    version = stripe.api_version

    def raw(path):
        req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + KEY, "Stripe-Version": version})
        with urllib.request.urlopen(req) as r:
            return json.load(r)

    def check(obj, kind=None, where=""):
        kind = kind or obj.get("object")
        if kind not in doc["definitions"]:
            return
        errors = sorted(validator(kind).iter_errors(obj), key=lambda e: list(e.path))
        checked[kind] = checked.get(kind, 0) + 1
        for e in errors[:20]:
            failures.append({"object": kind, "id": obj.get("id"), "where": where,
                             "path": "/".join(str(p) for p in e.absolute_path), "error": e.message[:300]})

    c = stripe.StripeClient(KEY, base_addresses={"api": base}, max_network_retries=0)

    customer = c.v1.customers.create(params={"email": "conformance@example.com"})
    check(raw("/v1/customers/" + customer.id), where="GET /v1/customers/{id}")

    invoice = c.v1.invoices.create(params={"customer": customer.id, "currency": "usd", "auto_advance": False,
                                           "pending_invoice_items_behavior": "exclude",
                                           "metadata": {"order_id": "o-conf"}})
    item = c.v1.invoice_items.create(params={"customer": customer.id, "invoice": invoice.id, "amount": 1500,
                                             "currency": "usd", "description": "Mug x 1"})
    check(raw("/v1/invoiceitems/" + item.id), where="GET /v1/invoiceitems/{id}")
    c.v1.invoices.finalize_invoice(invoice.id, params={"expand": ["confirmation_secret"]})
    urllib.request.urlopen(urllib.request.Request(base + "/_emulator/invoices/" + invoice.id + "/pay",
                                                  data=json.dumps({"card": "4242424242424242"}).encode(),
                                                  headers={"Content-Type": "application/json"}))
    paid = raw("/v1/invoices/" + invoice.id)
    check(paid, where="GET /v1/invoices/{id}")
    for line in paid["lines"]["data"]:
        check(line, "line_item", where="invoice.lines")
        if "invoice_item" in line or "type" in line:
            failures.append({"object": "line_item", "id": line.get("id"), "where": "invoice.lines",
                             "path": "", "error": "pre-basil invoice_item/type in API version " + version})
        if not isinstance(line.get("parent"), dict):
            failures.append({"object": "line_item", "id": line.get("id"), "where": "invoice.lines",
                             "path": "parent", "error": "no parent in API version " + version})

    session = c.v1.checkout.sessions.create(params={
        "mode": "payment", "ui_mode": "embedded_page", "return_url": "http://127.0.0.1/r?session_id={CHECKOUT_SESSION_ID}",
        "line_items": [{"price_data": {"currency": "usd", "unit_amount": 800, "product_data": {"name": "Tee"}}, "quantity": 1}],
        "metadata": {"order_id": "o-conf"}, "payment_intent_data": {"metadata": {"order_id": "o-conf"}},
    })
    check(raw("/v1/checkout/sessions/" + session.id), where="GET /v1/checkout/sessions/{id}")
    for li in raw("/v1/checkout/sessions/" + session.id + "/line_items")["data"]:
        check(li, "item", where="checkout line_items")

    pi = c.v1.payment_intents.create(params={"amount": 400, "currency": "usd", "metadata": {"order_id": "o-conf"},
                                             "automatic_payment_methods": {"enabled": True}})
    c.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    got = raw("/v1/payment_intents/" + pi.id)
    check(got, where="GET /v1/payment_intents/{id}")
    pm = raw("/v1/payment_methods/" + got["payment_method"])
    check(pm, where="GET /v1/payment_methods/{id}")

    declined = c.v1.payment_intents.create(params={"amount": 500, "currency": "usd", "payment_method_types": ["card"]})
    decline_version = None
    try:
        c.v1.payment_intents.confirm(declined.id, params={"payment_method": "pm_card_visa_chargeDeclined"})
        failures.append({"object": "payment_intent", "id": declined.id, "where": "402", "path": "", "error": "no decline"})
    except stripe.CardError as e:
        body = e.json_body or {}
        err_pi = (body.get("error") or {}).get("payment_intent")
        if isinstance(err_pi, dict):
            check(err_pi, "payment_intent", where="402 error.payment_intent")
        decline_version = (e.headers or {}).get("stripe-version") or (e.headers or {}).get("Stripe-Version")

    events = raw("/v1/events?limit=100")["data"]
    for ev in events:
        check(ev, "event", where="GET /v1/events")
        obj = ev.get("data", {}).get("object", {})
        check(obj, where="event " + ev.get("type", "?") + ".data.object")
    types = sorted({ev["type"] for ev in events})
    print(json.dumps({"api_version": version, "decline_version": decline_version, "checked": checked,
                      "failures": failures, "events": types}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
