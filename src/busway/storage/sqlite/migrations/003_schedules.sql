-- Schedules with their next due time; firings keyed by occurrence so each fires once.
CREATE TABLE schedules (
    group_name TEXT NOT NULL,
    name TEXT NOT NULL,
    arn TEXT NOT NULL,
    doc TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    due_at REAL,
    occurrence REAL,
    created_at REAL NOT NULL,
    modified_at REAL NOT NULL,
    PRIMARY KEY (group_name, name)
) WITHOUT ROWID;
CREATE INDEX schedules_due ON schedules (due_at) WHERE enabled = 1 AND due_at IS NOT NULL;

CREATE TABLE schedule_firings (
    group_name TEXT NOT NULL,
    name TEXT NOT NULL,
    occurrence REAL NOT NULL,
    fired_at REAL NOT NULL,
    PRIMARY KEY (group_name, name, occurrence)
) WITHOUT ROWID;
