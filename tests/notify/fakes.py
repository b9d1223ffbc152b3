"""Local stand-ins for the SMS provider (Brevo) and a Web Push service,
served over HTTP on 127.0.0.1 by the tests, so the real adapters speak to
them as to the real services and nothing leaves the machine. They keep
what they received; tests steer their answers."""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeHttp:
    """Answers each request with ``answer(request)``; records them all."""

    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: Received) -> tuple[int, Any]:
        return 200, {}

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    "POST",
                    self.path,
                    {key.lower(): value for key, value in self.headers.items()},
                    self.rfile.read(length),
                )
                with fake._lock:
                    fake.received.append(request)
                    status, body = fake.answer(request)
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class FakeBrevo(FakeHttp):
    """``POST /v3/transactionalSMS/send`` as Brevo documents it: the
    ``api-key`` header, a JSON body, 201 with the message id; 401 for a
    wrong key; ``refuse_with`` makes the next answers an error."""

    api_key: str = "xkeysib-test"
    refuse_with: tuple[int, str, str] | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1511882900176220))

    def answer(self, request: Received) -> tuple[int, Any]:
        if request.path != "/v3/transactionalSMS/send":
            return 404, {"code": "not_found", "message": "Invalid route"}
        if request.headers.get("api-key") != self.api_key:
            return 401, {"code": "unauthorized", "message": "Key not found"}
        if self.refuse_with is not None:
            status, code, message = self.refuse_with
            return status, {"code": code, "message": message}
        return 201, {"messageId": next(self._ids)}

    @property
    def messages(self) -> list[Any]:
        return [request.json() for request in self.received]


@dataclass
class FakePushService(FakeHttp):
    """Accepts pushes with 201; a path listed in ``statuses`` gets that
    status instead (410: the subscription is gone)."""

    statuses: dict[str, int] = field(default_factory=dict)

    def answer(self, request: Received) -> tuple[int, Any]:
        return self.statuses.get(request.path, 201), None
