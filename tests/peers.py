"""Real peers on loopback for the alert tests: an SMTP server and a webhook receiver.

Both keep what they received in memory; the tests read it back from them.
"""

import email
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


class Inbox:
    """What the SMTP server received; it refuses every recipient while ``refuse`` is set."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.refuse = ""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.raw.append(envelope.original_content)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class LoopbackController(Controller):
    """An SMTP server on a free loopback port.

    aiosmtpd 1.4.6 binds port 0 to a free port but then probes port 0 itself to see that the
    server answers, so the port the system chose is read back before that probe.
    """

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """Start an SMTP server on a free loopback port; yield what it receives and its port."""
    handler = Inbox()
    controller = LoopbackController(handler, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool


@dataclass
class Receiver:
    """An HTTP server that verifies each request's Standard Webhooks signature."""

    secret: str = ""
    # What it answers a verified request with; a request that fails verification gets 401.
    status: int = 204
    received: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/milepost"

    @property
    def verified_ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.received if r.verified]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                Webhook(receiver.secret).verify(body, headers)
                verified = True
            except WebhookVerificationError:
                verified = False
            receiver.received.append(Received(self.path, headers, body, verified))
            status = receiver.status if verified else 401
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            answer = b"receiver says no" if status >= 300 else b""
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    """Start a receiver on a free loopback port that verifies every signature it is sent."""
    found = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    found.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
