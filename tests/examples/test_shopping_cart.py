"""The shopping cart example end to end, driven as a user drives it: HTTP requests in,
real SMTP mail out, a WebSocket live tail watching the bus, the example's own database
and boto3 for the dead-letter queue. The example runs as ``run`` starts it (its
launcher): ``busway serve``, ``busway worker`` and the email worker as processes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.request import Request, urlopen

import boto3
import pytest
from tests.examples.cart_support import Example, Tail, log_of, query, running_example, wait_until
from tests.mail import Mailbox, running_mailbox

# A day becomes three seconds, a failing reminder is retried after one second and
# dead-lettered after three tries, and billing fails twice before it succeeds.
SETTINGS = {
    "CART_REMINDER_DELAY_SECONDS": "3",
    "CART_MAIL_VISIBILITY_SECONDS": "1",
    "CART_MAIL_MAX_RECEIVES": "3",
    "CART_BILLING_FAILURES": "2",
}
PATTERN = {"source": ["cart", "cart.reminders"]}


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with running_mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def cart(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Example]:
    with running_example(tmp_path_factory.mktemp("cart"), mailbox, SETTINGS) as example:
        yield example


@pytest.fixture
def tail(cart: Example) -> Iterator[Tail]:
    watching = Tail(cart.options.endpoint, PATTERN)
    yield watching
    watching.close()


def add_item(cart: Example, **item: Any) -> tuple[int, dict[str, Any], float]:
    """POST /cart/items as the shop's front end does: (status, answer, seconds taken)."""
    body = json.dumps({"quantity": 1, "price": "12.50", **item}).encode()
    request = Request(
        cart.options.endpoint + "/cart/items",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    started = time.monotonic()
    with urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read()), time.monotonic() - started


def sqs_client(cart: Example) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=cart.options.endpoint,
        region_name="us-east-1",
        aws_access_key_id="user",
        aws_secret_access_key="user",
    )


def item_event(tail: Tail, cart_id: str) -> dict[str, Any]:
    """The ItemAdded event of ``cart_id`` as the live tail saw it."""
    found = wait_until(
        lambda: [e for e in tail.of_type("ItemAdded") if e["detail"]["cartId"] == cart_id],
        what=f"ItemAdded of {cart_id} on the tail",
    )
    event: dict[str, Any] = found[0]
    return event


def test_an_item_is_billed_reserved_confirmed_and_reminded(
    cart: Example, mailbox: Mailbox, tail: Tail
) -> None:
    status, answer, seconds = add_item(cart, cartId="c-ada", email="ada@example.com", sku="book")

    assert (status, answer) == (202, {"message": "message received"})
    assert seconds < 5  # answered once stored, before any consumer ran
    event = item_event(tail, "c-ada")
    assert event["source"] == "cart"
    assert event["detail"]["sku"] == "book"
    wait_until(lambda: mailbox.to("ada@example.com", "book is in your cart"), what="confirmation")
    reminder = wait_until(
        lambda: [e for e in tail.of_type("CartReminder") if e["detail"]["cartId"] == "c-ada"],
        what="the reminder on the tail",
    )[0]
    assert reminder["source"] == "cart.reminders"
    assert reminder["detail"]["itemEventId"] == event["id"]
    wait_until(lambda: mailbox.to("ada@example.com", "still in your cart"), what="reminder mail")
    billed = wait_until(
        lambda: query(
            cart, "SELECT cart_id, sku, amount_cents FROM charges WHERE event_id = ?", event["id"]
        ),
        what="the charge",
    )
    assert billed == [("c-ada", "book", 1250)], log_of(cart, "functions")
    attempts = query(cart, "SELECT count FROM attempts WHERE event_id = ?", event["id"])
    assert attempts == [(3,)]  # failed twice, retried by the target's RetryPolicy
    assert query(
        cart, "SELECT sku, quantity FROM reservations WHERE event_id = ?", event["id"]
    ) == [("book", 1)]


def test_a_billing_retry_after_success_bills_nothing_more(
    cart: Example, tail: Tail, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_item(cart, cartId="c-bob", email="bob@example.com", sku="lamp")
    event = item_event(tail, "c-bob")
    wait_until(lambda: query(cart, "SELECT 1 FROM charges WHERE event_id = ?", event["id"]))
    monkeypatch.setenv("CART_DB", str(cart.options.data / "cart.db"))
    from cart.functions import bill

    # At-least-once: the same event can be delivered again after it was billed.
    assert bill(event, None) == "already billed"
    assert len(query(cart, "SELECT 1 FROM charges WHERE event_id = ?", event["id"])) == 1


def test_an_unmailable_reminder_ends_in_the_dlq_and_is_redriven(
    cart: Example, mailbox: Mailbox, tail: Tail
) -> None:
    sqs = sqs_client(cart)
    dlq_url = sqs.get_queue_url(QueueName="cart-reminders-dlq")["QueueUrl"]
    mailbox.refuse.add("eve@example.com")
    add_item(cart, cartId="c-eve", email="eve@example.com", sku="pen")

    dead = wait_until(lambda: peek(sqs, dlq_url), timeout=25, what="the reminder in the DLQ")

    reminder = json.loads(dead[0]["Body"])
    assert reminder["detail-type"] == "CartReminder"
    assert reminder["detail"]["email"] == "eve@example.com"
    assert int(dead[0]["Attributes"]["ApproximateReceiveCount"]) >= 1
    assert "not sent (try 3)" in log_of(cart, "mailer")
    mailbox.refuse.discard("eve@example.com")  # the mailbox is fixed: send it again
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
    arn = dlq_arn["Attributes"]["QueueArn"]

    sqs.start_message_move_task(SourceArn=arn)

    wait_until(lambda: mailbox.to("eve@example.com", "still in your cart"), what="redriven mail")
    task = sqs.list_message_move_tasks(SourceArn=arn)["Results"][0]
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 1)
    assert peek(sqs, dlq_url) == []


def peek(sqs: Any, url: str) -> list[dict[str, Any]]:
    """The DLQ's messages, left where they are (visibility timeout 0)."""
    answer = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["All"]
    )
    return list(answer.get("Messages", []))
