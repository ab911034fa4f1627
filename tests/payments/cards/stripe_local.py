"""The test side of Stripe: localstripe in its own process, a thin proxy in front of it, and signed events.

- `LocalStripe` starts `localstripe_server.py` (localstripe's aiohttp app on 127.0.0.1) and stops it.
- `ExpiredCardProxy` forwards every request to localstripe unchanged, except one behaviour localstripe lacks:
  a charge (`POST /v1/payment_intents`) of a card the test marked as expired is answered the way Stripe
  answers an expired saved card — HTTP 402, `card_error`, code `expired_card`. That is all it adds.
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


class ExpiredCardProxy:
    """A pass-through proxy to localstripe that declines charges of `expired` PaymentMethod ids with expired_card."""

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.expired: set[str] = set()
        self.requests: list[tuple[str, str]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                proxy.requests.append((self.command, self.path))
                if self.command == "POST" and self.path.startswith("/v1/payment_intents") and body:
                    fields = urllib.parse.parse_qs(body.decode())
                    if fields.get("payment_method", [""])[0] in proxy.expired:
                        # What Stripe answers when a saved card has expired since it was saved.
                        error = {
                            "error": {
                                "type": "card_error",
                                "code": "expired_card",
                                "decline_code": "expired_card",
                                "message": "Your card has expired.",
                                "param": "exp_month",
                            }
                        }
                        return self._answer(402, json.dumps(error).encode(), "application/json")
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                request = urllib.request.Request(
                    proxy.upstream + self.path, data=body, method=self.command, headers=headers
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        return self._answer(response.status, response.read(), response.headers.get("Content-Type"))
                except urllib.error.HTTPError as error:
                    return self._answer(error.code, error.read(), error.headers.get("Content-Type"))

            def _answer(self, status, body, content_type):
                self.send_response(status)
                self.send_header("Content-Type", content_type or "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

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
