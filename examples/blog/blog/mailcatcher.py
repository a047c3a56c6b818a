"""A local SMTP server that prints the mails it receives, so the example shows its
notifications without a real mail server. ``python -m blog.mailcatcher --port 8025``."""

from __future__ import annotations

import argparse
import signal
import threading
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller


class PrintingHandler:
    """aiosmtpd's DATA hook: print each mail's envelope, subject and text."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        mail = message_from_bytes(envelope.content, policy=policy.default)
        body = mail.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        recipients = ", ".join(envelope.rcpt_tos)
        print(f"\n--- mail to {recipients}: {mail['Subject']}\n{text.rstrip()}\n---", flush=True)
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    arguments = parser.parse_args()
    controller = Controller(PrintingHandler(), hostname=arguments.host, port=arguments.port)
    controller.start()
    stopped = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stopped.set())
    print(f"mail catcher: printing mails sent to {arguments.host}:{arguments.port}", flush=True)
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
