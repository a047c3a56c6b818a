"""Queue attributes as SQS checks and reports them.

Attribute names are data in the SQS API (the keys of ``Attributes``), so AWS's names
are used here as values. Checks that need the store (the dead-letter queue exists) are
the service's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from busway.arn import parse_arn
from busway.errors import (
    InvalidAttributeNameError,
    InvalidAttributeValueError,
    InvalidParameterValueError,
    ValidationError,
)
from busway.storage.base import Queue, QueueCounts

RANGES: Mapping[str, tuple[int, int]] = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, 1_048_576),
    "MessageRetentionPeriod": (60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43_200),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400),
}
_BOOLEANS = frozenset({"SqsManagedSseEnabled", "ContentBasedDeduplication", "FifoQueue"})
_CHOICES: Mapping[str, frozenset[str]] = {
    "DeduplicationScope": frozenset({"messageGroup", "queue"}),
    "FifoThroughputLimit": frozenset({"perQueue", "perMessageGroupId"}),
}
_FREE_TEXT = frozenset({"Policy", "KmsMasterKeyId", "RedriveAllowPolicy", "RedrivePolicy"})
_FIFO_ONLY = frozenset({"ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"})
SETTABLE = frozenset({*RANGES, *_BOOLEANS, *_CHOICES, *_FREE_TEXT})
COMPUTED = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
)
_SHOWN_DEFAULTS = (
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
)
MAX_RECEIVE_COUNT = 1000


def check_attributes(given: Mapping[str, str], *, fifo: bool, creating: bool) -> dict[str, str]:
    """``given`` checked and normalised; ``FifoQueue`` only while ``creating``."""
    out = {}
    for name, value in given.items():
        if name not in SETTABLE or (name == "FifoQueue" and not creating):
            raise InvalidAttributeNameError(name)
        if name in _FIFO_ONLY and not fifo:
            raise InvalidAttributeNameError(name)
        out[name] = _check_value(name, value)
    if out.get("FifoQueue") == "false":
        del out["FifoQueue"]
    return out


def _check_value(name: str, value: str) -> str:
    if name in RANGES:
        return _check_number(name, value)
    if name in _BOOLEANS:
        if value.lower() not in {"true", "false"}:
            raise InvalidAttributeValueError(name)
        return value.lower()
    if name in _CHOICES and value not in _CHOICES[name]:
        raise InvalidAttributeValueError(name)
    if name == "RedrivePolicy":
        return normalise_redrive(value)
    return value


def _check_number(name: str, value: str) -> str:
    low, high = RANGES[name]
    text = value.strip()
    if not text.lstrip("-").isdigit() or not low <= int(text) <= high:
        raise InvalidAttributeValueError(name)
    return str(int(text))


def normalise_redrive(text: str) -> str:
    """A RedrivePolicy as AWS reports it, ``""`` to remove it."""
    if not text:
        return ""
    try:
        policy = json.loads(text)
    except ValueError:
        policy = None
    if not isinstance(policy, dict) or not isinstance(policy.get("deadLetterTargetArn"), str):
        raise InvalidParameterValueError(
            "RedrivePolicy", text, "Redrive policy is not a valid JSON map."
        )
    count = policy.get("maxReceiveCount")
    if not _is_count(count):
        raise InvalidParameterValueError(
            "RedrivePolicy",
            text,
            f"Invalid value for maxReceiveCount: {count}, valid values are from 1 to "
            f"{MAX_RECEIVE_COUNT} both inclusive.",
        )
    arn = policy["deadLetterTargetArn"]
    return json.dumps(
        {"deadLetterTargetArn": arn, "maxReceiveCount": int(str(count))}, separators=(",", ":")
    )


def _is_count(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return False
    text = str(value)
    return text.isdigit() and 1 <= int(text) <= MAX_RECEIVE_COUNT


def dead_letter_name(policy: str) -> str:
    """The queue name a normalised RedrivePolicy points at."""
    arn = json.loads(policy)["deadLetterTargetArn"]
    try:
        return parse_arn(arn).resource
    except ValidationError:
        raise InvalidParameterValueError(
            "RedrivePolicy", policy, "Dead-letter target does not exist."
        ) from None


def report(queue: Queue, counts: QueueCounts, names: Iterable[str]) -> dict[str, str]:
    """The values GetQueueAttributes answers for ``names`` (``All``: every one)."""
    everything = _everything(queue, counts)
    wanted = list(names)
    if "All" in wanted:
        return everything
    for name in wanted:
        if name not in SETTABLE and name not in COMPUTED:
            raise InvalidAttributeNameError(name)
    return {name: everything[name] for name in wanted if name in everything}


def _everything(queue: Queue, counts: QueueCounts) -> dict[str, str]:
    created = queue.created.timestamp() if queue.created else 0
    modified = queue.modified.timestamp() if queue.modified else created
    values = {
        "QueueArn": queue.arn,
        "ApproximateNumberOfMessages": str(counts.visible),
        "ApproximateNumberOfMessagesNotVisible": str(counts.in_flight),
        "ApproximateNumberOfMessagesDelayed": str(counts.delayed),
        "CreatedTimestamp": str(int(created)),
        "LastModifiedTimestamp": str(int(modified)),
    }
    values.update({name: str(queue.setting(name)) for name in _SHOWN_DEFAULTS})
    values.update({k: v for k, v in queue.attributes.items() if v != ""})
    return values
