-- Message move tasks (StartMessageMoveTask), kept in the store so that a restarted
-- server still lists them and carries on the one it was running. ``runner`` holds an
-- active task while ``lease_until`` is ahead, as deliveries' leases do.
CREATE TABLE move_tasks (
    seq INTEGER PRIMARY KEY,
    handle TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    destination TEXT,
    destination_arn TEXT,
    rate INTEGER,
    to_move INTEGER NOT NULL,
    moved INTEGER NOT NULL,
    status TEXT NOT NULL,
    failure TEXT,
    started_at REAL NOT NULL,
    runner TEXT,
    lease_until REAL
);
CREATE INDEX move_tasks_of_source ON move_tasks (source, seq);
-- One active task per source: a second start conflicts here.
CREATE UNIQUE INDEX move_tasks_active ON move_tasks (source)
    WHERE status IN ('RUNNING', 'CANCELLING');
