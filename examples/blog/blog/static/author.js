// The author's page: lists the author's posts and, through Busway's WebSocket, shows the
// persons and locations found in a post as soon as the entity recognition publishes them.
"use strict";

const author = document.body.dataset.author;
const postsElement = document.getElementById("posts");
const statusElement = document.getElementById("connection");

function text(tag, className, content) {
  const element = document.createElement(tag);
  element.className = className;
  element.textContent = content;
  return element;
}

// The article of a post, made on first sight (from the page's data, the form's answer or
// a pushed event, whichever comes first) and updated in place afterwards.
function upsertPost(post) {
  let article = document.getElementById("post-" + post.id);
  if (!article) {
    article = document.createElement("article");
    article.id = "post-" + post.id;
    article.append(
      text("h2", "title", post.title),
      text("p", "meta", "#" + post.topic + " · " + (post.createdAt || "")),
      text("p", "body", post.body || ""),
      text("div", "entities pending", "Looking for persons and locations…"),
    );
    postsElement.prepend(article);
  }
  if (post.entities) {
    showEntities(article, post.entities);
  }
}

function showEntities(article, entities) {
  const box = article.querySelector(".entities");
  box.className = "entities";
  box.replaceChildren(
    text("p", "persons", "Persons: " + (entities.persons.join(", ") || "none")),
    text("p", "locations", "Locations: " + (entities.locations.join(", ") || "none")),
  );
}

function onEvent(message) {
  const event = JSON.parse(message.data);
  if (event["detail-type"] !== "BlogPostEntitiesFound") {
    return;
  }
  const detail = event.detail;
  upsertPost({
    id: detail.id,
    title: detail.title,
    topic: detail.topic,
    createdAt: detail.createdAt,
    body: detail.body,
    entities: { persons: detail.persons, locations: detail.locations },
  });
}

// Busway pushes to the connections registered under this author's key on channel "posts".
function connect() {
  const url = window.BLOG_WEBSOCKET_URL + "?channel=posts&key=" + encodeURIComponent(author);
  const socket = new WebSocket(url);
  socket.onopen = () => {
    statusElement.textContent = "live: updates arrive without reloading";
    statusElement.className = "status live";
  };
  socket.onmessage = onEvent;
  socket.onclose = () => {
    statusElement.textContent = "disconnected from Busway; reconnecting…";
    statusElement.className = "status";
    setTimeout(connect, 2000);
  };
}

async function publish(event) {
  event.preventDefault();
  const form = event.target;
  const errorElement = document.getElementById("form-error");
  const fields = Object.fromEntries(new FormData(form));
  const post = { author: author, title: fields.title, body: fields.body, topic: fields.topic };
  const response = await fetch("/posts", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(post),
  });
  const answer = await response.json();
  if (!response.ok) {
    errorElement.textContent = answer.error;
    return;
  }
  errorElement.textContent = "";
  form.reset();
  upsertPost({ ...post, id: answer.id, createdAt: answer.createdAt });
}

JSON.parse(document.getElementById("initial-posts").textContent).reverse().forEach(upsertPost);
document.getElementById("new-post").addEventListener("submit", publish);
connect();
