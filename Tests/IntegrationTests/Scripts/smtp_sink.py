"""Loopback mail (and merchant webhook) sink for the notifier's integration tests.

    python smtp_sink.py DIR [--mode accept|reject5xx|tempfail:N] [--http] [--http-mode ok|fail:N]

Listens on 127.0.0.1, port chosen by the kernel, and prints "SMTP <port>" (and "HTTP <port>") lines to
stdout once listening. Every accepted message is saved as DIR/mail-<n>.eml plus DIR/mail-<n>.json, a
summary parsed by Python's own email package (envelope, headers decoded, both MIME parts decoded);
every webhook request as DIR/hook-<n>.body + DIR/hook-<n>.json (headers). Files appear atomically
(written under a temporary name, then renamed).

Modes: reject5xx answers RCPT with 550; tempfail:N answers the first N DATA commands with 451 and then
accepts. --http-mode fail:N answers the first N posts with 503.
"""
import asyncio
import email
import email.policy
import itertools
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.smtp import SMTP

OUT = sys.argv[1]
ARGS = sys.argv[2:]


def option(name, default):
    return ARGS[ARGS.index(name) + 1] if name in ARGS else default


MODE = option("--mode", "accept")
HTTP_MODE = option("--http-mode", "ok")
counter = itertools.count(1)
lock = threading.Lock()


def write_atomically(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


class Handler:
    def __init__(self):
        self.tempfails = int(MODE.split(":")[1]) if MODE.startswith("tempfail:") else 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if MODE == "reject5xx":
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.tempfails > 0:
            self.tempfails -= 1
            return "451 4.3.0 try again later"
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {}
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                parts[part.get_content_type()] = part.get_content()
        summary = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(msg["Subject"]),
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "message_id": str(msg["Message-ID"]),
            "date": str(msg["Date"]),
            "content_type": msg.get_content_type(),
            "raw_subject": re.search(rb"\r\nSubject: (.*?)\r\n(?! )", raw, re.S).group(1).decode("ascii", "replace"),
            "text": parts.get("text/plain"),
            "html": parts.get("text/html"),
        }
        with lock:
            n = next(counter)
        write_atomically(os.path.join(OUT, "mail-%d.eml" % n), raw)
        write_atomically(os.path.join(OUT, "mail-%d.json" % n), json.dumps(summary).encode())
        return "250 Message accepted for delivery"


class Hook(BaseHTTPRequestHandler):
    fails = int(HTTP_MODE.split(":")[1]) if HTTP_MODE.startswith("fail:") else 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            fail = Hook.fails > 0
            if fail:
                Hook.fails -= 1
            n = next(counter)
        if fail:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        write_atomically(os.path.join(OUT, "hook-%d.body" % n), body)
        write_atomically(os.path.join(OUT, "hook-%d.json" % n), json.dumps(dict(self.headers.items())).encode())
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


async def main():
    loop = asyncio.get_running_loop()
    handler = Handler()
    server = await loop.create_server(lambda: SMTP(handler, hostname="sink.test"), "127.0.0.1", 0)
    print("SMTP %d" % server.sockets[0].getsockname()[1], flush=True)
    if "--http" in ARGS:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        print("HTTP %d" % httpd.server_address[1], flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
