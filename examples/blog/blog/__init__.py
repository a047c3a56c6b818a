"""The blog posts example: a small blog whose posts fan out over Busway to an email
topic and to an entity-recognition function, whose findings reach the author's open page
over WebSocket. See ../README.md for the architecture."""
