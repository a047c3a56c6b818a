-- Appends are the hot path. The foreign key from deliveries to events cost a lookup per
-- delivery row (a fifth of an append's time) and guarded nothing: a delivery is only
-- ever written by the statement that writes its event, and events are pruned only below
-- the oldest delivery's event (prune_events).
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_event_seq_fkey;
