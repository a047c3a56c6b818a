"""Topics end to end: a real ``busway serve``, boto3 making a rule whose target is the
topic, subscriptions made with ``busway.Client``, a real SMTP server and HTTP sinks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.mail import Mailbox
from tests.servers import BuswayServer, Sink, start_busway, start_sink

from busway import Client
from busway.errors import RemoteError


@pytest.fixture
def server(tmp_path: Path, mailbox: Mailbox) -> Iterator[BuswayServer]:
    running = start_busway(
        tmp_path, smtp_host="127.0.0.1", smtp_port=mailbox.port, smtp_from="bus@example.com"
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuswayServer]:
    """One server, with topic ``orders``, for the tests that change nothing."""
    running = start_busway(tmp_path_factory.mktemp("shared"))
    httpx.post(f"{running.url}/topics", json={"name": "orders"}).raise_for_status()
    yield running
    running.stop()


@pytest.fixture
def client(server: BuswayServer) -> Iterator[Client]:
    with Client(server.url) as opened:
        yield opened


@pytest.fixture
def other_sink() -> Iterator[Sink]:
    started = start_sink()
    yield started
    started.stop()


def route_to_topic(server: BuswayServer, topic_arn: str) -> Any:
    events = server.client("events")
    events.put_rule(Name="orders", EventPattern='{"source": ["shop"]}')
    events.put_targets(Rule="orders", Targets=[{"Id": "topic", "Arn": topic_arn}])
    return events


def put_order(events: Any, **detail: Any) -> None:
    entry = {"Source": "shop", "DetailType": "OrderPlaced", "Detail": json.dumps(detail)}
    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0


def test_a_rule_fans_an_event_out_to_email_and_http_subscribers(
    server: BuswayServer, client: Client, mailbox: Mailbox, sink: Sink
) -> None:
    arn = client.create_topic("orders")
    assert arn == "arn:aws:sns:us-east-1:000000000000:orders"
    client.subscribe("orders", "ops@example.com", protocol="email")
    client.subscribe("orders", f"{sink.url}/hook")
    events = route_to_topic(server, arn)

    put_order(events, order=7)

    (mail,) = mailbox.wait_for(1)
    (request,) = sink.wait_for(1)
    assert (mail["To"], mail["From"]) == ("ops@example.com", "bus@example.com")
    assert mail["Subject"] == "OrderPlaced from shop"
    assert '"order": 7' in mail.get_payload()
    assert request.path == "/hook"
    assert json.loads(request.body)["detail"] == {"order": 7}


def test_filter_patterns_choose_the_subscribers(
    server: BuswayServer, client: Client, mailbox: Mailbox, sink: Sink, other_sink: Sink
) -> None:
    arn = client.create_topic("orders")
    big = {"detail": {"total": [{"numeric": [">=", 100]}]}}
    client.subscribe("orders", "big@example.com", protocol="email", filter_pattern=big)
    client.subscribe("orders", sink.url, filter_pattern={"detail": {"country": ["NL"]}})
    client.subscribe("orders", other_sink.url)
    events = route_to_topic(server, arn)

    put_order(events, total=250, country="DE")
    put_order(events, total=5, country="NL")

    assert len(other_sink.wait_for(2)) == 2
    assert [json.loads(r.body)["detail"]["country"] for r in sink.wait_for(1)] == ["NL"]
    (mail,) = mailbox.wait_for(1)
    assert '"total": 250' in mail.get_payload()


def reached(server: BuswayServer, topic: str, message: Any) -> list[str]:
    """The ids of the subscriptions a publish reached, as the API answers them."""
    answer = httpx.post(f"{server.url}/topics/{topic}/messages", json={"message": message})
    assert answer.status_code == 202, answer.text
    return sorted(answer.json()["subscriptions"])


def test_publish_answers_which_subscriptions_it_reached(
    server: BuswayServer, client: Client, sink: Sink
) -> None:
    client.create_topic("orders")
    nl = client.subscribe("orders", sink.url, filter_pattern={"country": ["NL"]})
    every = client.subscribe("orders", "mailto:all@example.com")
    nl_id, every_id = nl.rsplit(":", 1)[1], every.rsplit(":", 1)[1]
    assert reached(server, "orders", {"country": "NL"}) == sorted([nl_id, every_id])
    assert reached(server, "orders", {"country": "DE"}) == [every_id]
    assert reached(server, "orders", "not JSON") == [every_id]
    assert len(sink.wait_for(1)) == 1


def test_a_failing_subscriber_is_retried_alone(
    server: BuswayServer, client: Client, mailbox: Mailbox, sink: Sink
) -> None:
    mailbox.defer["busy@example.com"] = 1
    arn = client.create_topic("orders")
    client.subscribe("orders", "mailto:busy@example.com")
    client.subscribe("orders", sink.url)
    put_order(route_to_topic(server, arn), order=1)

    (mail,) = mailbox.wait_for(1, timeout=15)
    assert mail["To"] == "busy@example.com"
    assert mailbox.defer["busy@example.com"] == 0  # it was refused once, then retried
    assert len(sink.wait_for(1)) == 1
    assert len(sink.requests) == 1


def test_publish_reaches_a_queue_subscriber_and_topics_survive_a_restart(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    first = start_busway(tmp_path)
    try:
        with Client(first.url) as client:
            queue = client.create_queue("mail-outbox")
            client.create_topic("news", description="weekly")
            sub = client.subscribe("news", client.queue_arn(queue))
    finally:
        first.stop()
    second = start_busway(tmp_path)
    try:
        with Client(second.url) as client:
            assert [(t["name"], t["description"]) for t in client.topics()] == [("news", "weekly")]
            assert [s["arn"] for s in client.subscriptions("news")] == [sub]
            client.publish("news", {"headline": "hello"})
            queue = client.create_queue("mail-outbox")
            messages = client.receive_messages(queue, wait_seconds=5)
            assert [json.loads(m["Body"]) for m in messages] == [{"headline": "hello"}]
    finally:
        second.stop()


def test_unsubscribe_and_delete(server: BuswayServer, client: Client, sink: Sink) -> None:
    client.create_topic("orders")
    sub = client.subscribe("orders", sink.url)
    client.unsubscribe("orders", sub)
    assert client.subscriptions("orders") == []
    assert client.publish("orders", "nobody listens")
    client.delete_topic("orders")
    assert client.topics() == []
    with pytest.raises(RemoteError, match="Topic orders does not exist"):
        client.publish("orders", "x")


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "/topics", {"name": "bad name"}, 400, "Topic Name must be made up"),
        ("POST", "/topics", {}, 400, "name is required"),
        ("POST", "/topics", "[1]", 400, "must be a JSON object"),
        ("POST", "/topics", "{nope", 400, "not valid JSON"),
        ("POST", "/topics", {"name": "orders"}, 409, "Topic orders already exists."),
        ("GET", "/topics/ghost", None, 404, "Topic ghost does not exist."),
        ("DELETE", "/topics/ghost", None, 404, "Topic ghost does not exist."),
        ("DELETE", "/topics/orders/subscriptions/x", None, 404, "Subscription x does not"),
        ("POST", "/topics/orders/subscriptions", {"endpoint": "ftp://x"}, 400, "Endpoint"),
        (
            "POST",
            "/topics/orders/subscriptions",
            {"endpoint": "no-at-sign", "protocol": "email"},
            400,
            "is not an email address",
        ),
        (
            "POST",
            "/topics/orders/subscriptions",
            {"endpoint": "arn:aws:sns:us-east-1:000000000000:orders"},
            400,
            "Endpoint",
        ),
        (
            "POST",
            "/topics/orders/subscriptions",
            {"endpoint": "a@example.com", "protocol": "email", "filter_pattern": {"a": 1}},
            400,
            "Event pattern is not valid.",
        ),
        (
            "POST",
            "/topics/orders/subscriptions",
            {"endpoint": "http://127.0.0.1:1/", "colour": "red"},
            400,
            "unknown subscription setting colour",
        ),
        (
            "POST",
            "/topics/orders/subscriptions",
            {"endpoint": "http://127.0.0.1:1/", "retry_policy": {"maximum_retry_attempts": "3"}},
            400,
            "retry_policy.maximum_retry_attempts must be an integer from 0 to 185",
        ),
        (
            "POST",
            "/topics/orders/subscriptions",
            {"endpoint": "http://127.0.0.1:1/", "dead_letter_config": {"arn": "http://x"}},
            400,
            "dead_letter_config.arn must be a queue ARN",
        ),
        (
            "POST",
            "/topics/orders/subscriptions",
            {"endpoint": "http://127.0.0.1:1/", "http_parameters": {"header_parameters": [1]}},
            400,
            "http_parameters.header_parameters",
        ),
        ("POST", "/topics/orders/messages", {}, 400, "Empty message"),
        ("POST", "/topics/orders/messages", {"message": "x", "subject": "a\nb"}, 400, "Subject"),
    ],
)
def test_bad_requests_get_clear_4xx_answers(
    shared: BuswayServer,
    *,
    method: str,
    path: str,
    body: Any,
    status: int,
    message: str,
) -> None:
    with httpx.Client(base_url=shared.url) as http:
        content = body if isinstance(body, str) or body is None else json.dumps(body)
        answer = http.request(method, path, content=content)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["message"]


def test_with_auth_the_api_takes_only_signed_requests(tmp_path: Path) -> None:
    running = start_busway(tmp_path, auth=True, credentials={"AKID": "s3cret"})
    try:
        unsigned = httpx.post(f"{running.url}/topics", json={"name": "orders"})
        assert unsigned.status_code == 403
        assert unsigned.json()["code"] == "MissingAuthenticationTokenException"
        bad = Client(running.url, access_key_id="AKID", secret_access_key="wrong")
        with bad, pytest.raises(RemoteError, match="InvalidSignatureException"):
            bad.create_topic("orders")
        with Client(running.url, access_key_id="AKID", secret_access_key="s3cret") as good:
            good.create_topic("orders")
            assert [t["name"] for t in good.topics()] == ["orders"]
    finally:
        running.stop()


def test_a_function_subscriber_gets_the_message_as_its_event(
    server: BuswayServer, client: Client
) -> None:
    function = {"name": "billing", "concurrency": 1, "timeout": 5}
    body = {"worker": "w", "functions": [function], "max": 1, "wait": 0}
    invocations = f"{server.url}/functions/invocations"
    assert httpx.post(invocations, json=body).json() == {"invocations": []}  # the worker is up
    client.create_topic("orders")
    client.subscribe("orders", "arn:aws:lambda:us-east-1:000000000000:function:billing")
    client.publish("orders", {"order": 7})
    answer = httpx.post(invocations, json={**body, "wait": 10}, timeout=30)
    (invocation,) = answer.json()["invocations"]
    assert invocation["function"] == "billing"
    assert invocation["event"] == {"order": 7}
