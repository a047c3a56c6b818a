"""The entity-recognition function, run by ``busway worker blog.functions:app``.

It is a plain Lambda-style handler: the rule made by ``blog.provision`` sends it every
``BlogPostCreated`` event. It finds the persons and locations in the post's body, records
them through the blog's HTTP API, and publishes ``BlogPostEntitiesFound`` to the
``websocket`` bus, whose rule pushes it to the author's open page.

It goes through the blog's HTTP API rather than opening the blog's SQLite file: the
web app owns its database (its schema and its write lock stay in one process), and a
worker may run on another machine than the blog, as Busway workers can.

Idempotent by construction: a retried call (Busway delivers at least once) finds the
same entities, sets the same values and publishes the same change again, which the page
shows in place.
"""

from __future__ import annotations

import functools
import json
import os
import urllib.request
from typing import Any

import busway
from blog.entities import find_entities, pipeline
from blog.names import FOUND, FUNCTION, SOURCE, WEBSOCKET_BUS

app = busway.App("blog")


# One call at a time per worker: spaCy does not promise that one pipeline may be used
# from several threads at once. Start more workers to recognise more posts at a time.
@app.function(FUNCTION, concurrency=1, timeout=60)
def recognise_entities(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Find, record and publish the entities of the post in ``event['detail']``."""
    post = event["detail"]
    entities = find_entities(post["body"])
    found = {"persons": entities.persons, "locations": entities.locations}
    _record(post["id"], found)
    detail = {key: post[key] for key in ("id", "author", "title", "body", "topic", "createdAt")}
    busway_client().put_event(SOURCE, FOUND, {**detail, **found}, bus=WEBSOCKET_BUS)
    return found


@functools.cache
def busway_client() -> busway.Client:
    """One client per worker process (``BUSWAY_ENDPOINT_URL``): making one builds three
    botocore clients, too slow to repeat per call."""
    return busway.Client()


def _record(post_id: str, found: dict[str, list[str]]) -> None:
    """PUT the entities to the blog (``BLOG_URL``); an error raises, so Busway retries."""
    blog_url = os.environ.get("BLOG_URL", "http://127.0.0.1:8000").rstrip("/")
    request = urllib.request.Request(
        f"{blog_url}/posts/{post_id}/entities",
        data=json.dumps(found).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


# Loaded when the worker starts, so that the first post does not wait for the model.
pipeline()
