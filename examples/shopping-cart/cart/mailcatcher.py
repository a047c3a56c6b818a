"""A local SMTP server that prints every mail it receives (aiosmtpd), for running the
example without a real mail server: ``python -m cart.mailcatcher [PORT]``."""

from __future__ import annotations

import signal
import sys
import threading
from email import message_from_bytes
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller


class PrintingHandler:
    """Prints each mail: who to, the subject and the text."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        mail = message_from_bytes(envelope.content, policy=default)
        body = mail.get_body(("plain",))
        text = body.get_content().strip() if body is not None else ""
        print(f"mail to {', '.join(envelope.rcpt_tos)}: {mail['Subject']}\n    {text}", flush=True)
        return "250 OK"


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8025
    controller = Controller(PrintingHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"mail catcher: listening on 127.0.0.1:{port}", flush=True)
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
