"""Sending mail over SMTP (smtplib), to the host and port the settings name."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from cart import store
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


def mail_once(
    settings: Settings, *, kind: str, event_id: str, to: str, subject: str, text: str
) -> bool:
    """Send the ``kind`` mail of one event unless it was sent already (deliveries are at
    least once); False when it was. The send is recorded after it succeeds, so only a
    crash between the two can send it twice."""
    with store.connect(settings.database) as conn:
        if store.seen(conn, kind, event_id):
            return False
    send_mail(settings, to=to, subject=subject, text=text, event_id=event_id)
    with store.connect(settings.database) as conn:
        store.mark_processed(conn, kind, event_id)
    return True
