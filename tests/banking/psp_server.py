"""A local PSP for the tests: the subset of the Central Bank's API Pix that Quita uses, over real HTTP.

OAuth2 client credentials (`POST /oauth/token`), `PUT`/`PATCH`/`GET /v2/cobv/{txid}`, and a "payer" that makes the PSP
POST its webhook (`{webhookUrl}/pix`, body `{"pix": [...]}`) as the API Pix describes.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from quita.banking.pix import brcode

TXID = re.compile(r"^[a-zA-Z0-9]{26,35}$")


class FakePsp:
    """Start with `FakePsp(client_id, client_secret).start()`; `base_url`, `token_url`; `pay(...)` sends a webhook."""

    def __init__(self, client_id: str = "quita", client_secret: str = "s3cret"):
        self.client_id, self.client_secret = client_id, client_secret
        self.tokens: set[str] = set()
        self.charges: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []
        self.webhook_url = ""
        # Set to an HTTP status to make every PATCH fail with it (a PSP that is down or refuses).
        self.patch_fails_with: int | None = None
        psp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _authorized(self) -> bool:
                header = self.headers.get("Authorization", "")
                return header.startswith("Bearer ") and header[7:] in psp.tokens

            def do_POST(self):  # noqa: N802
                psp.requests.append(("POST", self.path))
                if self.path != "/oauth/token":
                    return self._send(404, {"title": "Not found"})
                expected = base64.b64encode(f"{psp.client_id}:{psp.client_secret}".encode()).decode()
                form = parse_qs(self._body().decode())
                if self.headers.get("Authorization") != f"Basic {expected}":
                    return self._send(401, {"error": "invalid_client"})
                if form.get("grant_type") != ["client_credentials"]:
                    return self._send(400, {"error": "unsupported_grant_type"})
                token = secrets.token_hex(16)
                psp.tokens.add(token)
                return self._send(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

            def do_PUT(self):  # noqa: N802
                psp.requests.append(("PUT", self.path))
                if not self._authorized():
                    return self._send(401, {"title": "Unauthorized"})
                match = re.fullmatch(r"/v2/cobv/([^/]+)", self.path)
                if not match:
                    return self._send(404, {"title": "Not found"})
                txid = match.group(1)
                body = json.loads(self._body())
                if not TXID.match(txid):
                    return self._send(400, {"title": "txid inválido", "violacoes": [{"propriedade": "txid"}]})
                missing = [k for k in ("calendario", "valor", "chave", "devedor") if k not in body]
                if missing or "dataDeVencimento" not in body["calendario"] or "original" not in body["valor"]:
                    return self._send(400, {"title": "Cobrança inválida", "violacoes": missing})
                location = f"psp.example/qr/v2/cobv/{secrets.token_hex(8)}"
                charge = {
                    **body,
                    "txid": txid,
                    "revisao": 0,
                    "status": "ATIVA",
                    "loc": {"id": len(psp.charges) + 1, "location": location, "tipoCob": "cobv"},
                    "location": location,
                    "pixCopiaECola": brcode.make_dynamic(location=location, name="PSP TESTE", city="SAO PAULO"),
                }
                psp.charges[txid] = charge
                return self._send(201, charge)

            def do_PATCH(self):  # noqa: N802
                """Revise a cobv: the given top-level objects replace the charge's; `revisao` goes up by one."""
                psp.requests.append(("PATCH", self.path))
                if not self._authorized():
                    return self._send(401, {"title": "Unauthorized"})
                match = re.fullmatch(r"/v2/cobv/([^/]+)", self.path)
                if not match or match.group(1) not in psp.charges:
                    return self._send(404, {"title": "Cobrança não encontrada"})
                if psp.patch_fails_with is not None:
                    return self._send(psp.patch_fails_with, {"title": "Serviço indisponível"})
                charge = psp.charges[match.group(1)]
                body = json.loads(self._body())
                if charge["status"] != "ATIVA":
                    return self._send(400, {"title": "Cobrança não está ativa", "violacoes": ["status"]})
                if "valor" in body and "original" not in body["valor"]:
                    return self._send(400, {"title": "Cobrança inválida", "violacoes": ["valor.original"]})
                charge.update({key: value for key, value in body.items() if key in ("valor", "calendario", "devedor")})
                charge["revisao"] += 1
                return self._send(200, charge)

            def do_GET(self):  # noqa: N802
                psp.requests.append(("GET", self.path))
                if not self._authorized():
                    return self._send(401, {"title": "Unauthorized"})
                match = re.fullmatch(r"/v2/cobv/([^/]+)", self.path)
                if not match or match.group(1) not in psp.charges:
                    return self._send(404, {"title": "Cobrança não encontrada"})
                return self._send(200, psp.charges[match.group(1)])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v2"

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/oauth/token"

    def start(self) -> FakePsp:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def pay(self, txid: str, amount: str, end_to_end_id: str, horario: str = "2025-02-20T14:30:00.000Z") -> int:
        """A payer pays the charge: the PSP POSTs its webhook. Returns the HTTP status Quita answered."""
        if txid in self.charges:
            self.charges[txid]["status"] = "CONCLUIDA"
        body = {
            "pix": [
                {
                    "endToEndId": end_to_end_id,
                    "txid": txid,
                    "valor": amount,
                    "horario": horario,
                    "pagador": {"nome": "Maria Silva", "cpf": "12345678909"},
                }
            ]
        }
        request = urllib.request.Request(
            f"{self.webhook_url}/pix",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
