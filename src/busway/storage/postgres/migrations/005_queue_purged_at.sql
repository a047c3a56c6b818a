-- The time of a queue's last PurgeQueue, kept with the queue so that "one purge every 60
-- seconds" holds across every node sharing this database, and after a restart. NULL
-- until the first purge.
ALTER TABLE queues ADD COLUMN purged_at double precision;
