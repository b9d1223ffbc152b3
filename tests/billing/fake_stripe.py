"""A local stand-in for the few Stripe endpoints Flotte uses, served over
HTTP on loopback so the official ``stripe`` client talks to it exactly as to
Stripe (form-encoded requests, idempotency keys, error bodies, expansions).

Tests steer it: which cards decline or need authentication, whether the
fee is known yet, a server error on the next calls, and they read what it
received."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

Obj = dict[str, Any]

# How a saved card behaves when charged.
CARD_OK = "ok"
CARD_DECLINED = "declined"
CARD_AUTHENTICATION = "authentication_required"


def _nest(pairs: list[tuple[str, str]]) -> Obj:
    """``metadata[invoice]=3&expand[0]=x`` to ``{"metadata": {"invoice":
    "3"}, "expand": ["x"]}``, as Stripe reads its form encoding."""
    out: Obj = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node: Any = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                if isinstance(node, list):
                    node.append(value)
                else:
                    node[part] = value
            else:
                nxt = parts[i + 1]
                default: Any = [] if nxt.isdigit() else {}
                node = node.setdefault(part, default) if isinstance(node, dict) else node
    return out


@dataclass
class FakeStripe:
    secret_key: str = "sk_test_flotte"
    webhook_secret: str = "whsec_flotte"
    customers: dict[str, Obj] = field(default_factory=dict)
    setup_intents: dict[str, Obj] = field(default_factory=dict)
    payment_methods: dict[str, Obj] = field(default_factory=dict)
    payment_intents: dict[str, Obj] = field(default_factory=dict)
    charges: dict[str, Obj] = field(default_factory=dict)
    refunds: dict[str, Obj] = field(default_factory=dict)
    transfers: dict[str, Obj] = field(default_factory=dict)
    # Card behaviour by payment method id.
    cards: dict[str, str] = field(default_factory=dict)
    # Whether a charge's balance transaction (and so its fee) exists yet.
    fee_known: bool = True
    # Answer this many next requests with a 500, as an outage would.
    failures_to_come: int = 0
    requests: list[tuple[str, str, Obj, str | None]] = field(default_factory=list)
    _idempotent: dict[str, tuple[int, Obj]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    # -- running -------------------------------------------------------
    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, method: str) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                pairs = parse_qsl(body if method == "POST" else url.query, keep_blank_values=True)
                status, payload = fake.handle(
                    method,
                    url.path,
                    _nest(pairs),
                    self.headers.get("Authorization", ""),
                    self.headers.get("Idempotency-Key"),
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_{next(fake._ids)}")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def do_DELETE(self) -> None:
                self._answer("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # -- steering ------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}"

    def saved_card(self, behaviour: str = CARD_OK, *, last4: str = "4242") -> str:
        """A card as the browser would have saved it; returns its id."""
        pm = self.new_id("pm")
        self.payment_methods[pm] = {
            "id": pm,
            "object": "payment_method",
            "type": "card",
            "card": {"brand": "visa", "last4": last4, "exp_month": 12, "exp_year": 2030},
        }
        self.cards[pm] = behaviour
        return pm

    def confirm_setup(self, setup_ref: str, behaviour: str = CARD_OK) -> str:
        """What the member's browser does with the client secret: the
        SetupIntent succeeds with a new card."""
        pm = self.saved_card(behaviour)
        intent = self.setup_intents[setup_ref]
        intent.update(status="succeeded", payment_method=pm)
        return pm

    def settle_fees(self) -> None:
        """Balance transactions appear, with Stripe's actual fee."""
        for charge in self.charges.values():
            if charge["balance_transaction"] is None:
                charge["balance_transaction"] = self._balance_transaction(charge["amount"])

    def charges_made(self) -> int:
        """Successful or held payment intents: what a member would see on
        their card statement."""
        return sum(
            1
            for intent in self.payment_intents.values()
            if intent["status"] in ("succeeded", "requires_capture")
        )

    def event(self, kind: str, obj: Obj, *, event_id: str | None = None) -> Obj:
        return {
            "id": event_id or self.new_id("evt"),
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "data": {"object": obj},
        }

    def sign(self, payload: bytes, *, at: int | None = None, secret: str | None = None) -> str:
        """A ``Stripe-Signature`` header, computed as Stripe documents it."""
        stamp = int(time.time()) if at is None else at
        signed = f"{stamp}.".encode() + payload
        digest = hmac.new(
            (secret or self.webhook_secret).encode(), signed, hashlib.sha256
        ).hexdigest()
        return f"t={stamp},v1={digest}"

    # -- the API -------------------------------------------------------
    def handle(
        self, method: str, path: str, params: Obj, auth: str, key: str | None
    ) -> tuple[int, Obj]:
        with self._lock:
            self.requests.append((method, path, params, key))
            if auth != f"Bearer {self.secret_key}":
                return 401, _error("invalid_request_error", "Invalid API Key provided")
            if self.failures_to_come > 0:
                self.failures_to_come -= 1
                return 500, _error("api_error", "Something went wrong on Stripe's end")
            if key is not None and method == "POST":
                cache_key = f"{path}:{key}"
                if cache_key in self._idempotent:
                    return self._idempotent[cache_key]
            answer = self._route(method, path, params)
            if key is not None and method == "POST" and answer[0] < 500:
                self._idempotent[f"{path}:{key}"] = answer
            return answer

    def _route(self, method: str, path: str, params: Obj) -> tuple[int, Obj]:
        parts = path.strip("/").split("/")[1:]  # drop "v1"
        kind = parts[0] if parts else ""
        ref = parts[1] if len(parts) > 1 else None
        action = parts[2] if len(parts) > 2 else None
        expand = params.get("expand") or []
        if kind == "customers" and method == "DELETE":
            if self.customers.pop(ref or "", None) is None:
                return 404, {
                    "error": {
                        "type": "invalid_request_error",
                        "code": "resource_missing",
                        "message": f"No such customer: {ref!r}",
                    }
                }
            return 200, {"id": ref, "object": "customer", "deleted": True}
        if kind == "customers" and method == "POST" and ref is None:
            cus = {"id": self.new_id("cus"), "object": "customer", "email": params.get("email")}
            self.customers[cus["id"]] = cus
            return 200, cus
        if kind == "setup_intents":
            if method == "POST" and ref is None:
                seti = self.new_id("seti")
                self.setup_intents[seti] = {
                    "id": seti,
                    "object": "setup_intent",
                    "client_secret": f"{seti}_secret_x",
                    "customer": params.get("customer"),
                    "status": "requires_payment_method",
                    "payment_method": None,
                    "usage": params.get("usage"),
                }
                return 200, self.setup_intents[seti]
            if ref in self.setup_intents:
                return 200, self.setup_intents[ref]
        if kind == "payment_methods" and ref in self.payment_methods:
            return 200, self.payment_methods[ref]
        if kind == "payment_intents":
            if method == "POST" and ref is None:
                return self._intent_create(params)
            if ref in self.payment_intents:
                intent = self.payment_intents[ref]
                if action == "capture":
                    return self._capture(intent, params)
                if action == "cancel":
                    if intent["status"] in ("succeeded", "canceled"):
                        return 400, _error("invalid_request_error", "cannot cancel")
                    intent.update(status="canceled", amount_capturable=0)
                    return 200, self._expanded(intent, expand)
                return 200, self._expanded(intent, expand)
        if kind == "refunds":
            if method == "POST" and ref is None:
                return self._refund(params)
            if ref in self.refunds:
                return 200, self.refunds[ref]
        if kind == "transfers" and method == "POST" and ref is None:
            tr = {
                "id": self.new_id("tr"),
                "object": "transfer",
                "amount": int(params["amount"]),
                "currency": params.get("currency"),
                "destination": params.get("destination"),
            }
            self.transfers[tr["id"]] = tr
            return 200, tr
        return 404, _error("invalid_request_error", f"No such resource: {path}")

    def _balance_transaction(self, amount: int) -> Obj:
        # Stripe's EEA card price, rounded as Stripe does, plus one cent so
        # a test can tell the actual fee from Flotte's own estimate.
        fee = round(amount * 0.015) + 25 + 1
        return {"id": self.new_id("txn"), "object": "balance_transaction", "fee": fee}

    def _charge(self, intent: Obj, amount: int) -> str:
        ch = self.new_id("ch")
        self.charges[ch] = {
            "id": ch,
            "object": "charge",
            "amount": amount,
            "payment_intent": intent["id"],
            "balance_transaction": self._balance_transaction(amount) if self.fee_known else None,
        }
        return ch

    def _expanded(self, intent: Obj, expand: list[str]) -> Obj:
        out = dict(intent)
        if "latest_charge.balance_transaction" in expand and intent.get("latest_charge"):
            out["latest_charge"] = dict(self.charges[intent["latest_charge"]])
        return out

    def _intent_create(self, params: Obj) -> tuple[int, Obj]:
        pm = params.get("payment_method")
        if pm not in self.payment_methods:
            return 400, _error("invalid_request_error", f"No such PaymentMethod: {pm!r}")
        amount = int(params["amount"])
        manual = params.get("capture_method") == "manual"
        pi = self.new_id("pi")
        intent: Obj = {
            "id": pi,
            "object": "payment_intent",
            "amount": amount,
            "amount_received": 0,
            "amount_capturable": 0,
            "currency": params.get("currency"),
            "customer": params.get("customer"),
            "payment_method": pm,
            "capture_method": "manual" if manual else "automatic",
            "metadata": params.get("metadata") or {},
            "latest_charge": None,
            "last_payment_error": None,
            "status": "requires_payment_method",
        }
        self.payment_intents[pi] = intent
        behaviour = self.cards[pm]
        if behaviour == CARD_DECLINED:
            error = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "message": "Your card has insufficient funds.",
            }
            intent["last_payment_error"] = error
            return 402, {"error": {**error, "payment_intent": dict(intent)}}
        if behaviour == CARD_AUTHENTICATION:
            error = {
                "type": "card_error",
                "code": "authentication_required",
                "message": "Your card was declined. This transaction requires authentication.",
            }
            intent["last_payment_error"] = error
            return 402, {"error": {**error, "payment_intent": dict(intent)}}
        if manual:
            intent.update(status="requires_capture", amount_capturable=amount)
        else:
            intent.update(
                status="succeeded",
                amount_received=amount,
                latest_charge=self._charge(intent, amount),
            )
        return 200, self._expanded(intent, params.get("expand") or [])

    def _capture(self, intent: Obj, params: Obj) -> tuple[int, Obj]:
        if intent["status"] != "requires_capture":
            return 400, _error(
                "invalid_request_error",
                f"This PaymentIntent could not be captured because it has a status of "
                f"{intent['status']}.",
            )
        amount = int(params.get("amount_to_capture") or intent["amount_capturable"])
        if amount > intent["amount_capturable"]:
            return 400, _error("invalid_request_error", "amount_to_capture is too large")
        intent.update(
            status="succeeded",
            amount_received=amount,
            amount_capturable=0,
            latest_charge=self._charge(intent, amount),
        )
        return 200, self._expanded(intent, params.get("expand") or [])

    def _refund(self, params: Obj) -> tuple[int, Obj]:
        intent = self.payment_intents.get(params.get("payment_intent") or "")
        if intent is None or intent["status"] != "succeeded":
            return 400, _error("invalid_request_error", "This PaymentIntent has no charge")
        amount = int(params.get("amount") or intent["amount_received"])
        refunded = sum(
            r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"]
        )
        if refunded + amount > intent["amount_received"]:
            return 400, _error(
                "invalid_request_error", "Refund amount is greater than unrefunded amount"
            )
        re = {
            "id": self.new_id("re"),
            "object": "refund",
            "amount": amount,
            "payment_intent": intent["id"],
            "status": "succeeded",
            "failure_reason": None,
        }
        self.refunds[re["id"]] = re
        return 200, re


def _error(kind: str, message: str) -> Obj:
    return {"error": {"type": kind, "message": message}}
