"""Webhook signatures with the official client (stripe-python), for the Swift interop tests.

Reads a JSON list of jobs on stdin; prints a JSON list of results, one per job:
- {"op": "sign", "body": str, "secret": str, "timestamp": int}
    -> the header from stripe.WebhookSignature.generate_signature_header (stripe-python's own test helper)
- {"op": "sign_many", "body": str, "secrets": [str], "timestamp": int, "v0": bool}
    -> "t=..,v1=..,v1=..[,v0=..]" built from stripe.WebhookSignature._compute_signature, as the
       rotation tests of stripe-python build it
- {"op": "verify", "body": str, "header": str, "secret": str}
    -> {"ok": true, "id": event id, "type": event type} from stripe.Webhook.construct_event (300 s
       tolerance against this machine's clock), or {"ok": false, "error": message}
"""
import json
import sys

import stripe

assert stripe.VERSION == "16.1.0", stripe.VERSION

out = []
for job in json.load(sys.stdin):
    if job["op"] == "sign":
        out.append(stripe.WebhookSignature.generate_signature_header(job["body"], job["secret"], job["timestamp"]))
    elif job["op"] == "sign_many":
        signed = "%d.%s" % (job["timestamp"], job["body"])
        parts = ["t=%d" % job["timestamp"]]
        parts += ["v1=" + stripe.WebhookSignature._compute_signature(signed, s) for s in job["secrets"]]
        if job.get("v0"):
            parts.append("v0=" + stripe.WebhookSignature._compute_signature(signed, "whsec_decoy"))
        out.append(",".join(parts))
    elif job["op"] == "verify":
        try:
            event = stripe.Webhook.construct_event(job["body"].encode("utf-8"), job["header"], job["secret"])
            out.append({"ok": True, "id": event["id"], "type": event["type"]})
        except stripe.SignatureVerificationError as e:
            out.append({"ok": False, "error": str(e)})
    else:
        raise SystemExit("unknown op %r" % job["op"])
json.dump(out, sys.stdout)
