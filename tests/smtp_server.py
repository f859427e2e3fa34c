"""A real SMTP server on loopback (aiosmtpd), for delivery tests and the benchmark.

Never a mock: the worker speaks SMTP over a socket to this server, which can be stopped and
started again on the same port (the "mail server down for an hour" case), started only later on
a port where nothing listens yet, told to refuse some recipients for good (5xx), and told to
hold its answer to an accepted message (a worker killed meanwhile never hears the "250").
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from flask import Flask


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Handler:
    def __init__(self, server: LoopbackSmtp) -> None:
        self.server = server

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: list[str]) -> str:
        if address.lower() in self.server.refused_senders:
            return "553 5.7.1 Expéditeur non autorisé"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        reply = self.server.refused.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.server.lock:
            if (self.server.fail_after is not None
                    and len(self.server.raw) >= self.server.fail_after):
                return "421 4.3.2 Service temporairement indisponible"
        with self.server.lock:
            # Parsed on demand (``messages``): parsing here would make the server, not the
            # worker, the bottleneck of the benchmark.
            self.server.raw.append(envelope.content)
            self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            hold = (self.server.hold_after is not None
                    and len(self.server.raw) > self.server.hold_after)
        # The message is kept: from here on it counts as delivered, whether or not the client
        # lives to read the answer. If the client goes away, aiosmtpd cancels this wait.
        while hold and self.server.hold_after is not None:
            await asyncio.sleep(0.05)
        return "250 Message accepted for delivery"


class LoopbackSmtp:
    """An SMTP server on 127.0.0.1 that keeps every message it accepts."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.raw: list[bytes] = []
        self._parsed: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refused: dict[str, str] = {}
        self.refused_senders: set[str] = set()
        # After this many accepted messages, answer 421 to every DATA (server going down).
        self.fail_after: int | None = None
        # After this many accepted messages, keep the next ones but hold the "250" until
        # ``release()``: the sender is left in the middle of an SMTP transaction.
        self.hold_after: int | None = None
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        """Every accepted message, parsed (in the order received)."""
        with self.lock:
            for content in self.raw[len(self._parsed):]:
                self._parsed.append(
                    email.message_from_bytes(content, policy=email.policy.default))  # type: ignore[arg-type]
            return list(self._parsed)

    def clear(self) -> None:
        with self.lock:
            self.raw.clear()
            self._parsed.clear()
            self.envelopes.clear()

    def start(self) -> None:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def release(self) -> None:
        """Answer the held messages and hold no more (see ``hold_after``)."""
        self.hold_after = None

    def refuse(self, address: str, reply: str = "550 5.1.1 Adresse inconnue") -> None:
        """Answer ``reply`` to RCPT TO for this address (550: refused for good)."""
        self.refused[address.lower()] = reply

    def received_by(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if str(m["To"]).lower() == address.lower()]

    def configure(self, app: Flask) -> None:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=self.port,
                          MAIL_SUPPRESS_SEND=False, MAIL_TIMEOUT=5)
