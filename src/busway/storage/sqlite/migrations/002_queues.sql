-- Built-in queues (the SQS JSON protocol). ``attributes`` holds the queue attributes a
-- user set, by AWS attribute name, as JSON; defaults are applied when read.
CREATE TABLE queues (
    name TEXT PRIMARY KEY,
    arn TEXT NOT NULL,
    attributes TEXT NOT NULL,
    tags TEXT NOT NULL,
    created_at REAL NOT NULL,
    modified_at REAL NOT NULL
) WITHOUT ROWID;

-- One row per message not yet deleted. ``receipt`` is the token of the latest receive:
-- a receipt handle names (seq, receipt), so an older handle no longer matches.
-- visible_at > now means delayed (never received) or in flight (received).
CREATE TABLE queue_messages (
    seq INTEGER PRIMARY KEY,
    queue TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    attributes TEXT,
    group_id TEXT,
    dedup_id TEXT,
    sent_at REAL NOT NULL,
    visible_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    first_received_at REAL,
    received_at REAL,
    receipt TEXT
);
CREATE INDEX queue_messages_due ON queue_messages (queue, visible_at);
CREATE INDEX queue_messages_expiry ON queue_messages (queue, expires_at);
