"""Runs `stripe.Webhook.construct_event` on a captured delivery: prints `ok <event id> <type>` or
`rejected <error class>` (StripeEmulatorTests uses it on a tampered body to show the check can fail).

usage: emulator_verify.py BODY_FILE SIGNATURE_HEADER SECRET
"""
import sys

import stripe

body = open(sys.argv[1], "rb").read().decode("utf-8")
try:
    event = stripe.Webhook.construct_event(body, sys.argv[2], sys.argv[3])
    print("ok", event.id, event.type)
except Exception as e:  # noqa: BLE001
    print("rejected", type(e).__name__)
