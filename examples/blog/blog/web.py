"""The blog's web app: its HTTP API and the author's page.

- ``POST /posts`` validates a post, stores it and publishes ``BlogPostCreated`` (201
  with ``id`` and ``createdAt``; 400 naming the bad field).
- ``GET /posts/{id}``: the post, with its entities once recognised.
- ``PUT /posts/{id}/entities``: what the entity-recognition function found.
- ``GET /authors/{author}``: the author's page, which listens on Busway's WebSocket.

Run it with ``uvicorn --factory blog.web:create_app``; settings come from the
environment (see ``Settings``).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

import boto3
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from blog.names import CREATED, SOURCE
from blog.post import NAME, InvalidPostError, Post, new_post
from blog.store import PostStore

STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class Settings:
    """Where the database is and how to reach Busway (from the environment)."""

    database: Path
    busway_url: str
    websocket_url: str
    bus: str = "default"

    @classmethod
    def from_environment(cls) -> Settings:
        busway_url = os.environ.get("BUSWAY_ENDPOINT_URL", "http://127.0.0.1:4780")
        default_ws = busway_url.replace("http", "ws", 1).rstrip("/") + "/ws"
        return cls(
            database=Path(os.environ.get("BLOG_DATABASE", "blog.db")),
            busway_url=busway_url,
            websocket_url=os.environ.get("BLOG_WEBSOCKET_URL", default_ws),
            bus=os.environ.get("BLOG_BUS", "default"),
        )


class Publisher:
    """Publishes the blog's events with boto3, as code written for EventBridge would:
    only ``endpoint_url`` points at Busway."""

    def __init__(self, settings: Settings) -> None:
        self._bus = settings.bus
        self._events = boto3.client(
            "events",
            endpoint_url=settings.busway_url,
            region_name="us-east-1",
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "blog"),
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "blog"),
        )

    def post_created(self, post: Post) -> None:
        entry = {
            "EventBusName": self._bus,
            "Source": SOURCE,
            "DetailType": CREATED,
            "Detail": json.dumps(post.created_detail()),
        }
        answer = self._events.put_events(Entries=[entry])
        if answer["FailedEntryCount"]:
            failure = answer["Entries"][0]
            raise PublishError(f"{failure.get('ErrorCode')}: {failure.get('ErrorMessage')}")


class PublishError(RuntimeError):
    """Busway did not accept the event."""


def create_app(settings: Settings | None = None) -> Starlette:
    """The web app, its store and publisher made from ``settings`` (default: the
    environment's)."""
    settings = settings or Settings.from_environment()
    store = PostStore(settings.database)
    publisher = Publisher(settings)
    page = Template((STATIC / "author.html").read_text())
    endpoints = Endpoints(store, publisher, page, settings.websocket_url)
    routes = [
        Route("/posts", endpoints.create, methods=["POST"]),
        Route("/posts/{post_id}", endpoints.show, methods=["GET"]),
        Route("/posts/{post_id}/entities", endpoints.set_entities, methods=["PUT"]),
        Route("/authors/{author}", endpoints.author_page, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        store.close()

    return Starlette(routes=routes, lifespan=lifespan)


@dataclass
class Endpoints:
    store: PostStore
    publisher: Publisher
    page: Template
    websocket_url: str

    async def create(self, request: Request) -> Response:
        try:
            post = new_post(await _json(request))
        except InvalidPostError as error:
            return _invalid(error)
        try:
            await run_in_threadpool(self._store_and_publish, post)
        except Exception as error:  # any failure to publish is a 503
            message = f"the post was not stored: Busway did not take its event ({error})"
            return JSONResponse({"error": message}, status_code=503)
        return JSONResponse({"id": post.id, "createdAt": post.created_at}, status_code=201)

    def _store_and_publish(self, post: Post) -> None:
        # Published inside the insert's transaction: a post whose event Busway refused
        # is not kept, and one that is kept has its event on the bus.
        with self.store.inserting(post):
            self.publisher.post_created(post)

    async def show(self, request: Request) -> Response:
        post = await run_in_threadpool(self.store.get, request.path_params["post_id"])
        if post is None:
            return JSONResponse({"error": "no such post"}, status_code=404)
        return JSONResponse(post.as_json())

    async def set_entities(self, request: Request) -> Response:
        payload = await _json(request)
        lists = {name: _names(payload, name) for name in ("persons", "locations")}
        bad = [name for name, value in lists.items() if value is None]
        if bad:
            error = InvalidPostError(bad[0], "must be a list of strings")
            return _invalid(error)
        post_id = request.path_params["post_id"]
        found = await run_in_threadpool(self.store.set_entities, post_id, **lists)
        if not found:
            return JSONResponse({"error": "no such post"}, status_code=404)
        post = await run_in_threadpool(self.store.get, post_id)
        return JSONResponse(post.as_json() if post else None)

    async def author_page(self, request: Request) -> Response:
        author = request.path_params["author"]
        if not NAME.fullmatch(author):
            return HTMLResponse("<h1>No such author</h1>", status_code=404)
        posts = await run_in_threadpool(self.store.by_author, author)
        # The posts ride in a JSON script element; "</" is escaped so no text in them
        # can end that element.
        posts_json = json.dumps([p.as_json() for p in posts]).replace("</", "<\\/")
        html = self.page.substitute(
            author=author,
            posts_json=posts_json,
            websocket_url=json.dumps(self.websocket_url).replace("</", "<\\/"),
        )
        return HTMLResponse(html)


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        return None


def _names(payload: Any, name: str) -> list[str] | None:
    value = payload.get(name) if isinstance(payload, dict) else None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def _invalid(error: InvalidPostError) -> JSONResponse:
    body = {"error": f"{error.field} {error.problem}", "field": error.field}
    return JSONResponse(body, status_code=400)
