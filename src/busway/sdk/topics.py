"""Topic methods of ``busway.Client``, over Busway's native JSON API (``/topics``).

Requests are signed with SigV4 like the AWS protocols, so the same credentials work
when the server runs with ``--auth``.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from busway.config import client_credentials
from busway.config import endpoint_url as default_endpoint
from busway.errors import RemoteError


class NativeApi:
    """Signed JSON requests to one Busway server."""

    def __init__(
        self,
        endpoint_url: str,
        *,
        region: str,
        access_key_id: str,
        secret_access_key: str,
        timeout: float,
    ) -> None:
        self._base = endpoint_url.rstrip("/")
        self._signer = SigV4Auth(Credentials(access_key_id, secret_access_key), "busway", region)
        self._timeout = timeout

    def call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """The decoded JSON answer (None for an empty one); ``RemoteError`` on a 4xx/5xx."""
        url = self._base + path
        data = orjson.dumps(body) if body is not None else b""
        signed = AWSRequest(
            method=method, url=url, data=data, headers={"Content-Type": "application/json"}
        )
        self._signer.add_auth(signed)
        request = urllib.request.Request(
            url, data=data or None, method=method, headers=dict(signed.headers.items())
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise _remote_error(error.code, error.read()) from None
        return orjson.loads(raw) if raw else None


def _remote_error(status: int, raw: bytes) -> RemoteError:
    try:
        answer = orjson.loads(raw)
    except orjson.JSONDecodeError:
        answer = None
    if isinstance(answer, dict):
        return RemoteError(str(answer.get("code", status)), str(answer.get("message", "")))
    return RemoteError(str(status), raw.decode("utf-8", "replace")[:200])


class TopicMethods:
    """Topics and subscriptions; mixed into ``Client``."""

    _native: NativeApi

    def create_topic(self, name: str, *, description: str | None = None) -> str:
        """Create a topic; its ARN (``arn:aws:sns:<region>:<account>:<name>``), which a
        rule can name as a target."""
        body = {"name": name, **({"description": description} if description else {})}
        return str(self._native.call("POST", "/topics", body)["arn"])

    def delete_topic(self, name: str) -> None:
        """Delete a topic and its subscriptions."""
        self._native.call("DELETE", f"/topics/{quote(name, safe='')}")

    def topics(self) -> list[dict[str, Any]]:
        """Every topic: name, arn, description, created."""
        return list(self._native.call("GET", "/topics")["topics"])

    def subscribe(
        self,
        topic: str,
        endpoint: str,
        *,
        protocol: str | None = None,
        filter_pattern: Mapping[str, Any] | str | None = None,
        **settings: Any,
    ) -> str:
        """Subscribe ``endpoint`` (an email address with ``protocol="email"`` or as
        ``mailto:...``, an http(s) URL, or a queue, function or API destination ARN);
        the subscription's ARN. ``settings``: ``retry_policy``, ``dead_letter_config``,
        ``http_parameters`` in snake_case."""
        body: dict[str, Any] = {"endpoint": endpoint, **settings}
        if protocol is not None:
            body["protocol"] = protocol
        if filter_pattern is not None:
            body["filter_pattern"] = filter_pattern
        return str(self._native.call("POST", f"{_topic_path(topic)}/subscriptions", body)["arn"])

    def subscriptions(self, topic: str) -> list[dict[str, Any]]:
        answer = self._native.call("GET", f"{_topic_path(topic)}/subscriptions")
        return list(answer["subscriptions"])

    def unsubscribe(self, topic: str, subscription: str) -> None:
        """Remove a subscription, named by its ARN or id."""
        key = quote(subscription.rsplit(":", 1)[-1], safe="")
        self._native.call("DELETE", f"{_topic_path(topic)}/subscriptions/{key}")

    def publish(
        self, topic: str, message: Mapping[str, Any] | str, *, subject: str | None = None
    ) -> str:
        """Publish straight to a topic (no bus, no rule); the message id."""
        body: dict[str, Any] = {"message": message}
        if subject is not None:
            body["subject"] = subject
        return str(self._native.call("POST", f"{_topic_path(topic)}/messages", body)["message_id"])


def _topic_path(topic: str) -> str:
    return f"/topics/{quote(topic.rsplit(':', 1)[-1], safe='')}"


class TopicClient(TopicMethods):
    """Only the topic methods of ``Client``, without its botocore clients, so it is
    quick to make (the CLI makes one per command). Same defaults as ``Client``."""

    def __init__(
        self,
        endpoint_url: str | None = None,
        *,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        key, secret = client_credentials(access_key_id, secret_access_key)
        self._native = NativeApi(
            default_endpoint(endpoint_url),
            region=region,
            access_key_id=key,
            secret_access_key=secret,
            timeout=timeout,
        )
