"""SigV4 verification against requests signed by botocore, and through a real server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Any

import boto3
import pytest
import uvicorn
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from busway.api.aws.sigv4 import verify_signature
from busway.errors import ProtocolError

KEY_ID = "AKIDBUSWAYTEST"
SECRET = "busway-secret"
SECRETS = {KEY_ID: SECRET}
BODY = b'{"Name": "r"}'


def signed(
    *,
    body: bytes = BODY,
    key_id: str = KEY_ID,
    secret: str = SECRET,
    service: str = "events",
    url: str = "http://127.0.0.1:4010/",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSEvents.PutRule",
            **(extra or {}),
        },
    )
    SigV4Auth(Credentials(key_id, secret), service, "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    headers["Host"] = url.split("/")[2]
    return headers


def request_time(headers: dict[str, str]) -> datetime:
    return datetime.strptime(headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def verify(
    headers: dict[str, str],
    *,
    body: bytes = BODY,
    now: datetime | None = None,
    path: str = "/",
    query: str = "",
) -> str:
    return verify_signature(
        method="POST",
        path=path,
        query=query,
        headers=headers,
        body=body,
        secrets=SECRETS,
        now=now or request_time(headers),
    )


def refusal(headers: dict[str, str], **options: Any) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        verify(headers, **options)
    return caught.value


def test_botocore_signature_verifies() -> None:
    assert verify(signed()) == KEY_ID


def test_header_names_are_case_insensitive_and_extra_headers_ignored() -> None:
    original = signed()
    headers = {name.lower(): value for name, value in original.items()}
    headers["x-forwarded-for"] = "10.0.0.1"
    headers["user-agent"] = "curl/8"
    shuffled = dict(reversed(list(headers.items())))
    assert verify(shuffled, now=request_time(original)) == KEY_ID


def test_path_and_query_are_signed() -> None:
    headers = signed(url="http://127.0.0.1:4010/schedules/s1?groupName=g&a=b", service="scheduler")
    assert verify(headers, path="/schedules/s1", query="groupName=g&a=b") == KEY_ID
    refused = refusal(headers, path="/schedules/s2", query="groupName=g&a=b")
    assert refused.code == "InvalidSignatureException"
    assert refused.status == 403


def test_tampered_body() -> None:
    refused = refusal(signed(), body=b'{"Name": "x"}')
    assert refused.code == "InvalidSignatureException"
    assert refused.status == 400
    assert refused.message == (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service "
        "documentation for details."
    )


def test_content_sha256_header_cannot_vouch_for_another_body() -> None:
    headers = signed(extra={"X-Amz-Content-SHA256": sha256(BODY).hexdigest()})
    assert "x-amz-content-sha256" in headers["Authorization"]
    assert verify(headers) == KEY_ID
    assert refusal(headers, body=b'{"Name": "evil"}').code == "InvalidSignatureException"


def test_wrong_secret() -> None:
    assert refusal(signed(secret="not-the-secret")).code == "InvalidSignatureException"


def test_unknown_access_key() -> None:
    refused = refusal(signed(key_id="AKIDUNKNOWN"))
    assert refused.code == "UnrecognizedClientException"
    assert refused.message == "The security token included in the request is invalid."


def test_missing_authorization() -> None:
    headers = signed()
    del headers["Authorization"]
    refused = refusal(headers)
    assert (refused.code, refused.message) == (
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )


def test_malformed_authorization() -> None:
    headers = {"Authorization": "X", "Host": "localhost"}
    refused = refusal(headers, now=datetime.now(UTC))
    assert refused.code == "IncompleteSignatureException"
    assert refused.message == (
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
        "header. Authorization=X"
    )


def test_authorization_missing_one_part() -> None:
    headers = signed()
    headers["Authorization"] = headers["Authorization"].split(", Signature=")[0]
    refused = refusal(headers)
    assert refused.code == "IncompleteSignatureException"
    assert refused.message.startswith("Authorization header requires 'Signature' parameter. ")


def test_malformed_credential() -> None:
    headers = signed()
    headers["Authorization"] = headers["Authorization"].replace("/aws4_request", "")
    refused = refusal(headers)
    assert refused.code == "IncompleteSignatureException"
    assert "Credential must have exactly 5 slash-delimited elements" in refused.message


def test_expired_signature() -> None:
    headers = signed()
    signed_at = request_time(headers)
    refused = refusal(headers, now=signed_at + timedelta(minutes=16))
    stamp = signed_at.strftime("%Y%m%dT%H%M%SZ")
    earliest = (signed_at + timedelta(minutes=1)).strftime("%Y%m%dT%H%M%SZ")
    now = (signed_at + timedelta(minutes=16)).strftime("%Y%m%dT%H%M%SZ")
    assert refused.code == "InvalidSignatureException"
    assert refused.message == (
        f"Signature expired: {stamp} is now earlier than {earliest} ({now} - 15 min.)"
    )


def test_signature_from_the_future() -> None:
    headers = signed()
    refused = refusal(headers, now=request_time(headers) - timedelta(minutes=16))
    assert refused.code == "InvalidSignatureException"
    assert refused.message.startswith("Signature not yet current: ")


def test_within_fifteen_minutes_is_accepted() -> None:
    headers = signed()
    assert verify(headers, now=request_time(headers) + timedelta(minutes=14)) == KEY_ID
    assert verify(headers, now=request_time(headers) - timedelta(minutes=14)) == KEY_ID


# --- end to end: boto3 -> uvicorn -> Starlette -> verify_signature --------------------


async def list_event_buses(request: Request) -> Response:
    try:
        verify_signature(
            method=request.method,
            path=request.scope["raw_path"].decode("ascii"),
            query=request.scope["query_string"].decode("ascii"),
            headers=request.headers,
            body=await request.body(),
            secrets=SECRETS,
            now=datetime.now(UTC),
        )
    except ProtocolError as error:
        return JSONResponse(
            {"__type": error.code, "message": error.message},
            status_code=error.status,
            media_type="application/x-amz-json-1.1",
        )
    return JSONResponse({"EventBuses": []}, media_type="application/x-amz-json-1.1")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    app = Starlette(routes=[Route("/", list_event_buses, methods=["POST"])])
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def events_client(endpoint: str, secret: str) -> Any:
    return boto3.client(
        "events",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def test_boto3_signature_verifies_through_a_real_server(endpoint: str) -> None:
    response = events_client(endpoint, SECRET).list_event_buses(NamePrefix="a", Limit=5)
    assert response["EventBuses"] == []


def test_boto3_with_wrong_secret_gets_invalid_signature(endpoint: str) -> None:
    with pytest.raises(ClientError) as caught:
        events_client(endpoint, "wrong").list_event_buses()
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
