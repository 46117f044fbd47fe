"""The peer of bench/gateway.sh: a webhook endpoint as Stripe's sample servers write it (Flask and the
official `stripe` library): verify the signature with `stripe.Webhook.construct_event`, answer 200. No
persistence. Run under gunicorn with 2 workers:  gunicorn -w 2 -b 127.0.0.1:PORT flask_app:app
"""
import os

import stripe
from flask import Flask, jsonify, request

app = Flask(__name__)
endpoint_secret = os.environ["STRIPE_WEBHOOK_SECRET"]


@app.route("/webhooks/stripe", methods=["POST"])
def webhook():
    payload = request.data
    sig_header = request.headers.get("Stripe-Signature")
    try:
        event = stripe.Webhook.construct_event(payload, sig_header, endpoint_secret)
    except ValueError:
        return jsonify(success=False), 400  # invalid payload
    except stripe.SignatureVerificationError:
        return jsonify(success=False), 400  # invalid signature
    if event["type"] == "payment_intent.succeeded":
        pass  # a real handler would fulfil here
    return jsonify(success=True)


@app.route("/healthz")
def healthz():
    return "ok"
