"""WebSocket targets, subscriptions and ``@connections`` against a real server, with
real WebSocket clients and boto3."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import botocore.exceptions
import httpx
import orjson
import pytest
from tests.servers import BuswayServer, start_busway
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from busway import Client

ACCOUNT = "arn:aws:execute-api:us-east-1:000000000000"
WAIT = 10.0


def ws_url(server: BuswayServer, **query: str) -> str:
    return server.url.replace("http://", "ws://") + "/ws?" + urlencode(query)


@pytest.fixture
def sockets(busway: BuswayServer) -> Iterator[Callable[..., ClientConnection]]:
    with ExitStack() as stack:

        def open_socket(**query: str) -> ClientConnection:
            return stack.enter_context(connect(ws_url(busway, **query), open_timeout=WAIT))

        yield open_socket


def route(events: Any, rule: str, *, bus: str = "default", **target: Any) -> None:
    events.put_rule(Name=rule, EventBusName=bus, EventPattern='{"source": ["blog"]}')
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "push", **target}])


def put(events: Any, detail: dict[str, Any], *, bus: str = "default") -> None:
    entry = {
        "Source": "blog",
        "DetailType": "PostUpdated",
        "Detail": orjson.dumps(detail).decode(),
        "EventBusName": bus,
    }
    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0


def receive(connection: ClientConnection) -> Any:
    return orjson.loads(connection.recv(timeout=WAIT))


def test_target_pushes_to_the_connections_of_the_key_in_the_event(
    events: Any, sockets: Callable[..., ClientConnection]
) -> None:
    events.create_event_bus(Name="websocket")
    route(
        events,
        "to-author",
        bus="websocket",
        Arn=f"{ACCOUNT}:busway/channel/posts/*",
        HttpParameters={"PathParameterValues": ["$.detail.author"]},
        InputTransformer={
            "InputPathsMap": {"title": "$.detail.title"},
            "InputTemplate": '{"updated": <title>}',
        },
    )
    alice, alice_too, bob = (
        sockets(channel="posts", key="alice"),
        sockets(channel="posts", key="alice"),
        sockets(channel="posts", key="bob"),
    )
    put(events, {"author": "alice", "title": "Hello"}, bus="websocket")
    assert receive(alice) == {"updated": "Hello"}
    assert receive(alice_too) == {"updated": "Hello"}
    # Pushes of one delivery are queued to every recipient at once: had bob been sent
    # alice's post, it would come before his own.
    put(events, {"author": "bob", "title": "Mine"}, bus="websocket")
    assert receive(bob) == {"updated": "Mine"}


def test_channel_target_broadcasts_the_whole_event(
    busway: BuswayServer, events: Any, sockets: Callable[..., ClientConnection]
) -> None:
    route(events, "everyone", Arn=f"{ACCOUNT}:busway/channel/news")
    first, second = sockets(channel="news"), sockets(channel="news", key="carol")
    other = sockets(channel="sport")
    put(events, {"n": 1})
    for connection in (first, second):
        event = receive(connection)
        assert (event["source"], event["detail"]) == ("blog", {"n": 1})
    # Had the broadcast reached the other channel, it would come before this marker.
    other_id = other.response.headers["x-busway-connection-id"]
    busway.client("apigatewaymanagementapi").post_to_connection(
        ConnectionId=other_id, Data=b"marker"
    )
    assert other.recv(timeout=WAIT) == "marker"


def test_gone_connection_fails_into_the_dead_letter_queue(busway: BuswayServer) -> None:
    events, sqs = busway.client("events"), busway.client("sqs")
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
    route(
        events,
        "direct",
        Arn=f"{ACCOUNT}:busway/connection/*",
        HttpParameters={"PathParameterValues": ["$.detail.connection"]},
        DeadLetterConfig={"Arn": dlq_arn["Attributes"]["QueueArn"]},
    )
    put(events, {"connection": "nobody-here"})
    answer = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=10, MessageAttributeNames=["All"])
    (message,) = answer["Messages"]
    attributes = message["MessageAttributes"]
    assert attributes["ERROR_CODE"]["StringValue"] == "NO_RESOURCE"
    assert "nobody-here" in attributes["ERROR_MESSAGE"]["StringValue"]


def test_connections_api_posts_describes_and_disconnects(
    busway: BuswayServer, sockets: Callable[..., ClientConnection]
) -> None:
    connection = sockets()
    connection_id = connection.response.headers["x-busway-connection-id"]
    management = busway.client("apigatewaymanagementapi")
    management.post_to_connection(ConnectionId=connection_id, Data=b"hello there")
    assert connection.recv(timeout=WAIT) == "hello there"
    described = management.get_connection(ConnectionId=connection_id)
    assert described["Identity"]["SourceIp"] == "127.0.0.1"
    assert described["ConnectedAt"] <= described["LastActiveAt"]
    listed = httpx.get(f"{busway.url}/@connections").json()["connections"]
    assert [c["connectionId"] for c in listed] == [connection_id]

    management.delete_connection(ConnectionId=connection_id)
    with pytest.raises(ConnectionClosedOK):
        connection.recv(timeout=WAIT)
    wait_until(lambda: not httpx.get(f"{busway.url}/@connections").json()["connections"])
    with pytest.raises(botocore.exceptions.ClientError) as gone:
        management.post_to_connection(ConnectionId=connection_id, Data=b"anyone?")
    assert gone.value.response["Error"]["Code"] == "GoneException"
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410


def test_post_over_128_kib_is_refused(
    busway: BuswayServer, sockets: Callable[..., ClientConnection]
) -> None:
    connection_id = sockets().response.headers["x-busway-connection-id"]
    management = busway.client("apigatewaymanagementapi")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        management.post_to_connection(ConnectionId=connection_id, Data=b"x" * (128 * 1024 + 1))
    assert refused.value.response["Error"]["Code"] == "PayloadTooLargeException"


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({"key": "alice"}, 400, "A key needs a channel: ?channel=NAME&key=VALUE."),
        ({"bus": "nope"}, 404, "Event bus nope does not exist."),
        (
            {"pattern": '{"source": "blog"}'},
            400,
            'Event pattern is not valid. Reason: "source" must be an object or an array',
        ),
    ],
)
def test_bad_subscriptions_are_refused(
    busway: BuswayServer, query: dict[str, str], status: int, message: str
) -> None:
    with pytest.raises(InvalidStatus) as refused, connect(ws_url(busway, **query)):
        pass
    response = refused.value.response
    assert response.status_code == status
    assert orjson.loads(response.body or b"")["message"] == message


def wait_until(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


class TestAuthentication:
    @pytest.fixture
    def server(self, tmp_path: Path) -> Iterator[BuswayServer]:
        server = start_busway(tmp_path, auth=True, credentials={"AKID": "s3cret"})
        yield server
        server.stop()

    def test_handshake_needs_a_token(self, server: BuswayServer) -> None:
        for headers, status in (({}, 401), ({"Authorization": "Bearer AKID:wrong"}, 403)):
            with (
                pytest.raises(InvalidStatus) as refused,
                connect(ws_url(server), additional_headers=headers),
            ):
                pass
            assert refused.value.response.status_code == status

    def test_key_pair_in_the_header_not_the_url(self, server: BuswayServer) -> None:
        bearer = {"Authorization": "Bearer AKID:s3cret"}
        with connect(ws_url(server), additional_headers=bearer) as connection:
            assert connection.response.status_code == 101
        with pytest.raises(InvalidStatus) as refused, connect(ws_url(server, token="AKID:s3cret")):
            pass
        assert refused.value.response.status_code == 403
        assert b"never in the URL" in (refused.value.response.body or b"")

    def test_connections_api_takes_sigv4_or_the_token(self, server: BuswayServer) -> None:
        bearer = {"Authorization": "Bearer AKID:s3cret"}
        with connect(ws_url(server), additional_headers=bearer) as connection:
            connection_id = connection.response.headers["x-busway-connection-id"]
            signed = server.client(
                "apigatewaymanagementapi", access_key="AKID", secret_key="s3cret"
            )
            signed.post_to_connection(ConnectionId=connection_id, Data=b"signed")
            assert connection.recv(timeout=WAIT) == "signed"
            path = f"{server.url}/@connections/{connection_id}"
            assert httpx.post(path, content=b"bearer", headers=bearer).status_code == 200
            assert connection.recv(timeout=WAIT) == "bearer"
            stranger = server.client("apigatewaymanagementapi", access_key="AKID", secret_key="x")
            with pytest.raises(botocore.exceptions.ClientError) as refused:
                stranger.get_connection(ConnectionId=connection_id)
            assert refused.value.response["Error"]["Code"] == "ForbiddenException"
            assert httpx.get(path).status_code == 403

    def test_connect_token_allows_only_its_channel_and_key(self, server: BuswayServer) -> None:
        with Client(server.url, access_key_id="AKID", secret_access_key="s3cret") as client:
            token = client.connect_token("posts", key="alice")
            expired = client.connect_token("posts", key="alice", expires_in=-1)
        with Client(server.url, access_key_id="AKID", secret_access_key="guess") as forger:
            forged = forger.connect_token("posts", key="alice")
        refusals = [
            ({"channel": "posts", "key": "bob", "token": token}, 403, "only subscribe to"),
            ({"bus": "default", "token": token}, 403, "only subscribe to"),
            ({"token": expired}, 401, "The connect token has expired."),
            ({"token": forged}, 403, "The security token included in the request is invalid."),
        ]
        for query, status, message in refusals:
            with pytest.raises(InvalidStatus) as refused, connect(ws_url(server, **query)):
                pass
            assert refused.value.response.status_code == status
            assert message in orjson.loads(refused.value.response.body or b"")["message"]
        with connect(ws_url(server, token=token)) as connection:
            bearer = {"Authorization": "Bearer AKID:s3cret"}
            listed = httpx.get(f"{server.url}/@connections", headers=bearer).json()
            (described,) = listed["connections"]
            assert (described["channel"], described["key"]) == ("posts", "alice")
            path = f"{server.url}/@connections/{described['connectionId']}"
            as_user = {"Authorization": f"Bearer {token}"}
            assert httpx.post(path, content=b"x", headers=as_user).status_code == 403
            assert connection.response.status_code == 101


def test_closed_connection_is_forgotten(
    busway: BuswayServer, sockets: Callable[..., ClientConnection]
) -> None:
    connection = sockets(channel="news")
    connection.close()
    wait_until(lambda: not httpx.get(f"{busway.url}/@connections").json()["connections"])
    with pytest.raises(ConnectionClosed):
        connection.recv(timeout=0)


def test_connection_too_far_behind_is_closed(busway: BuswayServer) -> None:
    # The client reads nothing (and compresses nothing, with a small receive buffer):
    # once the network buffers fill, messages wait in the server's outbox for this
    # connection until it holds OUTBOX_LIMIT of them, and then it is closed.
    host, port = busway.url.removeprefix("http://").split(":")
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect((host, int(port)))
    with connect(ws_url(busway), sock=raw, compression=None, max_queue=1) as stalled:
        path = f"{busway.url}/@connections/{stalled.response.headers['x-busway-connection-id']}"
        chunk = os.urandom(64 * 1024)
        with httpx.Client() as http:
            for _ in range(5_000):
                if http.post(path, content=chunk).status_code == 410:
                    break
            else:
                pytest.fail("the stalled connection was never closed")
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                stalled.recv(timeout=WAIT)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1013
