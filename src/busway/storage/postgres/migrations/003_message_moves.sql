-- The queue a message was dead-lettered from, so that a message move task without a
-- destination (StartMessageMoveTask) can send it back there. NULL for messages sent
-- to the queue directly.
ALTER TABLE queue_messages ADD COLUMN IF NOT EXISTS source_queue text;
