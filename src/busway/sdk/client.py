"""``busway.Client``: a synchronous client for a running Busway."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.session import get_session

from busway.config import client_credentials
from busway.config import endpoint_url as default_endpoint
from busway.errors import RemoteError
from busway.sdk.topics import NativeApi, TopicMethods

MAX_ENTRIES = 10
Pattern = Mapping[str, Any] | str


@dataclass(frozen=True, slots=True)
class PutResult:
    """One entry's outcome: its ``event_id``, or AWS's ``error_code`` and message."""

    event_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.event_id is not None


class Client(TopicMethods):
    """Talks to Busway at ``endpoint_url`` (default ``BUSWAY_ENDPOINT_URL`` or
    ``http://127.0.0.1:4780``). Credentials matter only when the server runs with
    ``--auth``; they default to ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``."""

    def __init__(
        self,
        endpoint_url: str | None = None,
        *,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.endpoint_url = default_endpoint(endpoint_url)
        # Connect tokens (``connect_token``) are signed locally with this pair too.
        self._key_pair = key, secret = client_credentials(access_key_id, secret_access_key)
        session = get_session()
        config = Config(read_timeout=timeout, retries={"max_attempts": 3, "mode": "standard"})
        self._clients = {
            name: session.create_client(
                name,
                endpoint_url=self.endpoint_url,
                region_name=region,
                aws_access_key_id=key,
                aws_secret_access_key=secret,
                config=config,
            )
            for name in ("events", "scheduler", "sqs")
        }
        self._native = NativeApi(
            self.endpoint_url,
            region=region,
            access_key_id=key,
            secret_access_key=secret,
            timeout=timeout,
        )

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def connect_token(
        self, channel: str, *, key: str | None = None, expires_in: float = 3600.0
    ) -> str:
        """A token for one user's WebSocket (``/ws?channel=C&key=K&token=TOKEN``) when the
        server runs with ``--auth``: it lets its holder subscribe to ``channel``, only
        under ``key`` when given, for ``expires_in`` seconds. Signed locally with this
        client's credentials, which it does not reveal."""
        from busway.api.ws_access import connect_token

        access_key_id, secret_access_key = self._key_pair
        return connect_token(
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            channel=channel,
            key=key,
            expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
        )

    # Events -----------------------------------------------------------------------

    def put_event(
        self,
        source: str,
        detail_type: str,
        detail: Mapping[str, Any] | str,
        *,
        bus: str = "default",
        resources: Sequence[str] = (),
        time: datetime | None = None,
    ) -> str:
        """Publish one event; its id. Raises ``RemoteError`` when Busway refuses it."""
        entry = event_entry(source, detail_type, detail, bus=bus, resources=resources, time=time)
        (result,) = self.put_events([entry])
        if not result.ok:
            raise RemoteError(result.error_code or "", result.error_message or "")
        assert result.event_id is not None
        return result.event_id

    def put_events(self, entries: Iterable[Mapping[str, Any]]) -> list[PutResult]:
        """Publish PutEvents entries (see ``event_entry``), ten per request; one result
        per entry, in order. Entries Busway refuses come back with their error."""
        results: list[PutResult] = []
        for batch in _batches(list(entries), MAX_ENTRIES):
            answer = self._call("events", "put_events", Entries=batch)
            results.extend(
                PutResult(e.get("EventId"), e.get("ErrorCode"), e.get("ErrorMessage"))
                for e in answer["Entries"]
            )
        return results

    def test_pattern(self, pattern: Pattern, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` (a full envelope) matches ``pattern``, asked of the server."""
        answer = self._call(
            "events", "test_event_pattern", EventPattern=_text(pattern), Event=_text(event)
        )
        return bool(answer["Result"])

    # Buses, rules and targets ---------------------------------------------------------

    def create_bus(self, name: str, *, description: str | None = None) -> str:
        """Create an event bus; its ARN."""
        extra = {"Description": description} if description else {}
        return str(self._call("events", "create_event_bus", Name=name, **extra)["EventBusArn"])

    def delete_bus(self, name: str) -> None:
        self._call("events", "delete_event_bus", Name=name)

    def buses(self) -> list[str]:
        """The names of every event bus."""
        return [b["Name"] for b in self._pages("events", "list_event_buses", "EventBuses")]

    def put_rule(
        self,
        name: str,
        pattern: Pattern | None = None,
        *,
        bus: str = "default",
        schedule: str | None = None,
        enabled: bool = True,
        description: str | None = None,
    ) -> str:
        """Create or replace a rule (a pattern, a schedule or both); its ARN."""
        arguments: dict[str, Any] = {
            "Name": name,
            "EventBusName": bus,
            "State": "ENABLED" if enabled else "DISABLED",
        }
        if pattern is not None:
            arguments["EventPattern"] = _text(pattern)
        if schedule is not None:
            arguments["ScheduleExpression"] = schedule
        if description is not None:
            arguments["Description"] = description
        return str(self._call("events", "put_rule", **arguments)["RuleArn"])

    def delete_rule(self, name: str, *, bus: str = "default", force: bool = False) -> None:
        """Delete a rule; with ``force``, remove its targets first."""
        if force:
            ids = [t["Id"] for t in self.targets(name, bus=bus)]
            if ids:
                self._call("events", "remove_targets", Rule=name, EventBusName=bus, Ids=ids)
        self._call("events", "delete_rule", Name=name, EventBusName=bus)

    def rules(self, *, bus: str = "default", prefix: str | None = None) -> list[dict[str, Any]]:
        """Every rule of ``bus`` as AWS describes it."""
        extra = {"NamePrefix": prefix} if prefix else {}
        return list(self._pages("events", "list_rules", "Rules", EventBusName=bus, **extra))

    def put_target(
        self,
        rule: str,
        target_id: str,
        arn: str,
        *,
        bus: str = "default",
        **settings: Any,
    ) -> None:
        """Add or replace one target of ``rule``. ``settings`` are PutTargets' target
        members in AWS's spelling (``Input``, ``InputTransformer``, ``RetryPolicy``,
        ``DeadLetterConfig``, ``HttpParameters``, ``SqsParameters`` ...)."""
        target = {"Id": target_id, "Arn": arn, **settings}
        self._call("events", "put_targets", Rule=rule, EventBusName=bus, Targets=[target])

    def targets(self, rule: str, *, bus: str = "default") -> list[dict[str, Any]]:
        return list(
            self._pages("events", "list_targets_by_rule", "Targets", Rule=rule, EventBusName=bus)
        )

    def remove_targets(self, rule: str, ids: Sequence[str], *, bus: str = "default") -> None:
        """Remove the targets ``ids`` from ``rule``; raises ``RemoteError`` naming the
        first one Busway could not remove."""
        answer = self._call("events", "remove_targets", Rule=rule, EventBusName=bus, Ids=list(ids))
        for failed in answer.get("FailedEntries", []):
            raise RemoteError(failed.get("ErrorCode", ""), failed.get("ErrorMessage", ""))

    # Schedules ------------------------------------------------------------------------

    def create_schedule(
        self,
        name: str,
        expression: str,
        target: Mapping[str, Any],
        *,
        group: str = "default",
        timezone: str | None = None,
        flexible_window_minutes: int | None = None,
        delete_after_completion: bool = False,
    ) -> str:
        """Create a Scheduler schedule; its ARN. ``target`` is the Scheduler target in
        AWS's spelling (``Arn``, ``RoleArn``, ``Input``, ``EventBridgeParameters`` ...)."""
        window: dict[str, Any] = {"Mode": "OFF"}
        if flexible_window_minutes:
            window = {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": flexible_window_minutes}
        arguments: dict[str, Any] = {
            "Name": name,
            "GroupName": group,
            "ScheduleExpression": expression,
            "FlexibleTimeWindow": window,
            "Target": {"RoleArn": "arn:aws:iam::000000000000:role/busway", **target},
        }
        if timezone:
            arguments["ScheduleExpressionTimezone"] = timezone
        if delete_after_completion:
            arguments["ActionAfterCompletion"] = "DELETE"
        return str(self._call("scheduler", "create_schedule", **arguments)["ScheduleArn"])

    def delete_schedule(self, name: str, *, group: str = "default") -> None:
        self._call("scheduler", "delete_schedule", Name=name, GroupName=group)

    def schedules(self, *, group: str | None = None) -> list[dict[str, Any]]:
        extra = {"GroupName": group} if group else {}
        return list(self._pages("scheduler", "list_schedules", "Schedules", **extra))

    # Queues ---------------------------------------------------------------------------

    def create_queue(self, name: str, **attributes: str | int) -> str:
        """Create (or find) a built-in queue; its URL. Attributes use SQS's names
        (``VisibilityTimeout=60``, ``RedrivePolicy=...``)."""
        text = {key: str(value) for key, value in attributes.items()}
        return str(self._call("sqs", "create_queue", QueueName=name, Attributes=text)["QueueUrl"])

    def queue_url(self, name: str) -> str:
        """The URL of the queue called ``name``; ``RemoteError`` when there is none."""
        return str(self._call("sqs", "get_queue_url", QueueName=name)["QueueUrl"])

    def queues(self, *, prefix: str | None = None) -> list[str]:
        """The URLs of every queue (whose name starts with ``prefix``)."""
        extra = {"QueueNamePrefix": prefix} if prefix else {}
        return [str(url) for url in self._pages("sqs", "list_queues", "QueueUrls", **extra)]

    def delete_queue(self, url: str) -> None:
        self._call("sqs", "delete_queue", QueueUrl=url)

    def queue_arn(self, url: str) -> str:
        answer = self._call(
            "sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["QueueArn"]
        )
        return str(answer["Attributes"]["QueueArn"])

    def send_message(self, url: str, body: str) -> str:
        return str(self._call("sqs", "send_message", QueueUrl=url, MessageBody=body)["MessageId"])

    def receive_messages(
        self, url: str, *, max_messages: int = 10, wait_seconds: int = 0
    ) -> list[dict[str, Any]]:
        """Up to ``max_messages`` messages (``Body``, ``ReceiptHandle``, attributes)."""
        answer = self._call(
            "sqs",
            "receive_message",
            QueueUrl=url,
            MaxNumberOfMessages=max_messages,
            WaitTimeSeconds=wait_seconds,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        )
        return list(answer.get("Messages", []))

    def delete_message(self, url: str, receipt_handle: str) -> None:
        self._call("sqs", "delete_message", QueueUrl=url, ReceiptHandle=receipt_handle)

    # Plumbing -------------------------------------------------------------------------

    def _call(self, service: str, operation: str, **arguments: Any) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = getattr(self._clients[service], operation)(**arguments)
        except ClientError as error:
            details = error.response.get("Error", {})
            raise RemoteError(details.get("Code", ""), details.get("Message", "")) from None
        return answer

    def _pages(
        self, service: str, operation: str, key: str, **arguments: Any
    ) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            extra = {"NextToken": token} if token else {}
            answer = self._call(service, operation, **arguments, **extra)
            yield from answer.get(key, [])
            token = answer.get("NextToken")
            if not token:
                return


def event_entry(
    source: str,
    detail_type: str,
    detail: Mapping[str, Any] | str,
    *,
    bus: str = "default",
    resources: Sequence[str] = (),
    time: datetime | None = None,
) -> dict[str, Any]:
    """A PutEvents entry in AWS's spelling."""
    entry: dict[str, Any] = {
        "Source": source,
        "DetailType": detail_type,
        "Detail": _text(detail),
        "EventBusName": bus,
    }
    if resources:
        entry["Resources"] = list(resources)
    if time is not None:
        entry["Time"] = time
    return entry


def _text(value: Mapping[str, Any] | str) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
