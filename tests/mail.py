"""A real SMTP server on loopback (aiosmtpd) that keeps the mail it gets: the server of
the email sender, topic and example tests."""

from __future__ import annotations

import email
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from tests.servers import free_port


@dataclass
class Mailbox:
    """An SMTP server that keeps every mail. Recipients in ``refuse`` get a 550; those
    in ``defer`` get a 451 for their next ``defer[address]`` messages."""

    port: int = 0
    mails: list[Message] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    defer: dict[str, int] = field(default_factory=dict)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    controller: Any = None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        for address in envelope.rcpt_tos:
            if self.defer.get(address, 0) > 0:
                self.defer[address] -= 1
                return "451 4.3.0 Try again later"
        with self.arrived:
            self.mails.append(email.message_from_bytes(envelope.content, policy=policy.default))
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Message]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.mails) >= count, timeout)
            return list(self.mails)

    def to(self, address: str, subject_part: str = "") -> list[Message]:
        """The mail to ``address`` so far (whose subject holds ``subject_part``)."""
        with self.arrived:
            return [m for m in self.mails if m["To"] == address and subject_part in m["Subject"]]


@contextmanager
def running_mailbox(**options: Any) -> Iterator[Mailbox]:
    box = start_mailbox(**options)
    try:
        yield box
    finally:
        box.controller.stop()


def start_mailbox(**options: Any) -> Mailbox:
    box = Mailbox(port=free_port())
    box.controller = Controller(box, hostname="127.0.0.1", port=box.port, **options)
    box.controller.start()
    return box
