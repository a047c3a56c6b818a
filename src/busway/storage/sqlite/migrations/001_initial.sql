-- Control-plane resources (buses, rules, targets, connections, API destinations, queues)
-- are documents: few, small, read through caches. kind + parent + name is the key;
-- parent is '' for top-level resources, the bus for rules, 'bus/rule' for targets.
CREATE TABLE resources (
    kind TEXT NOT NULL,
    parent TEXT NOT NULL,
    name TEXT NOT NULL,
    arn TEXT NOT NULL,
    doc TEXT NOT NULL,
    created_at REAL NOT NULL,
    modified_at REAL NOT NULL,
    PRIMARY KEY (kind, parent, name)
) WITHOUT ROWID;
CREATE INDEX resources_by_arn ON resources (arn);

CREATE TABLE tags (
    arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (arn, key)
) WITHOUT ROWID;

-- The event log: every accepted event, as targets receive it.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    bus TEXT NOT NULL,
    time REAL NOT NULL,
    ingested_at REAL NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX events_by_bus_time ON events (bus, time);

-- One row per (event, rule, target) still to deliver. Finished rows are deleted; their
-- outcome is kept in delivery_outcomes (dead letters and drops).
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    event_seq INTEGER NOT NULL REFERENCES events (seq),
    bus TEXT NOT NULL,
    rule TEXT NOT NULL,
    target_id TEXT NOT NULL,
    run_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until REAL,
    claimed_by TEXT,
    last_error TEXT
);
CREATE INDEX deliveries_due ON deliveries (run_at);

CREATE TABLE delivery_outcomes (
    delivery_id INTEGER PRIMARY KEY,
    event_seq INTEGER NOT NULL,
    bus TEXT NOT NULL,
    rule TEXT NOT NULL,
    target_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    error TEXT,
    finished_at REAL NOT NULL
);
