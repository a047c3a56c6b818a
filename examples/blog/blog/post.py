"""A blog post as the web app accepts it: validation of what a client sends, and the
event detail that Busway carries."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Event details travel inside a 256 KB PutEvents entry; these limits keep a post well
# inside it and make the email readable.
MAX_LENGTHS = {"author": 64, "title": 200, "body": 20_000, "topic": 40}
# Authors and topics are keys: the WebSocket key, the subscription filter value and a
# URL path segment, so they are kept to simple names.
NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")
NAMED_FIELDS = ("author", "topic")


class InvalidPostError(ValueError):
    """A post that cannot be accepted, naming the field at fault."""

    def __init__(self, field_name: str, problem: str) -> None:
        self.field = field_name
        self.problem = problem
        super().__init__(f"{field_name}: {problem}")


@dataclass(frozen=True)
class Post:
    """A stored post. ``persons`` and ``locations`` stay None until the entity
    recognition has run."""

    id: str
    author: str
    title: str
    body: str
    topic: str
    created_at: str
    persons: list[str] | None = field(default=None)
    locations: list[str] | None = field(default=None)

    def as_json(self) -> dict[str, Any]:
        """The post as the HTTP API shows it."""
        found = self.persons is not None and self.locations is not None
        entities = {"persons": self.persons, "locations": self.locations} if found else None
        return {
            "id": self.id,
            "author": self.author,
            "title": self.title,
            "body": self.body,
            "topic": self.topic,
            "createdAt": self.created_at,
            "entities": entities,
        }

    def created_detail(self) -> dict[str, Any]:
        """The detail of the ``BlogPostCreated`` event."""
        return {key: value for key, value in self.as_json().items() if key != "entities"}


def new_post(payload: Any) -> Post:
    """A new post (fresh id, createdAt now) from a client's decoded JSON, or
    ``InvalidPostError`` for the first field that is missing or wrong."""
    if not isinstance(payload, dict):
        raise InvalidPostError("request", "the request body must be a JSON object")
    values = {name: _checked(payload, name) for name in MAX_LENGTHS}
    created = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return Post(id=str(uuid.uuid4()), created_at=created, **values)


def _checked(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if value is None:
        raise InvalidPostError(name, "is required")
    if not isinstance(value, str):
        raise InvalidPostError(name, "must be a string")
    value = value.strip()
    if not value:
        raise InvalidPostError(name, "must not be empty")
    if len(value) > MAX_LENGTHS[name]:
        raise InvalidPostError(name, f"must be at most {MAX_LENGTHS[name]} characters")
    if name in NAMED_FIELDS and not NAME.fullmatch(value):
        raise InvalidPostError(name, "must be a lower-case name: letters, digits, '.', '_', '-'")
    return value
