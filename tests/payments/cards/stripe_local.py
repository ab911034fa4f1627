"""The test side of Stripe: localstripe in its own process, a thin proxy in front of it, and signed events.

- `LocalStripe` starts `localstripe_server.py` (localstripe's aiohttp app on 127.0.0.1) and stops it.
- `DeclineProxy` forwards every request to localstripe unchanged, except the declines localstripe cannot produce
  on a saved card: a charge (`POST /v1/payment_intents`) of a card the test marked is answered the way Stripe
  answers it — HTTP 402 with Stripe's error object (`card_error`; `expired_card`, `card_declined` with a decline
  code, `insufficient_funds`, `processing_error`, `authentication_required`) — and a 3-D Secure completion of
  such a refused PaymentIntent is carried out. That is all it adds.
- `sign` builds the `Stripe-Signature` header with Stripe's documented scheme (HMAC-SHA256 of
  "<timestamp>.<payload>" with the endpoint secret), for the events localstripe does not emit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SERVER = Path(__file__).with_name("localstripe_server.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalStripe:
    """One localstripe process per test run (it pickles its state to a fixed file in /tmp)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"localstripe did not start: {self.process.stderr.read().decode()}") from None
                time.sleep(0.1)

    def register_webhook(self, name: str, url: str, secret: str) -> None:
        data = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
        urllib.request.urlopen(f"{self.url}/_config/webhooks/{name}", data=data, timeout=10).read()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


# Stripe's error objects (https://docs.stripe.com/api/errors: type, code, decline_code, message, param,
# payment_intent) for the declines localstripe cannot produce on a saved card, as Stripe answers an off-session
# `POST /v1/payment_intents` with `confirm=true`: HTTP 402, `type: card_error`. The messages are Stripe's own.
DECLINES = {
    "expired_card": {
        "code": "expired_card",
        "decline_code": "expired_card",
        "message": "Your card has expired.",
        "param": "exp_month",
    },
    "card_declined": {"code": "card_declined", "decline_code": "do_not_honor", "message": "Your card was declined."},
    "insufficient_funds": {
        "code": "card_declined",
        "decline_code": "insufficient_funds",
        "message": "Your card has insufficient funds.",
    },
    "processing_error": {
        "code": "processing_error",
        "message": "An error occurred while processing your card. Try again in a little bit.",
    },
    "authentication_required": {
        "code": "authentication_required",
        "decline_code": "authentication_required",
        "message": "Your card was declined. This transaction requires authentication.",
    },
}


class DeclineProxy:
    """A pass-through proxy to localstripe that adds, in the open, the declines localstripe lacks.

    `proxy.decline(payment_method_id, kind)` marks a saved card (kind: a key of `DECLINES`); `proxy.clear(id)`
    unmarks it. Every other request goes to localstripe unchanged (response headers too, so Stripe.js's
    cross-origin calls keep localstripe's CORS headers). For a charge of a marked card the proxy:

    1. asks localstripe for the PaymentIntent *without* confirming it, so a real `pi_…` exists (Stripe keeps the
       refused PaymentIntent too, in `requires_payment_method`, and sends it inside the error), and
    2. answers 402 with Stripe's error object for that decline, the PaymentIntent (its status set to
       `requires_payment_method` and its `last_payment_error` to the error) inside.

    `authentication_required` is what Stripe answers an off-session charge the bank wants confirmed: the
    cardholder must come back on-session and confirm that PaymentIntent with Stripe.js. localstripe's fake
    Stripe.js completes a 3-D Secure challenge by posting to `/v1/payment_intents/{id}/_authenticate`, which
    localstripe only accepts in `requires_action`; for the PaymentIntents this proxy refused, a successful
    authentication is answered by confirming the PaymentIntent at localstripe (which charges the card and sends
    `payment_intent.succeeded` to the registered webhook), as Stripe does once the bank approves.

    It also serves localstripe's fake Stripe.js (`/js.stripe.com/v3/`) inside a block, so that its top-level
    `class Element` does not shadow the page's `window.Element` (see `_forward`).
    """

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.declines: dict[str, str] = {}
        self.refused_intents: dict[str, str] = {}  # pi id → kind, for the 3-D Secure completion above
        self.requests: list[tuple[str, str]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _upstream(self, path, body, headers):
                request = urllib.request.Request(proxy.upstream + path, data=body, method=self.command, headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        return response.status, response.read(), response.headers
                except urllib.error.HTTPError as error:
                    return error.code, error.read(), error.headers

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                proxy.requests.append((self.command, self.path))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                path = urllib.parse.urlsplit(self.path).path
                if self.command == "POST" and path == "/v1/payment_intents" and body:
                    fields = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
                    kind = proxy.declines.get(fields.get("payment_method", [""])[0])
                    if kind:
                        return self._decline(kind, fields, headers)
                if self.command == "POST" and path.endswith("/_authenticate"):
                    intent_id = path.split("/")[3]
                    if intent_id in proxy.refused_intents and "success=true" in self.path:
                        confirm = f"/v1/payment_intents/{intent_id}/confirm"
                        status, answer, _headers = self._upstream(
                            confirm, b"", {"Authorization": "Bearer sk_test_declineProxy"}
                        )
                        return self._answer(status, answer, {"Content-Type": "application/json"})
                status, answer, response_headers = self._upstream(self.path, body, headers)
                if self.command == "GET" and path == "/js.stripe.com/v3/" and status == 200:
                    # localstripe's fake Stripe.js declares `class Element` at the top level of a classic script,
                    # which shadows the DOM's `window.Element` for every script of the page (htmx's and
                    # Bootstrap's `instanceof Element` checks then fail). Stripe's real Stripe.js does not: served
                    # here inside a block, its class stays local; `Stripe` is still assigned globally.
                    answer = b"{\n" + answer + b"\n}\n"
                return self._answer(status, answer, response_headers)

            def _decline(self, kind, fields, headers):
                for name in ("confirm", "off_session"):
                    fields.pop(name, None)
                body = urllib.parse.urlencode(fields, doseq=True).encode()
                status, answer, _headers = self._upstream("/v1/payment_intents", body, headers)
                if status != 200:
                    return self._answer(status, answer, {"Content-Type": "application/json"})
                intent = json.loads(answer)
                error = {"type": "card_error", **DECLINES[kind]}
                intent.update(status="requires_payment_method", last_payment_error=error)
                proxy.refused_intents[intent["id"]] = kind
                payload = {"error": {**error, "payment_intent": intent}}
                return self._answer(402, json.dumps(payload).encode(), {"Content-Type": "application/json"})

            def _answer(self, status, body, headers):
                self.send_response(status)
                skip = ("content-length", "transfer-encoding", "connection", "date", "server")
                for name, value in headers.items():
                    if name.lower() not in skip:
                        self.send_header(name, value)
                origin = self.headers.get("Origin")
                if origin and not any(name.lower() == "access-control-allow-origin" for name in headers):
                    self.send_header("Access-Control-Allow-Origin", origin)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = do_OPTIONS = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def decline(self, payment_method_id: str, kind: str) -> None:
        """Charges of this saved card are refused with Stripe's `kind` decline (a key of DECLINES)."""
        if kind not in DECLINES:
            raise ValueError(f"unknown decline {kind!r}: one of {sorted(DECLINES)}")
        self.declines[payment_method_id] = kind

    def clear(self, payment_method_id: str) -> None:
        self.declines.pop(payment_method_id, None)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header for `payload`, by Stripe's documented scheme."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class WebhookCatcher:
    """A tiny HTTP server on 127.0.0.1 that keeps what localstripe posts to it (body and signature header)."""

    def __init__(self):
        self.received: list[tuple[bytes, str]] = []
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                catcher.received.append((body, self.headers.get("Stripe-Signature", "")))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, event_type: str, timeout: float = 10) -> tuple[bytes, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for body, signature in self.received:
                if json.loads(body)["type"] == event_type:
                    return body, signature
            time.sleep(0.1)
        raise AssertionError(f"localstripe sent no {event_type}")

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
