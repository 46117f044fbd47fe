"""A loopback webhook endpoint for StripeEmulatorTests that verifies every delivery with the official
client's `stripe.Webhook.construct_event(payload, sig_header, secret)`.

usage: emulator_webhook_receiver.py PORT_FILE LOG_FILE SECRET [FAIL_FIRST]

Listens on 127.0.0.1 (a free port, written to PORT_FILE once listening). Answers the first FAIL_FIRST
requests (default 0) with 500, the rest with 200. Appends one JSON line per request to LOG_FILE:
n, answered status, Stripe-Signature header, raw body (base64), and construct_event's verdict.
"""
import base64
import http.server
import json
import os
import sys
import threading

import stripe

port_file, log_file, secret = sys.argv[1], sys.argv[2], sys.argv[3]
fail_first = int(sys.argv[4]) if len(sys.argv) > 4 else 0
lock = threading.Lock()
count = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        header = self.headers.get("Stripe-Signature", "")
        record = {"signature": header, "body_b64": base64.b64encode(raw).decode()}
        try:
            event = stripe.Webhook.construct_event(raw.decode("utf-8"), header, secret)
            record.update(verified=True, event_id=event.id, type=event.type)
        except Exception as e:  # noqa: BLE001 - the test reads the verdict
            record.update(verified=False, error=f"{type(e).__name__}: {e}")
        with lock:
            count += 1
            record["n"] = count
            status = 500 if count <= fail_first else 200
            record["status"] = status
            with open(log_file, "a") as f:
                f.write(json.dumps(record) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
tmp = port_file + ".tmp"
with open(tmp, "w") as f:
    f.write(str(server.server_address[1]))
os.rename(tmp, port_file)
server.serve_forever()
