"""Where accepted events, deliveries, queues and the control plane are kept.

``base`` holds the interfaces; each backend package implements them with its own SQL.
Only ``busway.runtime`` picks a backend.
"""
