-- name: get_resource
SELECT kind, parent, name, arn, doc, created_at, modified_at
FROM resources WHERE kind = ? AND parent = ? AND name = ?

-- name: list_resources
SELECT kind, parent, name, arn, doc, created_at, modified_at
FROM resources
WHERE kind = ? AND parent = ? AND name >= ? AND name < ? AND name > ?
ORDER BY name

-- name: list_all_resources
SELECT kind, parent, name, arn, doc, created_at, modified_at
FROM resources WHERE kind = ? ORDER BY parent, name

-- name: create_resource
INSERT INTO resources (kind, parent, name, arn, doc, created_at, modified_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING

-- name: put_resource
INSERT INTO resources (kind, parent, name, arn, doc, created_at, modified_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (kind, parent, name) DO UPDATE
SET arn = excluded.arn, doc = excluded.doc, modified_at = excluded.modified_at

-- name: delete_resource
DELETE FROM resources WHERE kind = ? AND parent = ? AND name = ? RETURNING arn

-- name: delete_tags_of
DELETE FROM tags WHERE arn = ?

-- name: delete_children
DELETE FROM resources WHERE kind = ? AND parent = ? RETURNING arn

-- name: get_tags
SELECT key, value FROM tags WHERE arn = ? ORDER BY key

-- name: put_tag
INSERT INTO tags (arn, key, value) VALUES (?, ?, ?)
ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value

-- name: delete_tag
DELETE FROM tags WHERE arn = ? AND key = ?

-- name: last_event_ids
SELECT coalesce((SELECT max(seq) FROM events), 0), coalesce((SELECT max(id) FROM deliveries), 0)

-- name: insert_events
INSERT INTO events (seq, id, bus, time, ingested_at, body) VALUES (?, ?, ?, ?, ?, ?)

-- name: insert_claimed_deliveries
INSERT INTO deliveries
    (id, event_seq, bus, rule, target_id, run_at, attempts, lease_until, claimed_by)
VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)

-- name: release_node
UPDATE deliveries SET run_at = ?, lease_until = NULL, claimed_by = NULL
WHERE claimed_by = ?

-- name: defer_deliveries
UPDATE deliveries SET run_at = ?, lease_until = NULL, claimed_by = NULL, attempts = attempts - 1
WHERE id IN (SELECT value FROM json_each(?)) AND claimed_by IS NOT NULL

-- name: claim_deliveries
UPDATE deliveries
SET attempts = attempts + 1, run_at = :lease_until, lease_until = :lease_until, claimed_by = :node
WHERE id IN (SELECT id FROM deliveries WHERE run_at <= :now ORDER BY run_at, id LIMIT :limit)
RETURNING id, event_seq, bus, rule, target_id, attempts

-- name: event_bodies
SELECT seq, id, ingested_at, body FROM events WHERE seq IN (SELECT value FROM json_each(?))

-- name: retry_delivery
UPDATE deliveries SET run_at = ?, lease_until = NULL, claimed_by = NULL, last_error = ?
WHERE id = ?

-- name: finish_deliveries
DELETE FROM deliveries WHERE id IN (SELECT value FROM json_each(?))

-- name: finish_delivery
DELETE FROM deliveries WHERE id = ?
RETURNING id, event_seq, bus, rule, target_id, attempts

-- name: record_outcome
INSERT OR REPLACE INTO delivery_outcomes
    (delivery_id, event_seq, bus, rule, target_id, outcome, attempts, error, finished_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)

-- name: count_pending
SELECT count(*) FROM deliveries

-- name: recent_outcomes
SELECT delivery_id, outcome, error FROM delivery_outcomes
WHERE (:bus IS NULL OR bus = :bus) ORDER BY finished_at DESC, delivery_id DESC LIMIT :limit

-- name: get_queue
SELECT name, arn, attributes, tags, created_at, modified_at FROM queues WHERE name = ?

-- name: list_queues
SELECT name, arn, attributes, tags, created_at, modified_at FROM queues
WHERE name >= :low AND name < :high AND name > :after ORDER BY name LIMIT :limit

-- name: create_queue
INSERT INTO queues (name, arn, attributes, tags, created_at, modified_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING

-- name: update_queue_attributes
UPDATE queues SET attributes = ?, modified_at = ? WHERE name = ?

-- name: update_queue_tags
UPDATE queues SET tags = ? WHERE name = ?

-- name: delete_queue
DELETE FROM queues WHERE name = ?

-- name: mark_queue_purged
-- Claims a purge: only when the queue's last one was at least :interval seconds ago.
UPDATE queues SET purged_at = :now
WHERE name = :queue AND (purged_at IS NULL OR purged_at <= :now - :interval)

-- name: delete_queue_messages
DELETE FROM queue_messages WHERE queue = ?

-- name: insert_queue_message
INSERT INTO queue_messages
    (queue, id, body, attributes, group_id, dedup_id, sent_at, visible_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)

-- name: expire_queue_messages
DELETE FROM queue_messages WHERE queue = ? AND expires_at <= ?

-- name: redrive_queue_messages
UPDATE queue_messages
SET queue = :dlq, source_queue = queue, expires_at = sent_at + :dlq_retention
WHERE seq IN (
    SELECT seq FROM queue_messages
    WHERE queue = :queue AND visible_at <= :now AND receive_count >= :max_receives)

-- name: claim_queue_messages
UPDATE queue_messages
SET receive_count = receive_count + 1,
    receipt = :token,
    visible_at = :now + :visibility,
    received_at = :now,
    first_received_at = coalesce(first_received_at, :now)
WHERE seq IN (
    SELECT seq FROM queue_messages
    WHERE queue = :queue AND visible_at <= :now AND expires_at > :now
    ORDER BY visible_at LIMIT :limit)
RETURNING seq, id, body, attributes, group_id, dedup_id, sent_at, first_received_at,
    receive_count

-- name: get_queue_receipt
SELECT receipt, received_at FROM queue_messages WHERE seq = ? AND queue = ?

-- name: delete_queue_message
DELETE FROM queue_messages WHERE seq = ? AND queue = ? AND receipt = ?

-- name: change_queue_message_visibility
UPDATE queue_messages SET visible_at = ? WHERE seq = ?

-- name: pick_queue_messages_to_move
-- A move task's next batch: visible messages, oldest first, with the queue each goes to
-- (:destination, or the queue it was dead-lettered from when that still exists).
SELECT seq, body, attributes, group_id, dedup_id, coalesce(:destination, source_queue)
FROM queue_messages
WHERE queue = :queue AND visible_at <= :now AND expires_at > :now
    AND coalesce(:destination, source_queue) IN (SELECT name FROM queues)
ORDER BY seq LIMIT :limit

-- name: delete_queue_message_by_seq
DELETE FROM queue_messages WHERE seq = ?

-- name: count_queue_messages
SELECT
    coalesce(sum(visible_at <= :now), 0),
    coalesce(sum(visible_at > :now AND receive_count > 0), 0),
    coalesce(sum(visible_at > :now AND receive_count = 0), 0)
FROM queue_messages WHERE queue = :queue AND expires_at > :now

-- name: insert_move_task
-- A second active task of the same source conflicts with move_tasks_active: nothing.
INSERT INTO move_tasks (handle, source, destination, destination_arn, rate, to_move, started_at, moved, status, failure,
    runner, lease_until)
VALUES (?, ?, ?, ?, ?, ?, ?, 0, 'RUNNING', NULL, ?, ?)
ON CONFLICT DO NOTHING

-- name: prune_move_tasks
-- $1 source, $2 how many of its latest tasks to keep; active tasks always stay.
DELETE FROM move_tasks
WHERE source = ?1 AND status NOT IN ('RUNNING', 'CANCELLING')
    AND seq NOT IN (SELECT seq FROM move_tasks WHERE source = ?1 ORDER BY seq DESC LIMIT ?2)

-- name: list_move_tasks
SELECT handle, source, destination, destination_arn, rate, to_move, started_at, moved, status, failure,
    runner, lease_until
FROM move_tasks WHERE source = ? ORDER BY seq DESC LIMIT ?

-- name: get_move_task
SELECT handle, source, destination, destination_arn, rate, to_move, started_at, moved, status, failure,
    runner, lease_until
FROM move_tasks WHERE handle = ?

-- name: update_move_task
UPDATE move_tasks SET moved = ?, status = ?, failure = ?, lease_until = ? WHERE handle = ?

-- name: cancel_move_task
UPDATE move_tasks SET status = 'CANCELLING' WHERE handle = ? AND status = 'RUNNING'

-- name: fail_move_task
UPDATE move_tasks SET status = 'FAILED', failure = ?, lease_until = NULL
WHERE handle = ? AND runner = ? AND status IN ('RUNNING', 'CANCELLING')

-- name: claim_move_tasks
-- Active tasks whose lease ran out, and with :own those :node holds already.
UPDATE move_tasks SET runner = :node, lease_until = :lease_until
WHERE status IN ('RUNNING', 'CANCELLING')
    AND (coalesce(lease_until, 0) <= :now OR (:own AND runner = :node))
RETURNING handle, source, destination, destination_arn, rate, to_move, started_at, moved, status, failure,
    runner, lease_until

-- name: release_move_tasks
-- A node stopping gracefully lets go of its active tasks: the next claim takes them.
UPDATE move_tasks SET runner = NULL, lease_until = NULL
WHERE runner = ? AND status IN ('RUNNING', 'CANCELLING')

-- name: insert_schedule
INSERT INTO schedules
    (group_name, name, arn, doc, enabled, due_at, occurrence, created_at, modified_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING

-- name: replace_schedule
UPDATE schedules SET arn = ?, doc = ?, enabled = ?, due_at = ?, occurrence = ?, modified_at = ?
WHERE group_name = ? AND name = ?

-- name: get_schedule
SELECT group_name, name, arn, doc, enabled, due_at, occurrence, created_at, modified_at
FROM schedules WHERE group_name = ? AND name = ?

-- name: list_schedules
SELECT group_name, name, arn, doc, enabled, due_at, occurrence, created_at, modified_at
FROM schedules
WHERE (:group IS NULL OR group_name = :group)
  AND (:enabled IS NULL OR enabled = :enabled)
  AND name >= :prefix AND name < :prefix_end
  AND group_name || '/' || name > :after
ORDER BY group_name, name

-- name: delete_schedule
DELETE FROM schedules WHERE group_name = ? AND name = ?

-- name: delete_schedule_group
DELETE FROM schedules WHERE group_name = ?

-- name: due_schedules
SELECT group_name, name, arn, doc, enabled, due_at, occurrence, created_at, modified_at
FROM schedules WHERE enabled = 1 AND due_at IS NOT NULL AND due_at <= ?
ORDER BY due_at LIMIT ?

-- name: next_due_schedule
SELECT min(due_at) FROM schedules WHERE enabled = 1 AND due_at IS NOT NULL

-- name: record_firing
INSERT INTO schedule_firings (group_name, name, occurrence, fired_at) VALUES (?, ?, ?, ?)
ON CONFLICT DO NOTHING

-- name: advance_schedule
UPDATE schedules SET due_at = ?, occurrence = ?
WHERE group_name = ? AND name = ? AND modified_at = ?

-- name: delete_fired_schedule
DELETE FROM schedules WHERE group_name = ? AND name = ? AND modified_at = ?

-- name: count_schedules
SELECT count(*) FROM schedules

-- name: prune_events
DELETE FROM events WHERE seq IN (
    SELECT seq FROM events
    WHERE ingested_at < :before
      AND seq < coalesce((SELECT min(event_seq) FROM deliveries), 9223372036854775807)
    ORDER BY seq LIMIT :limit)

-- name: prune_outcomes
DELETE FROM delivery_outcomes WHERE finished_at < :before

-- name: prune_firings
DELETE FROM schedule_firings WHERE fired_at < :before

-- name: resource_fingerprint
SELECT parent, count(*), max(modified_at) FROM resources WHERE kind = ? GROUP BY parent
