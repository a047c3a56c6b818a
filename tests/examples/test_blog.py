"""The blog posts example end to end, driven as a user would: HTTP requests to the
blog, real SMTP mail to a topic's readers, a WebSocket client and a headless Chromium
page keyed on the author. The example runs as ``examples/blog/run`` runs it (its
launcher: ``busway serve``, ``busway worker`` with spaCy, the blog app), on free ports,
mailing the test's own SMTP server."""

from __future__ import annotations

import importlib
import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.examples.blog_support import CHROMIUM, CHROMIUM_ARGS, blog_launcher, require_browser
from tests.mail import Mailbox, running_mailbox
from tests.servers import free_port
from websockets.sync.client import connect

import busway

TRAVELLER, HISTORIAN = "traveller@example.com", "historian@example.com"
BODY = "Ada Lovelace met Charles Babbage in London, then wrote to Mary Somerville in Paris."
WAIT_SECONDS = 30.0


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with running_mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def blog(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Any]:
    launcher = blog_launcher()
    folder = tmp_path_factory.mktemp("blog")
    options = launcher.Options(
        data_dir=folder / "data",
        busway_port=free_port(),
        blog_port=free_port(),
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,
        subscribers={"travel": [TRAVELLER], "history": [HISTORIAN]},
        log_dir=folder / "logs",
    )
    with launcher.start(options) as running:
        yield running
        if running.processes:
            running.check_alive()


def post(blog: Any, **fields: Any) -> httpx.Response:
    return httpx.post(f"{blog.options.blog_url}/posts", json=fields, timeout=10)


def new_post(blog: Any, *, author: str, topic: str = "travel", body: str = BODY) -> str:
    title = f"Notes {uuid.uuid4().hex[:8]}"
    answer = post(blog, author=author, title=title, body=body, topic=topic)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def logs(blog: Any) -> str:
    folder: Path = blog.options.log_dir
    return "\n".join(f"== {p.name}\n{p.read_text()[-3000:]}" for p in sorted(folder.glob("*")))


@pytest.mark.parametrize(
    ("payload", "field", "problem"),
    [
        ({"author": "ada", "body": "b", "topic": "travel"}, "title", "is required"),
        ({"author": 7, "title": "t", "body": "b", "topic": "travel"}, "author", "must be a string"),
        ({"author": "ada", "title": "t", "body": "  ", "topic": "travel"}, "body", "must not be"),
        ({"author": "ada", "title": "t", "body": "b", "topic": "Far Away!"}, "topic", "lower-case"),
        ({"author": "ada", "title": "t" * 201, "body": "b", "topic": "x"}, "title", "at most 200"),
        ([1, 2], "request", "JSON object"),
    ],
)
def test_a_bad_post_is_refused_naming_the_field(
    blog: Any, payload: Any, field: str, problem: str
) -> None:
    answer = httpx.post(f"{blog.options.blog_url}/posts", json=payload, timeout=10)
    assert answer.status_code == 400
    assert answer.json()["field"] == field
    assert answer.json()["error"].startswith(field)
    assert problem in answer.json()["error"]


def test_a_request_that_is_not_json_is_refused(blog: Any) -> None:
    answer = httpx.post(f"{blog.options.blog_url}/posts", content=b"{title", timeout=10)
    assert (answer.status_code, answer.json()["field"]) == (400, "request")


def test_a_post_is_stored_and_mailed_to_the_readers_of_its_topic_only(
    blog: Any, mailbox: Mailbox
) -> None:
    answer = post(blog, author="ada", title="Across the Alps", body=BODY, topic="travel")
    assert answer.status_code == 201, answer.text
    travel_id, created_at = answer.json()["id"], answer.json()["createdAt"]
    assert uuid.UUID(travel_id) and datetime.fromisoformat(created_at).tzinfo is not None
    stored = httpx.get(f"{blog.options.blog_url}/posts/{travel_id}", timeout=10).json()
    assert stored["title"] == "Across the Alps" and stored["createdAt"] == created_at
    history_id = new_post(blog, author="ada", topic="history")

    traveller_mail = wait_for_mail(mailbox, TRAVELLER, travel_id, blog)
    assert traveller_mail["Subject"] == "BlogPostCreated from blog"
    assert json.loads(traveller_mail.get_content())["detail"]["title"] == "Across the Alps"
    wait_for_mail(mailbox, HISTORIAN, history_id, blog)
    time.sleep(0.5)  # both copies of each post are written in one fan-out: any stray is here
    assert not mails_about(mailbox, HISTORIAN, travel_id)
    assert not mails_about(mailbox, TRAVELLER, history_id)


def test_the_authors_websocket_receives_the_entities(blog: Any) -> None:
    channel = f"{blog.options.websocket_url}?channel=posts&key="
    with connect(channel + "grace") as grace, connect(channel + "linus") as linus:
        post_id = new_post(blog, author="grace")
        event = json.loads(grace.recv(timeout=WAIT_SECONDS))
        with pytest.raises(TimeoutError):
            linus.recv(timeout=0.5)
    assert event["detail-type"] == "BlogPostEntitiesFound"
    detail = event["detail"]
    assert (detail["id"], detail["author"]) == (post_id, "grace")
    assert {"Ada Lovelace", "Charles Babbage", "Mary Somerville"} <= set(detail["persons"])
    assert {"London", "Paris"} <= set(detail["locations"])
    stored = httpx.get(f"{blog.options.blog_url}/posts/{post_id}", timeout=10).json()
    assert stored["entities"] == {"persons": detail["persons"], "locations": detail["locations"]}


def test_the_authors_page_shows_the_entities_without_reloading(blog: Any) -> None:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{blog.options.blog_url}/authors/hedy")
            page.wait_for_selector("#connection.live", timeout=WAIT_SECONDS * 1000)
            navigations: list[str] = []
            page.on("framenavigated", lambda frame: navigations.append(frame.url))
            page.evaluate("window.openedBeforePosting = true")

            post_id = new_post(blog, author="hedy")
            entities = page.wait_for_selector(
                f"#post-{post_id} .locations", timeout=WAIT_SECONDS * 1000
            )
            assert entities is not None
            assert "London" in entities.inner_text() and "Paris" in entities.inner_text()
            persons = page.inner_text(f"#post-{post_id} .persons")
            assert "Ada Lovelace" in persons and "Charles Babbage" in persons
            assert page.evaluate("window.openedBeforePosting") is True
            assert navigations == []
        finally:
            browser.close()


def test_setting_busway_up_again_changes_nothing(blog: Any) -> None:
    provision = importlib.import_module("blog.provision")
    with busway.Client(blog.options.busway_url) as client:
        provision.provision(client, subscribers={"travel": [TRAVELLER], "history": [HISTORIAN]})
        subscriptions = client.subscriptions(provision.TOPIC)
        targets = client.targets(provision.CREATED_RULE)
    assert sorted(s["endpoint"] for s in subscriptions) == [
        f"mailto:{HISTORIAN}",
        f"mailto:{TRAVELLER}",
    ]
    assert sorted(t["Id"] for t in targets) == ["find-entities", "notify-readers"]


def mails_about(mailbox: Mailbox, address: str, post_id: str) -> list[Message]:
    with mailbox.arrived:
        return [m for m in mailbox.to(address) if post_id in m.get_content()]


def wait_for_mail(mailbox: Mailbox, address: str, post_id: str, blog: Any) -> Message:
    with mailbox.arrived:
        mailbox.arrived.wait_for(lambda: bool(mails_about(mailbox, address, post_id)), WAIT_SECONDS)
    found = mails_about(mailbox, address, post_id)
    assert found, f"no mail to {address} about post {post_id}\n{logs(blog)}"
    return found[0]
