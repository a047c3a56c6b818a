"""The email worker: a plain Python process that polls the reminders queue with boto3's
``sqs`` client and mails each reminder over SMTP.

A message is deleted only after its mail went out. When the send fails, the message is
left alone: it comes back after the queue's visibility timeout and is tried again, and
after ``maxReceiveCount`` receives Busway moves it to the dead-letter queue, where it
waits to be inspected and redriven (``python -m cart.dlq``).

Run it with ``python -m cart.mailer`` (settings from ``CART_*``, see cart/settings.py).
"""

from __future__ import annotations

import json
import logging
import signal
import smtplib
import threading
from typing import Any

from cart.mail import mail_once
from cart.settings import Settings, client
from cart.setup import REMINDERS_QUEUE

_log = logging.getLogger("cart.mailer")


def mail_reminder(settings: Settings, event: dict[str, Any]) -> None:
    """Mail one CartReminder event, unless it was mailed already (at-least-once)."""
    reminder = event["detail"]
    mail_once(
        settings,
        kind="reminder",
        event_id=event["id"],
        to=reminder["email"],
        subject=f"{reminder['sku']} is still in your cart",
        text=f"Your cart {reminder['cartId']} is waiting for you: {reminder['sku']}.",
    )


def poll_once(settings: Settings, sqs: Any, url: str, *, wait: int = 5) -> int:
    """Receive up to ten reminders and mail them; answer how many were mailed."""
    answer = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait, AttributeNames=["All"]
    )
    mailed = 0
    for message in answer.get("Messages", []):
        event = json.loads(message["Body"])
        tries = message["Attributes"]["ApproximateReceiveCount"]
        try:
            mail_reminder(settings, event)
        except (smtplib.SMTPException, OSError) as error:
            _log.warning("reminder %s not sent (try %s), will retry: %s", event["id"], tries, error)
            continue
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        _log.info("reminder %s mailed to %s", event["id"], event["detail"]["email"])
        mailed += 1
    return mailed


def run(settings: Settings, stop: threading.Event) -> None:
    """Poll until ``stop`` is set."""
    sqs = client("sqs", settings)
    url = sqs.get_queue_url(QueueName=REMINDERS_QUEUE)["QueueUrl"]
    _log.info("mailing reminders from %s via %s:%s", url, settings.smtp_host, settings.smtp_port)
    while not stop.is_set():
        poll_once(settings, sqs, url, wait=1)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="email worker: %(message)s")
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    run(Settings.from_env(), stop)


if __name__ == "__main__":
    main()
