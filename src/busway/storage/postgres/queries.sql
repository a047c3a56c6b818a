-- Named blocks for the PostgreSQL store. Batches travel as arrays (unnest), so a batch
-- is one statement whatever its size. Every time is a parameter.

-- name: get_resource
SELECT kind, parent, name, arn, doc, created_at, modified_at
FROM resources WHERE kind = $1 AND parent = $2 AND name = $3

-- name: list_resources
SELECT kind, parent, name, arn, doc, created_at, modified_at
FROM resources
WHERE kind = $1 AND parent = $2 AND starts_with(name, $3) AND name > $4
ORDER BY name
LIMIT nullif($5::bigint, 0)

-- name: list_all_resources
SELECT kind, parent, name, arn, doc, created_at, modified_at
FROM resources WHERE kind = $1 ORDER BY parent, name

-- name: create_resource
INSERT INTO resources (kind, parent, name, arn, doc, created_at, modified_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT DO NOTHING

-- name: put_resource
INSERT INTO resources (kind, parent, name, arn, doc, created_at, modified_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (kind, parent, name) DO UPDATE
SET arn = excluded.arn, doc = excluded.doc, modified_at = excluded.modified_at

-- name: delete_resource
WITH gone AS (
    DELETE FROM resources WHERE kind = $1 AND parent = $2 AND name = $3 RETURNING arn
), untagged AS (
    DELETE FROM tags WHERE arn IN (SELECT arn FROM gone)
)
SELECT count(*) FROM gone

-- name: delete_children
WITH gone AS (
    DELETE FROM resources WHERE kind = $1 AND parent = $2 RETURNING arn
)
DELETE FROM tags WHERE arn IN (SELECT arn FROM gone)

-- name: get_tags
SELECT key, value FROM tags WHERE arn = $1 ORDER BY key

-- name: put_tags
INSERT INTO tags (arn, key, value)
SELECT $1, t.key, t.value FROM unnest($2::text[], $3::text[]) AS t (key, value)
ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value

-- name: delete_tags
DELETE FROM tags WHERE arn = $1 AND key = ANY($2::text[])

-- name: append_events
-- $1-$5: the events' id, bus, time, ingested_at, body; $6-$10: each delivery's event (its
-- 1-based position in $1), rule, target_id, lease_until and node. Returns the deliveries'
-- ids in the order given. Ids come from the sequences up front (the CTE is volatile, so it
-- is evaluated once) to tie each delivery to its event without a second round trip. The
-- identity sequences are named as PostgreSQL names them (table_column_seq): a constant
-- resolved once per prepared statement, where pg_get_serial_sequence costs catalog
-- lookups per row.
WITH new_events AS (
    SELECT nextval('events_seq_seq'::regclass) AS seq, e.*
    FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::bytea[])
        WITH ORDINALITY AS e (id, bus, time, ingested_at, body, ord)
), stored_events AS (
    INSERT INTO events (seq, id, bus, time, ingested_at, body)
    SELECT seq, id, bus, time, ingested_at, body FROM new_events
), new_deliveries AS (
    SELECT nextval('deliveries_id_seq'::regclass) AS id, d.ord, e.seq, e.bus,
        d.rule, d.target_id, d.lease_until, d.node
    FROM unnest($6::bigint[], $7::text[], $8::text[], $9::float8[], $10::text[])
        WITH ORDINALITY AS d (event_ord, rule, target_id, lease_until, node, ord)
    JOIN new_events AS e ON e.ord = d.event_ord
), stored_deliveries AS (
    INSERT INTO deliveries
        (id, event_seq, bus, rule, target_id, run_at, attempts, lease_until, claimed_by)
    SELECT id, seq, bus, rule, target_id, lease_until, 1, lease_until, node
    FROM new_deliveries
)
SELECT id FROM new_deliveries ORDER BY ord

-- name: release_node
UPDATE deliveries SET run_at = $1, lease_until = NULL, claimed_by = NULL
WHERE claimed_by = $2

-- name: defer_deliveries
UPDATE deliveries
SET run_at = $2, lease_until = NULL, claimed_by = NULL, attempts = attempts - 1
WHERE id = ANY($1::bigint[]) AND claimed_by IS NOT NULL

-- name: claim_deliveries
-- $1 now, $2 limit, $3 lease_until, $4 node. SKIP LOCKED: nodes claiming at once take
-- disjoint rows instead of waiting for each other.
WITH due AS MATERIALIZED (
    SELECT id FROM deliveries WHERE run_at <= $1 ORDER BY run_at, id LIMIT $2
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE deliveries
    SET attempts = attempts + 1, run_at = $3, lease_until = $3, claimed_by = $4
    WHERE id IN (SELECT id FROM due)
    RETURNING id, event_seq, bus, rule, target_id, attempts
)
SELECT c.id, e.id, c.bus, c.rule, c.target_id, c.attempts, e.ingested_at, e.body
FROM claimed AS c JOIN events AS e ON e.seq = c.event_seq
ORDER BY c.id

-- name: retry_deliveries
UPDATE deliveries AS d
SET run_at = r.run_at, lease_until = NULL, claimed_by = NULL, last_error = r.error
FROM unnest($1::bigint[], $2::float8[], $3::text[]) AS r (id, run_at, error)
WHERE d.id = r.id

-- name: finish_deliveries
-- $1-$3: delivery id, outcome, error; $4 now. Only what did not succeed is recorded.
WITH done AS (
    DELETE FROM deliveries AS d
    USING unnest($1::bigint[], $2::text[], $3::text[]) AS f (id, outcome, error)
    WHERE d.id = f.id
    RETURNING d.id, d.event_seq, d.bus, d.rule, d.target_id, d.attempts, f.outcome, f.error
)
INSERT INTO delivery_outcomes
    (delivery_id, event_seq, bus, rule, target_id, outcome, attempts, error, finished_at)
SELECT id, event_seq, bus, rule, target_id, outcome, attempts, error, $4
FROM done WHERE outcome <> 'delivered'
ON CONFLICT (delivery_id) DO UPDATE
SET outcome = excluded.outcome, attempts = excluded.attempts, error = excluded.error,
    finished_at = excluded.finished_at

-- name: count_pending
SELECT count(*) FROM deliveries

-- name: recent_outcomes
SELECT delivery_id, outcome, error FROM delivery_outcomes
WHERE ($1::text IS NULL OR bus = $1)
ORDER BY finished_at DESC, delivery_id DESC LIMIT $2

-- name: get_queue
SELECT name, arn, attributes, tags, created_at, modified_at FROM queues WHERE name = $1

-- name: lock_queue
-- Holds off a concurrent DeleteQueue until the messages being sent are committed.
SELECT name, arn, attributes, tags, created_at, modified_at FROM queues WHERE name = $1
FOR KEY SHARE

-- name: list_queues
SELECT name, arn, attributes, tags, created_at, modified_at FROM queues
WHERE starts_with(name, $1) AND name > $2 ORDER BY name LIMIT $3

-- name: create_queue
WITH created AS (
    INSERT INTO queues (name, arn, attributes, tags, created_at, modified_at)
    VALUES ($1, $2, $3, $4, $5, $5)
    ON CONFLICT DO NOTHING
    RETURNING name, arn, attributes, tags, created_at, modified_at
)
SELECT *, true FROM created
UNION ALL
SELECT name, arn, attributes, tags, created_at, modified_at, false FROM queues WHERE name = $1

-- name: update_queue_attributes
UPDATE queues SET attributes = $1, modified_at = $2 WHERE name = $3

-- name: update_queue_tags
UPDATE queues SET tags = $1 WHERE name = $2

-- name: delete_queue
DELETE FROM queues WHERE name = $1

-- name: mark_queue_purged
-- Claims a purge: only when the queue's last one was at least $3 seconds before $2. A
-- concurrent purge from another node waits on the row lock, then finds it too recent.
UPDATE queues SET purged_at = $2
WHERE name = $1 AND (purged_at IS NULL OR purged_at <= $2::double precision - $3)

-- name: delete_queue_messages
DELETE FROM queue_messages WHERE queue = $1

-- name: insert_queue_messages
-- $1 queue, $2 now, $3 expiry; $4-$9 per message: id, body, attributes, group_id,
-- dedup_id, visible_at. Rows go in the order given so seq breaks ties in send order.
INSERT INTO queue_messages
    (queue, id, body, attributes, group_id, dedup_id, sent_at, visible_at, expires_at)
SELECT $1, m.id, m.body, m.attributes, m.group_id, m.dedup_id, $2, m.visible_at, $3
FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::float8[])
    WITH ORDINALITY AS m (id, body, attributes, group_id, dedup_id, visible_at, ord)
ORDER BY m.ord

-- name: expire_queue_messages
DELETE FROM queue_messages WHERE queue = $1 AND expires_at <= $2

-- name: redrive_queue_messages
-- $1 dead-letter queue, $2 its retention, $3 queue, $4 now, $5 max receives. Messages
-- another receiver holds are being received right now: skip them.
UPDATE queue_messages SET queue = $1, source_queue = queue, expires_at = sent_at + $2
WHERE seq IN (
    SELECT seq FROM queue_messages
    WHERE queue = $3 AND visible_at <= $4 AND receive_count >= $5
    FOR UPDATE SKIP LOCKED)

-- name: claim_queue_messages
-- $1 queue, $2 now, $3 limit, $4 receipt token, $5 visibility seconds.
WITH picked AS MATERIALIZED (
    SELECT seq FROM queue_messages
    WHERE queue = $1 AND visible_at <= $2 AND expires_at > $2
    ORDER BY visible_at, seq LIMIT $3
    FOR UPDATE SKIP LOCKED
)
UPDATE queue_messages
SET receive_count = receive_count + 1,
    receipt = $4,
    visible_at = $2 + $5,
    received_at = $2,
    first_received_at = coalesce(first_received_at, $2)
WHERE seq IN (SELECT seq FROM picked)
RETURNING seq, id, body, attributes, group_id, dedup_id, sent_at, first_received_at,
    receive_count

-- name: delete_queue_messages_by_receipt
DELETE FROM queue_messages AS m
USING unnest($2::bigint[], $3::text[]) AS h (seq, receipt)
WHERE m.queue = $1 AND m.seq = h.seq AND m.receipt = h.receipt
RETURNING m.seq, m.receipt

-- name: lock_queue_receipts
SELECT seq, receipt, received_at FROM queue_messages
WHERE queue = $1 AND seq = ANY($2::bigint[])
FOR UPDATE

-- name: change_queue_message_visibility
UPDATE queue_messages AS m SET visible_at = c.visible_at
FROM unnest($1::bigint[], $2::float8[]) AS c (seq, visible_at)
WHERE m.seq = c.seq

-- name: pick_queue_messages_to_move
-- $1 queue, $2 destination (NULL: the queue each message was dead-lettered from, when
-- it still exists), $3 now, $4 limit. A move task's next batch, oldest first.
SELECT seq, body, attributes, group_id, dedup_id, coalesce($2::text, source_queue)
FROM queue_messages
WHERE queue = $1 AND visible_at <= $3 AND expires_at > $3
    AND coalesce($2::text, source_queue) IN (SELECT name FROM queues)
ORDER BY seq LIMIT $4
FOR UPDATE SKIP LOCKED

-- name: delete_queue_messages_by_seq
DELETE FROM queue_messages WHERE seq = ANY($1::bigint[])

-- name: count_queue_messages
SELECT
    count(*) FILTER (WHERE visible_at <= $2),
    count(*) FILTER (WHERE visible_at > $2 AND receive_count > 0),
    count(*) FILTER (WHERE visible_at > $2 AND receive_count = 0)
FROM queue_messages WHERE queue = $1 AND expires_at > $2

-- name: insert_move_task
-- A second active task of the same source conflicts with move_tasks_active, also when
-- another node inserts it at the same moment: nothing is inserted.
INSERT INTO move_tasks (handle, source, destination, destination_arn, rate, to_move, started_at, moved, status, failure,
    runner, lease_until)
VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 'RUNNING', NULL, $8, $9)
ON CONFLICT DO NOTHING

-- name: prune_move_tasks
-- $1 source, $2 how many of its latest tasks to keep; active tasks always stay.
DELETE FROM move_tasks
WHERE source = $1 AND status NOT IN ('RUNNING', 'CANCELLING')
    AND seq NOT IN (SELECT seq FROM move_tasks WHERE source = $1 ORDER BY seq DESC LIMIT $2)

-- name: list_move_tasks
SELECT handle, source, destination, destination_arn, rate, to_move, started_at, moved, status, failure,
    runner, lease_until
FROM move_tasks WHERE source = $1 ORDER BY seq DESC LIMIT $2

-- name: lock_move_task
SELECT handle, source, destination, destination_arn, rate, to_move, started_at, moved, status, failure,
    runner, lease_until
FROM move_tasks WHERE handle = $1 FOR UPDATE

-- name: update_move_task
UPDATE move_tasks SET moved = $1, status = $2, failure = $3, lease_until = $4 WHERE handle = $5

-- name: cancel_move_task
UPDATE move_tasks SET status = 'CANCELLING' WHERE handle = $1 AND status = 'RUNNING'

-- name: fail_move_task
UPDATE move_tasks SET status = 'FAILED', failure = $1, lease_until = NULL
WHERE handle = $2 AND runner = $3 AND status IN ('RUNNING', 'CANCELLING')

-- name: claim_move_tasks
-- $1 node, $2 now, $3 lease_until, $4 own: active tasks whose lease ran out, and with
-- $4 those $1 holds already. SKIP LOCKED passes over a task whose batch is running.
WITH due AS MATERIALIZED (
    SELECT seq FROM move_tasks
    WHERE status IN ('RUNNING', 'CANCELLING')
        AND (coalesce(lease_until, 0) <= $2 OR ($4 AND runner = $1))
    FOR UPDATE SKIP LOCKED
)
UPDATE move_tasks SET runner = $1, lease_until = $3
WHERE seq IN (SELECT seq FROM due)
RETURNING handle, source, destination, destination_arn, rate, to_move, started_at, moved, status, failure,
    runner, lease_until

-- name: release_move_tasks
-- A node stopping gracefully lets go of its active tasks: the next claim takes them.
UPDATE move_tasks SET runner = NULL, lease_until = NULL
WHERE runner = $1 AND status IN ('RUNNING', 'CANCELLING')

-- name: insert_schedule
INSERT INTO schedules
    (group_name, name, arn, doc, enabled, due_at, occurrence, created_at, modified_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
ON CONFLICT DO NOTHING

-- name: replace_schedule
UPDATE schedules
SET arn = $3, doc = $4, enabled = $5, due_at = $6, occurrence = $7, modified_at = $8
WHERE group_name = $1 AND name = $2

-- name: get_schedule
SELECT group_name, name, arn, doc, enabled, due_at, occurrence, created_at, modified_at
FROM schedules WHERE group_name = $1 AND name = $2

-- name: list_schedules
-- $1 group or NULL, $2 enabled or NULL, $3 name prefix, $4 after (group/name), $5 limit.
SELECT group_name, name, arn, doc, enabled, due_at, occurrence, created_at, modified_at
FROM schedules
WHERE ($1::text IS NULL OR group_name = $1)
  AND ($2::boolean IS NULL OR enabled = $2)
  AND starts_with(name, $3)
  AND group_name || '/' || name > $4
ORDER BY group_name, name
LIMIT nullif($5::bigint, 0)

-- name: delete_schedule
DELETE FROM schedules WHERE group_name = $1 AND name = $2

-- name: delete_schedule_group
DELETE FROM schedules WHERE group_name = $1

-- name: due_schedules
-- A read: two nodes may both see a schedule due; the firing row decides who fires it.
SELECT group_name, name, arn, doc, enabled, due_at, occurrence, created_at, modified_at
FROM schedules WHERE enabled AND due_at IS NOT NULL AND due_at <= $1
ORDER BY due_at, group_name, name LIMIT $2

-- name: next_due_schedule
SELECT min(due_at) FROM schedules WHERE enabled AND due_at IS NOT NULL

-- name: record_firings
-- $1-$3: group, name, occurrence, sorted by key so that nodes firing overlapping
-- batches take the firing rows' locks in one order and cannot deadlock. Returns the
-- occurrences that were new.
INSERT INTO schedule_firings (group_name, name, occurrence, fired_at)
SELECT f.group_name, f.name, f.occurrence, $4
FROM unnest($1::text[], $2::text[], $3::float8[]) WITH ORDINALITY AS f (group_name, name, occurrence, ord)
ORDER BY f.ord
ON CONFLICT DO NOTHING
RETURNING group_name, name, occurrence

-- name: advance_schedules
-- Only schedules not changed since they were read ($3: the modified time then).
UPDATE schedules AS s SET due_at = a.due_at, occurrence = a.occurrence
FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::float8[])
    AS a (group_name, name, version, due_at, occurrence)
WHERE s.group_name = a.group_name AND s.name = a.name AND s.modified_at = a.version

-- name: delete_fired_schedules
DELETE FROM schedules AS s
USING unnest($1::text[], $2::text[], $3::float8[]) AS d (group_name, name, version)
WHERE s.group_name = d.group_name AND s.name = d.name AND s.modified_at = d.version

-- name: count_schedules
SELECT count(*) FROM schedules

-- name: prune_events
-- Deliveries only reference events of their own append, so no delivery can start
-- needing an event older than the oldest one still referenced.
DELETE FROM events WHERE seq IN (
    SELECT seq FROM events
    WHERE ingested_at < $1
      AND seq < coalesce((SELECT min(event_seq) FROM deliveries), 9223372036854775807)
    ORDER BY seq LIMIT $2)

-- name: prune_outcomes
DELETE FROM delivery_outcomes WHERE finished_at < $1

-- name: prune_firings
DELETE FROM schedule_firings WHERE fired_at < $1

-- name: resource_fingerprint
SELECT parent, count(*), max(modified_at) FROM resources WHERE kind = $1 GROUP BY parent

-- name: notify
-- $1 channel, $2 payloads: one notification each, in one statement.
SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p
