"""What the browser tests ask of the stack besides the browser: the shop's API, the stand-in's event
and delivery logs, and the notifier's mail folder. Waits poll an observable condition up to a deadline;
none of them sleeps in place of a signal."""

import dataclasses
import email
import email.policy
import json
import pathlib
import time
import urllib.parse
import urllib.request

SECRET_KEY = "sk_test_local_stand_in"  # what scripts/run gives payments in local test mode


@dataclasses.dataclass
class Stack:
    gateway: str
    emulator: str
    data_dir: pathlib.Path
    log_dir: pathlib.Path
    # The operator console; scripts/run made a write token for the run and kept it in data_dir/admin-token.
    admin: str = ""

    @property
    def admin_token(self):
        return (self.data_dir / "admin-token").read_text().strip()

    # -- HTTP --------------------------------------------------------------------------------------

    def _request(self, url, data=None, headers=None, method=None):
        request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def api(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"} if method == "POST" else {}
        if method == "POST" and data is None:
            data = b"{}"
        return self._request(self.gateway + path, data=data, headers=headers, method=method)

    def stripe(self, path, **query):
        url = self.emulator + path + ("?" + urllib.parse.urlencode(query, doseq=True) if query else "")
        status, body = self._request(url, headers={"Authorization": "Bearer " + SECRET_KEY})
        assert status == 200, (path, status, body)
        return body

    def helper(self, path, **form):
        status, body = self._request(self.emulator + path, data=urllib.parse.urlencode(form).encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"}, method="POST")
        assert status == 200, (path, status, body)
        return body

    # -- What happened ---------------------------------------------------------------------------

    def order(self, order_id):
        status, body = self.api("GET", "/api/orders/" + urllib.parse.quote(order_id))
        assert status == 200, body
        return body

    def wait_for_order(self, order_id, status, seconds=20):
        deadline = time.monotonic() + seconds
        while True:
            order = self.order(order_id)
            if order["status"] == status or time.monotonic() > deadline:
                assert order["status"] == status, f"order {order_id} is {order['status']}, expected {status}"
                return order
            time.sleep(0.1)

    def events(self, type_, order_id):
        """The stand-in's events of `type_` whose object belongs to the order (by metadata)."""
        listed = self.stripe("/v1/events", type=type_, limit=100)["data"]
        return [e for e in listed if (e["data"]["object"].get("metadata") or {}).get("order_id") == order_id]

    def wait_for_delivered(self, type_, order_id, seconds=20):
        """The event of `type_` for the order reached the gateway and was acknowledged (2xx): the webhook
        path, not only the return page, has seen the payment."""
        deadline = time.monotonic() + seconds
        while True:
            events = self.events(type_, order_id)
            delivered = []
            for event in events:
                records = self.stripe_helper_get("/_emulator/deliveries", event=event["id"])["data"]
                delivered += [r for r in records if r["status"] == "succeeded"]
            if delivered or time.monotonic() > deadline:
                assert delivered, f"no {type_} for order {order_id} was delivered to the gateway (events: {events})"
                return events
            time.sleep(0.1)

    def stripe_helper_get(self, path, **query):
        status, body = self._request(self.emulator + path + "?" + urllib.parse.urlencode(query))
        assert status == 200, body
        return body

    def emails_for(self, order_id):
        """The subjects of the emails the notifier wrote about the order (`.eml` files in local test mode)."""
        folder = self.data_dir / "notifier" / "outbox-mail"
        subjects = []
        for path in sorted(folder.glob("*.eml")) if folder.is_dir() else []:
            with open(path, "rb") as f:
                message = email.message_from_binary_file(f, policy=email.policy.default)
            if order_id in str(message["subject"]) or order_id in message.get_body(("plain",)).get_content():
                subjects.append(str(message["subject"]))
        return subjects

    def email_text(self, order_id, subject_start):
        """The plain text of the first email about the order whose subject starts with `subject_start`."""
        folder = self.data_dir / "notifier" / "outbox-mail"
        for path in sorted(folder.glob("*.eml")):
            with open(path, "rb") as f:
                message = email.message_from_binary_file(f, policy=email.policy.default)
            if str(message["subject"]).startswith(subject_start) and order_id in str(message["subject"]):
                return message.get_body(("plain",)).get_content()
        return None

    def wait_for_email(self, order_id, subject_start="Thank you", seconds=20):
        deadline = time.monotonic() + seconds
        while True:
            found = [s for s in self.emails_for(order_id) if s.startswith(subject_start)]
            if found or time.monotonic() > deadline:
                assert found, f"no email '{subject_start}...' about order {order_id}: {self.emails_for(order_id)}"
                return found
            time.sleep(0.1)
