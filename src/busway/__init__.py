"""Busway: a self-hosted event bus in the shape of Amazon EventBridge."""

__version__ = "0.1.0"
