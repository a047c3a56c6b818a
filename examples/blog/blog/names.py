"""The names the blog's parts agree on: event source and types, buses, the function,
the topic. Kept apart so that importing them loads neither spaCy nor the web app."""

from __future__ import annotations

REGION = "us-east-1"
# Busway's default account (BUSWAY_ACCOUNT_ID); any region and account reach the same
# function and WebSocket channel.
ACCOUNT = "000000000000"

SOURCE = "blog"
CREATED = "BlogPostCreated"
FOUND = "BlogPostEntitiesFound"

WEBSOCKET_BUS = "websocket"
TOPIC = "blog-notifications"
FUNCTION = "recognise-entities"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION}"
# Channel "posts", key filled from each event's detail.author (see Busway's README).
AUTHOR_CHANNEL_ARN = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:busway/channel/posts/*"
