"""Sending mail over SMTP (smtplib), to the host and port the settings name."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from cart.settings import Settings


def send_mail(settings: Settings, *, to: str, subject: str, text: str, event_id: str) -> None:
    """Send one plain-text mail; raises ``smtplib.SMTPException`` (or ``OSError``) when
    the server refuses it or cannot be reached. The Message-ID is derived from the
    event, so a mail sent twice for one event is recognisably the same mail."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{event_id}@shopping-cart.busway>"
    message.set_content(text)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
