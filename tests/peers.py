"""Real peers on loopback for the alert tests: an SMTP server and a webhook receiver.

Both keep what they received in memory; the tests read it back from them. ``cpu_hogs`` keeps
the machine's cores busy while a test runs, to find the races that only a loaded machine shows.
"""

import ctypes
import email
import os
import signal
import subprocess
import sys
import threading
import time
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
    # Why the signature did not verify ("" when it did), and when the request arrived.
    error: str = ""
    arrived: float = 0.0


@dataclass
class Receiver:
    """An HTTP server that verifies each request's Standard Webhooks signature."""

    secret: str = ""
    # What it answers a verified request with; a request that fails verification gets 401.
    status: int = 204
    received: list[Received] = field(default_factory=list)
    port: int = 0
    # Requests cut off before their body was whole (the sender died): never delivered.
    incomplete: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/milepost"

    @property
    def verified_ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.received if r.verified]

    @property
    def refused(self) -> list[str]:
        """Each request that did not verify: its id, timestamp, arrival and the reason."""
        return [
            f"{r.headers.get('webhook-id')} stamped {r.headers.get('webhook-timestamp')}, "
            f"arrived {r.arrived:.3f}, body {len(r.body)} bytes: {r.error}"
            for r in self.received
            if not r.verified
        ]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            declared = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(declared)
            if len(body) < declared:
                # The sender went away part-way through (a worker killed between its headers and
                # its body): no message was delivered, as any HTTP server would see it, and the
                # retry brings it whole under the same webhook-id.
                receiver.incomplete += 1
                self.close_connection = True
                return
            arrived = time.time()
            headers = {k.lower(): v for k, v in self.headers.items()}
            error = ""
            try:
                Webhook(receiver.secret).verify(body, headers)
            except WebhookVerificationError as exc:
                error = str(exc) or exc.__class__.__name__
            receiver.received.append(
                Received(self.path, headers, body, not error, error=error, arrived=arrived)
            )
            verified = not error
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


# prctl(2), looked up once here: after a fork only async-signal-safe work is allowed, no imports.
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Have the calling process (a child about to ``exec``) be killed when its parent dies.

    For ``subprocess.Popen(preexec_fn=...)``: a test killed by a timeout or Ctrl-C runs no
    ``finally``, and a worker it started would otherwise live on, delivering to whatever later
    listens on its old loopback port. Linux only; elsewhere it does nothing.
    """
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


# Each hog spins one core until it is killed; it talks to nothing.
_SPIN = "while True: pass"


@contextmanager
def cpu_hogs(count: int) -> Iterator[int]:
    """Keep ``count`` cores busy with spinning processes while the block runs; yield the count.

    Plain Python processes rather than stress-ng, so nothing beyond the venv is needed. They run
    at the test's own priority: the workers under test compete with them for every time slice.
    """
    hogs = [
        subprocess.Popen([sys.executable, "-c", _SPIN], preexec_fn=die_with_parent)
        for _ in range(count)
    ]
    try:
        yield count
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def cpu_hogs_wanted() -> int:
    """How many spinning processes the load tests start: ``MILEPOST_TEST_CPU_HOGS`` (0 = none)."""
    value = os.environ.get("MILEPOST_TEST_CPU_HOGS", "").strip()
    return int(value) if value else 0
