"""The email sender: a topic's email subscriptions, sent over SMTP.

An endpoint is ``mailto:<address>``. Each attempt opens one SMTP session to the
configured server (plain, STARTTLS or implicit TLS, with optional login). The
``Message-ID`` is the same on every retry of one delivery, so a mail client shows a
message sent twice once. SMTP replies map onto the dead-letter codes of
``busway.engine.senders.classify``: 4xx and lost connections are retried, 5xx is not.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Final

import aiosmtplib
import orjson

from busway.engine.senders.classify import (
    CONNECTION_FAILURE,
    ERROR_FROM_TARGET,
    INVALID_PARAMETER,
    NO_PERMISSIONS,
    TIMEOUT,
)
from busway.model import SendResult

SECURITY_MODES: Final = ("none", "starttls", "tls")
MAX_SUBJECT_CHARS: Final = 100
MAILTO: Final = "mailto:"


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where email goes out. ``host`` None: no server is configured."""

    host: str | None = None
    port: int = 25
    sender: str = "busway@localhost"
    username: str | None = None
    password: str | None = None
    security: str = "none"
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.security not in SECURITY_MODES:
            raise ValueError(
                f"smtp_security must be one of {', '.join(SECURITY_MODES)}, not {self.security!r}"
            )


def address_of(endpoint: str) -> str:
    """The address of a ``mailto:`` endpoint."""
    return endpoint.removeprefix(MAILTO)


def is_address(text: str) -> bool:
    """A plausible single mailbox: one ``@`` with text on both sides, no spaces or
    header-breaking characters."""
    local, at, domain = text.partition("@")
    bad = any(c.isspace() or c in ",;<>\"'" for c in text)
    return bool(at and local and domain and "@" not in domain and not bad)


def render_email(
    message: str,
    *,
    sender: str,
    recipient: str,
    topic: str,
    message_id: str,
    subject: str | None = None,
) -> EmailMessage:
    """The mail for one topic message (``topic`` empty: a rule's ``mailto:`` target):
    an event shows its detail-type and source in the subject and its JSON, indented,
    in the body; a JSON string is sent as its text."""
    parsed = _parsed(message)
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = recipient
    # Whitespace folded: an event's detail-type may hold a line break, a header may not.
    mail["Subject"] = " ".join((subject or _subject(parsed, topic=topic)).split())[
        :MAX_SUBJECT_CHARS
    ]
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = f"<{_id_part(message_id)}@busway>"
    if topic:
        mail["X-Busway-Topic"] = topic
    mail.set_content(_body(parsed, message))
    return mail


def _id_part(message_id: str) -> str:
    # A Message-ID's left part is a dot-atom: no ':' or '/' (delivery ids have both).
    return "".join(c if c.isalnum() or c in ".-_" else "-" for c in message_id)


def _parsed(message: str) -> Any:
    try:
        return orjson.loads(message)
    except orjson.JSONDecodeError:
        return message


def _subject(parsed: Any, *, topic: str) -> str:
    if isinstance(parsed, dict) and parsed.get("detail-type") and parsed.get("source"):
        return f"{parsed['detail-type']} from {parsed['source']}"
    return f"Notification from topic {topic}" if topic else "Notification from Busway"


def _body(parsed: Any, message: str) -> str:
    if isinstance(parsed, str):
        return parsed
    if isinstance(parsed, dict | list):
        return orjson.dumps(parsed, option=orjson.OPT_INDENT_2).decode()
    return message


class EmailSender:
    """Sends topic messages to ``mailto:`` endpoints through ``settings``' server, at
    most ``max_sessions`` SMTP sessions at a time (a burst must not flood the server)."""

    def __init__(self, settings: SmtpSettings, *, max_sessions: int = 8) -> None:
        self.settings = settings
        self._sessions = asyncio.Semaphore(max_sessions)

    async def send(
        self,
        *,
        endpoint: str,
        message: str,
        topic: str,
        message_id: str,
        subject: str | None = None,
    ) -> SendResult:
        """Mail ``message`` to the endpoint's address; never raises for a failed send."""
        s = self.settings
        recipient = address_of(endpoint)
        if not is_address(recipient):
            return SendResult.failed(INVALID_PARAMETER, f"{endpoint} is not an email address")
        if not s.host:
            # Retried, not dropped: mail waits for an operator to configure a server.
            return SendResult.retry(
                CONNECTION_FAILURE, "No SMTP server is configured (set BUSWAY_SMTP_HOST)"
            )
        mail = render_email(
            message,
            sender=s.sender,
            recipient=recipient,
            topic=topic,
            message_id=message_id,
            subject=subject,
        )
        async with self._sessions:
            return await self._submit(mail)

    async def _submit(self, mail: EmailMessage) -> SendResult:
        s = self.settings
        try:
            await aiosmtplib.send(
                mail,
                hostname=s.host,
                port=s.port,
                username=s.username,
                password=s.password,
                use_tls=s.security == "tls",
                start_tls=s.security == "starttls",
                timeout=s.timeout,
            )
        except Exception as error:
            return smtp_failure(error)
        return SendResult.delivered()


def smtp_failure(error: Exception) -> SendResult:
    """The outcome of a send that raised ``error``."""
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return SendResult.failed(NO_PERMISSIONS, f"SMTP login refused: {error.message}")
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused) and error.recipients:
        error = error.recipients[0]
    if isinstance(error, aiosmtplib.SMTPTimeoutError | asyncio.TimeoutError):
        return SendResult.retry(TIMEOUT, f"SMTP server did not answer in time: {error}")
    if isinstance(error, aiosmtplib.SMTPResponseException) and error.code >= 400:
        text = f"SMTP {error.code}: {error.message}"
        if error.code >= 500:
            return SendResult.failed(ERROR_FROM_TARGET, text)
        return SendResult.retry(ERROR_FROM_TARGET, text)
    return SendResult.retry(CONNECTION_FAILURE, f"{type(error).__name__}: {error}")
