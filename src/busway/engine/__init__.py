"""The delivery engine: ingest, dispatch, retry decisions and the senders of each target kind."""
