"""Writes N pre-signed Stripe `payment_intent.succeeded` deliveries for bench/gateway.sh, one per line:
the Stripe-Signature header (t=<now>,v1=<HMAC-SHA256>), a tab, the body (~1.4 KB, like Stripe's, distinct
evt_/pi_ ids per line so each is a new durable record).

    python3 sign.py SECRET PREFIX N OUT
"""
import hashlib
import hmac
import sys
import time

secret, prefix, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
now = int(time.time())
key = secret.encode()
template = (
    '{"id":"evt_%(p)s_%(i)d","object":"event","api_version":"2026-02-25.clover","created":%(t)d,"data":{"object":'
    '{"id":"pi_%(p)s_%(i)d","object":"payment_intent","amount":2500,"amount_capturable":0,"amount_details":{"tip":{}},'
    '"amount_received":2500,"application":null,"application_fee_amount":null,"automatic_payment_methods":{"allow_redirects":"always","enabled":true},'
    '"canceled_at":null,"cancellation_reason":null,"capture_method":"automatic_async","client_secret":"pi_%(p)s_%(i)d_secret_abcdefghijklmnop",'
    '"confirmation_method":"automatic","created":%(t)d,"currency":"usd","customer":null,"description":null,'
    '"last_payment_error":null,"latest_charge":"ch_%(p)s_%(i)d","livemode":false,"metadata":{"order_id":"ord_%(p)s_%(i)d"},'
    '"next_action":null,"on_behalf_of":null,"payment_method":"pm_%(p)s_%(i)d","payment_method_configuration_details":null,'
    '"payment_method_options":{"card":{"installments":null,"mandate_options":null,"network":null,"request_three_d_secure":"automatic"}},'
    '"payment_method_types":["card"],"processing":null,"receipt_email":null,"review":null,"setup_future_usage":null,'
    '"shipping":null,"source":null,"statement_descriptor":null,"statement_descriptor_suffix":null,"status":"succeeded",'
    '"transfer_data":null,"transfer_group":null}},"livemode":false,"pending_webhooks":1,'
    '"request":{"id":"req_%(p)s_%(i)d","idempotency_key":"shop:ord_%(p)s_%(i)d:payment_intent:1"},"type":"payment_intent.succeeded"}'
)
with open(out, "w") as f:
    for i in range(n):
        body = template % {"p": prefix, "i": i, "t": now}
        sig = hmac.new(key, f"{now}.{body}".encode(), hashlib.sha256).hexdigest()
        f.write(f"t={now},v1={sig}\t{body}\n")
