"""The cart's functions, run by ``busway worker cart.functions:app``.

Each ``@app.on`` makes a rule on the default bus that sends matching events to the
function; the worker creates the rules, targets and dead-letter queues when it starts.
Handlers have Lambda's signature, so they would run on AWS Lambda unchanged.
"""

from __future__ import annotations

import logging
from typing import Any

import busway
from cart import store
from cart.mail import mail_once
from cart.reminders import schedule_reminder
from cart.settings import Settings

app = busway.App("cart")
ITEM_ADDED = {"source": ["cart"], "detail-type": ["ItemAdded"]}
_log = logging.getLogger("cart")


class PaymentGatewayError(RuntimeError):
    """The payment provider did not answer (simulated with CART_BILLING_FAILURES)."""


@app.on(
    ITEM_ADDED, retry=busway.Retry(attempts=5, max_event_age=3600), dead_letter="cart-billing-dlq"
)
def bill(event: dict[str, Any], context: Any) -> str:
    """Charge the item once per ItemAdded event, however often the event comes."""
    settings, item = Settings.from_env(), event["detail"]
    attempt = store.count_attempt(settings.database, "billing", event["id"])
    if attempt <= settings.billing_failures:
        raise PaymentGatewayError(f"payment gateway timed out (attempt {attempt})")
    amount = round(float(item["price"]) * 100) * int(item.get("quantity", 1))
    with store.connect(settings.database) as conn:
        if store.seen(conn, "billing", event["id"]):
            return "already billed"
        conn.execute(
            "INSERT INTO charges VALUES (?, ?, ?, ?)",
            (event["id"], item["cartId"], item["sku"], amount),
        )
        store.mark_processed(conn, "billing", event["id"])
    _log.info("billed cart %s: %s for %d cents", item["cartId"], item["sku"], amount)
    return "billed"


@app.on(ITEM_ADDED, retry=5, dead_letter="cart-warehouse-dlq")
def reserve_stock(event: dict[str, Any], context: Any) -> str:
    """Reserve the item in the warehouse, once per event."""
    settings, item = Settings.from_env(), event["detail"]
    with store.connect(settings.database) as conn:
        if store.seen(conn, "warehouse", event["id"]):
            return "already reserved"
        conn.execute(
            "INSERT INTO reservations VALUES (?, ?, ?)",
            (event["id"], item["sku"], int(item.get("quantity", 1))),
        )
        store.mark_processed(conn, "warehouse", event["id"])
    _log.info("reserved %s x %s", item.get("quantity", 1), item["sku"])
    return "reserved"


@app.on(ITEM_ADDED, retry=2, dead_letter="cart-email-dlq")
def confirm_by_email(event: dict[str, Any], context: Any) -> str:
    """Mail the customer that the item is in their cart (at most once per event, bar a
    crash between the send and its record)."""
    settings, item = Settings.from_env(), event["detail"]
    sent = mail_once(
        settings,
        kind="confirmation",
        event_id=event["id"],
        to=item["email"],
        subject=f"{item['sku']} is in your cart",
        text=f"You added {item.get('quantity', 1)} x {item['sku']} to cart {item['cartId']}.",
    )
    return "mailed" if sent else "already mailed"


@app.on(ITEM_ADDED, retry=5, dead_letter="cart-reminder-dlq")
def remind_later(event: dict[str, Any], context: Any) -> str:
    """Schedule the reminder mail (one schedule per event, named after it)."""
    name = schedule_reminder(Settings.from_env(), event["detail"], event_id=event["id"])
    _log.info("scheduled %s", name)
    return name
