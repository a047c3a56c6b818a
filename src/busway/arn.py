"""Building and reading the ARNs Busway hands out (eventbridge.md §13.1)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from busway.errors import ValidationError

_ARN = re.compile(r"^arn:(aws[\w-]*):([a-z0-9-]+):([a-z0-9-]*):(\d{12})?:(.+)$")


@dataclass(frozen=True, slots=True)
class Scope:
    """The account and region every resource of one Busway belongs to."""

    account: str = "000000000000"
    region: str = "us-east-1"
    partition: str = "aws"

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"

    def bus_arn(self, bus: str) -> str:
        return self.arn("events", f"event-bus/{bus}")

    def rule_arn(self, bus: str, rule: str) -> str:
        return self.arn("events", f"rule/{rule}" if bus == "default" else f"rule/{bus}/{rule}")

    def queue_arn(self, queue: str) -> str:
        return self.arn("sqs", queue)


@dataclass(frozen=True, slots=True)
class Arn:
    """An ARN split into its parts."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def resource_type(self) -> str:
        """The part of the resource before the first ``/`` or ``:``."""
        return re.split(r"[/:]", self.resource, maxsplit=1)[0]

    @property
    def resource_name(self) -> str:
        """The part of the resource after its type."""
        parts = re.split(r"[/:]", self.resource, maxsplit=1)
        return parts[1] if len(parts) > 1 else parts[0]


def parse_arn(text: str) -> Arn:
    """Split an ARN; raise ``ValidationError`` with AWS's wording when it is not one."""
    found = _ARN.match(text)
    if found is None:
        raise ValidationError(
            f"Parameter {text} is not valid. Reason: Provided Arn is not in correct format."
        )
    partition, service, region, account, resource = found.groups()
    return Arn(partition, service, region, account or "", resource)


def bus_name_of(name_or_arn: str) -> str:
    """The bus name from a name or an event-bus ARN (``EventBusName`` takes either)."""
    if name_or_arn.startswith("arn:"):
        return name_or_arn.split(":event-bus/", 1)[-1]
    return name_or_arn
