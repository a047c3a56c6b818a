"""The email sender against a real SMTP server on loopback (aiosmtpd), and the mail it
renders."""

from __future__ import annotations

import asyncio
import email
from email import policy
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from tests.mail import Mailbox, start_mailbox
from tests.servers import free_port

from busway.config import load_settings
from busway.engine.senders.email import EmailSender, SmtpSettings, render_email
from busway.model import Outcome, SendResult
from busway.runtime import smtp_settings

EVENT = (
    '{"version":"0","id":"e-1","detail-type":"OrderPlaced","source":"shop",'
    '"account":"000000000000","time":"2026-05-01T12:00:00Z","region":"us-east-1",'
    '"resources":[],"detail":{"order":7}}'
)


def _check_login(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
    good = isinstance(auth, LoginPassword) and (auth.login, auth.password) == (b"bus", b"pw")
    return AuthResult(success=good, handled=False)


def send(settings: SmtpSettings, endpoint: str, message: str = EVENT) -> SendResult:
    sender = EmailSender(settings)
    return asyncio.run(
        sender.send(endpoint=endpoint, message=message, topic="orders", message_id="e-1.t/s.x")
    )


def test_an_event_is_mailed_with_its_type_and_source_as_subject(mailbox: Mailbox) -> None:
    settings = SmtpSettings(host="127.0.0.1", port=mailbox.port, sender="bus@example.com")
    result = send(settings, "mailto:ops@example.com")
    assert result.outcome is Outcome.DELIVERED
    (mail,) = mailbox.wait_for(1)
    assert (mail["From"], mail["To"]) == ("bus@example.com", "ops@example.com")
    assert mail["Subject"] == "OrderPlaced from shop"
    assert mail["X-Busway-Topic"] == "orders"
    assert '"order": 7' in mail.get_payload()


def test_a_refused_recipient_is_not_retried(mailbox: Mailbox) -> None:
    mailbox.refuse.add("gone@example.com")
    result = send(SmtpSettings(host="127.0.0.1", port=mailbox.port), "mailto:gone@example.com")
    assert (result.outcome, result.error_code) == (Outcome.FAILED, "ERROR_FROM_TARGET")
    assert result.error_message is not None and "550" in result.error_message


def test_a_temporary_refusal_is_retried(mailbox: Mailbox) -> None:
    mailbox.defer["busy@example.com"] = 1
    settings = SmtpSettings(host="127.0.0.1", port=mailbox.port)
    first = send(settings, "mailto:busy@example.com")
    second = send(settings, "mailto:busy@example.com")
    assert (first.outcome, first.error_code) == (Outcome.RETRY, "ERROR_FROM_TARGET")
    assert second.outcome is Outcome.DELIVERED


def test_no_server_listening_is_retried() -> None:
    result = send(SmtpSettings(host="127.0.0.1", port=free_port()), "mailto:a@example.com")
    assert (result.outcome, result.error_code) == (Outcome.RETRY, "CONNECTION_FAILURE")


def test_without_a_configured_server_mail_waits() -> None:
    result = send(SmtpSettings(), "mailto:a@example.com")
    assert result.outcome is Outcome.RETRY
    assert result.error_message is not None and "BUSWAY_SMTP_HOST" in result.error_message


def test_a_malformed_address_fails_at_once() -> None:
    result = send(SmtpSettings(host="127.0.0.1", port=1), "mailto:not an address")
    assert (result.outcome, result.error_code) == (Outcome.FAILED, "INVALID_PARAMETER")


def test_login_with_the_configured_credentials() -> None:
    box = start_mailbox(authenticator=_check_login, auth_require_tls=False)
    try:
        good = SmtpSettings(host="127.0.0.1", port=box.port, username="bus", password="pw")
        bad = SmtpSettings(host="127.0.0.1", port=box.port, username="bus", password="no")
        assert send(good, "mailto:a@example.com").outcome is Outcome.DELIVERED
        refused = send(bad, "mailto:a@example.com")
        assert (refused.outcome, refused.error_code) == (Outcome.FAILED, "NO_PERMISSIONS")
        assert len(box.wait_for(1)) == 1
    finally:
        box.controller.stop()


def test_an_unknown_security_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="smtp_security must be one of none, starttls, tls"):
        SmtpSettings(security="ssl")


def render(message: str, **options: Any) -> Message:
    mail = render_email(
        message,
        sender="bus@example.com",
        recipient="ops@example.com",
        topic="orders",
        message_id="e-1.topic:orders/sub-1.target",
        **options,
    )
    return email.message_from_bytes(mail.as_bytes(), policy=policy.default)


def test_rendering_an_event_indents_its_json() -> None:
    mail = render(EVENT)
    assert mail["Subject"] == "OrderPlaced from shop"
    body = mail.get_payload()
    assert body.startswith("{\n") and '\n  "detail": {\n    "order": 7\n  }' in body


def test_rendering_keeps_the_message_id_of_one_delivery_across_retries() -> None:
    assert render(EVENT)["Message-ID"] == render(EVENT)["Message-ID"]
    assert render(EVENT)["Message-ID"] == "<e-1.topic-orders-sub-1.target@busway>"


def test_rendering_a_json_string_sends_its_text() -> None:
    mail = render('"Order 7 shipped"')
    assert mail.get_payload().strip() == "Order 7 shipped"
    assert mail["Subject"] == "Notification from topic orders"


def test_rendering_text_that_is_not_json_sends_it_as_it_is() -> None:
    assert render("plain words").get_payload().strip() == "plain words"


def test_a_given_subject_wins_and_is_cut_to_100_characters() -> None:
    assert render(EVENT, subject="Hello")["Subject"] == "Hello"
    assert render(EVENT, subject="x" * 150)["Subject"] == "x" * 100


def test_smtp_settings_come_from_the_file_and_the_environment(tmp_path: Path) -> None:
    file = tmp_path / "busway.toml"
    file.write_text('smtp-host = "mail.example"\nsmtp-port = 587\nsmtp-security = "starttls"\n')
    env = {
        "BUSWAY_SMTP_PORT": "2525",
        "BUSWAY_SMTP_FROM": "bus@example.com",
        "BUSWAY_SMTP_USERNAME": "bus",
        "BUSWAY_SMTP_PASSWORD": "pw",
    }
    assert smtp_settings(load_settings(file=file, env=env)) == SmtpSettings(
        host="mail.example",
        port=2525,
        sender="bus@example.com",
        username="bus",
        password="pw",
        security="starttls",
    )
    with pytest.raises(ValueError, match="smtp_security"):
        smtp_settings(load_settings(env={"BUSWAY_SMTP_SECURITY": "ssl"}))


def test_mail_for_a_rule_target_names_no_topic() -> None:
    mail = render_email(
        '"hi"', sender="a@example.com", recipient="b@example.com", topic="", message_id="m"
    )
    assert mail["Subject"] == "Notification from Busway"
    assert mail["X-Busway-Topic"] is None


def test_a_line_break_in_a_detail_type_does_not_break_the_mail() -> None:
    event = EVENT.replace('"OrderPlaced"', '"Order\\r\\nBcc: x@evil.example"')
    mail = render(event)
    assert mail["Subject"] == "Order Bcc: x@evil.example from shop"
    assert mail["Bcc"] is None
