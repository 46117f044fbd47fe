"""The official status -> error class mapping of stripe-python, for the Swift error-decoding tests.

Reads a JSON list of [status, body] pairs on stdin; prints a JSON list with, for each, the name of the
exception class stripe-python raises for that response (v1 API).
"""
import json
import sys

import stripe
from stripe._api_requestor import _APIRequestor

assert stripe.VERSION == "16.1.0", stripe.VERSION

requestor = _APIRequestor()
out = []
for status, body in json.load(sys.stdin):
    try:
        resp = json.loads(body)
    except ValueError:
        resp = None
    try:
        requestor.handle_error_response(body, status, resp, {}, "V1")
    except stripe.StripeError as e:
        out.append(type(e).__name__)
    else:
        out.append(None)
json.dump(out, sys.stdout)
