"""PixProvider: charges with due date (cobv) at a PSP, shaped after the Central Bank's "API Pix".

`ApiPixProvider` speaks the subset Quita uses: the OAuth2 client-credentials token, `PUT /cobv/{txid}` (create),
`PATCH /cobv/{txid}` (revise the amount), `GET /cobv/{txid}` (read), and the webhook body the PSP POSTs for
received PIX (`{"pix": [...]}`). The HTTP client is the standard library's: no dependency for five requests.
"""

from __future__ import annotations

import base64
import datetime
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol


class PixProviderError(RuntimeError):
    """The PSP refused or could not be reached; `status` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass
class DueCharge:
    """A cobv as the PSP holds it."""

    txid: str
    status: str
    location: str = ""
    payload: str = ""
    amount: Decimal = Decimal("0.00")
    raw: dict = field(default_factory=dict)


@dataclass
class ReceivedPix:
    """One received PIX from a webhook or a query: unique by end-to-end id."""

    end_to_end_id: str
    txid: str
    amount: Decimal
    paid_at: datetime.datetime
    payer: str = ""
    raw: dict = field(default_factory=dict)


class PixProvider(Protocol):
    """What Quita needs from a PSP."""

    name: str

    def create_due_charge(
        self,
        *,
        txid: str,
        key: str,
        amount: Decimal,
        due_date: datetime.date,
        payer_name: str,
        payer_document: str,
        fine_percent: Decimal,
        interest_percent_month: Decimal,
    ) -> DueCharge: ...

    def revise_due_charge(
        self, *, txid: str, amount: Decimal, fine_percent: Decimal, interest_percent_month: Decimal
    ) -> DueCharge: ...

    def read_due_charge(self, txid: str) -> DueCharge: ...


def _valor(amount: Decimal, fine_percent: Decimal, interest_percent_month: Decimal) -> dict:
    """The cobv's `valor`: the original amount, and the fine and interest as percentages (modalities 2 and 3)."""
    valor = {"original": f"{amount:.2f}"}
    if fine_percent:
        valor["multa"] = {"modalidade": "2", "valorPerc": f"{fine_percent:.2f}"}
    if interest_percent_month:
        valor["juros"] = {"modalidade": "3", "valorPerc": f"{interest_percent_month:.2f}"}
    return valor


def parse_webhook(body: bytes | str) -> list[ReceivedPix]:
    """The PIX of a webhook POST (`{"pix": [{"endToEndId", "txid", "valor", "horario", ...}]}`)."""
    try:
        data = json.loads(body)
        items = data["pix"]
        received = []
        for item in items:
            paid_at = datetime.datetime.fromisoformat(item["horario"].replace("Z", "+00:00"))
            if paid_at.tzinfo is None:
                raise ValueError("horario without a time zone")
            payer = item.get("pagador") or {}
            received.append(
                ReceivedPix(
                    end_to_end_id=str(item["endToEndId"]),
                    txid=str(item.get("txid") or ""),
                    amount=Decimal(str(item["valor"])),
                    paid_at=paid_at,
                    payer=str(payer.get("nome") or item.get("infoPagador") or ""),
                    raw=item,
                )
            )
        return received
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        raise PixProviderError(f"webhook body is not an API Pix notification: {error}") from None


class ApiPixProvider:
    """A PSP that implements the Central Bank's API Pix (v2): OAuth2 token, then `/cobv/{txid}`."""

    name = "api-pix"

    def __init__(self, *, base_url: str, token_url: str, client_id: str, client_secret: str, timeout: float = 10):
        self.base_url = base_url.rstrip("/")
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self._token: str | None = None
        self._token_expires = 0.0

    def _request(
        self, method: str, url: str, *, body: dict | None = None, headers: dict | None = None, form: str | None = None
    ) -> dict:
        data = form.encode() if form is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310
        if form is None and body is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            detail = error.read()[:500].decode("utf-8", "replace")
            raise PixProviderError(f"{method} {url}: HTTP {error.code} {detail}", status=error.code) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise PixProviderError(f"{method} {url}: {error}") from None

    def token(self) -> str:
        """An OAuth2 access token (client credentials), cached until shortly before it expires."""
        if self._token and time.monotonic() < self._token_expires:
            return self._token
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        answer = self._request(
            "POST",
            self.token_url,
            form="grant_type=client_credentials&scope=cobv.write%20cobv.read",
            headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
        )
        self._token = answer["access_token"]
        self._token_expires = time.monotonic() + max(int(answer.get("expires_in", 300)) - 30, 1)
        return self._token

    def _authorized(self, method: str, path: str, body: dict | None = None) -> dict:
        return self._request(
            method, f"{self.base_url}{path}", body=body, headers={"Authorization": f"Bearer {self.token()}"}
        )

    @staticmethod
    def _charge(answer: dict) -> DueCharge:
        return DueCharge(
            txid=answer.get("txid", ""),
            status=answer.get("status", ""),
            location=answer.get("loc", {}).get("location", "") or answer.get("location", ""),
            payload=answer.get("pixCopiaECola", ""),
            amount=Decimal(str(answer.get("valor", {}).get("original", "0"))),
            raw=answer,
        )

    def create_due_charge(
        self, *, txid, key, amount, due_date, payer_name, payer_document, fine_percent, interest_percent_month
    ) -> DueCharge:
        """`PUT /cobv/{txid}`: the charge with its due date, fine and interest (modality 2: percentages)."""
        document = "".join(ch for ch in payer_document if ch.isdigit())
        body = {
            "calendario": {"dataDeVencimento": due_date.isoformat(), "validadeAposVencimento": 60},
            "devedor": {("cnpj" if len(document) == 14 else "cpf"): document, "nome": payer_name[:200]},
            "valor": _valor(amount, fine_percent, interest_percent_month),
            "chave": key,
        }
        return self._charge(self._authorized("PUT", f"/cobv/{txid}", body))

    def revise_due_charge(self, *, txid, amount, fine_percent, interest_percent_month) -> DueCharge:
        """`PATCH /cobv/{txid}`: a new `valor.original` (the whole `valor` is sent, fine and interest unchanged)."""
        body = {"valor": _valor(amount, fine_percent, interest_percent_month)}
        return self._charge(self._authorized("PATCH", f"/cobv/{txid}", body))

    def read_due_charge(self, txid: str) -> DueCharge:
        """`GET /cobv/{txid}`."""
        return self._charge(self._authorized("GET", f"/cobv/{txid}"))
