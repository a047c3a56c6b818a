-- Deliveries without their foreign key to events. It cost every delivery row a lookup in
-- the append, the hottest write, and guarded nothing: an event and its deliveries are
-- written in one statement pair, and pruning keeps every event a delivery still names.
CREATE TABLE deliveries_lean (
    id INTEGER PRIMARY KEY,
    event_seq INTEGER NOT NULL,
    bus TEXT NOT NULL,
    rule TEXT NOT NULL,
    target_id TEXT NOT NULL,
    run_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until REAL,
    claimed_by TEXT,
    last_error TEXT
);
INSERT INTO deliveries_lean
    (id, event_seq, bus, rule, target_id, run_at, attempts, lease_until, claimed_by, last_error)
SELECT id, event_seq, bus, rule, target_id, run_at, attempts, lease_until, claimed_by, last_error
FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_lean RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries (run_at);
