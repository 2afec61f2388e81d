-- A tenant the operator deleted: refused everywhere at once (as when suspended), then purged in
-- batches by the worker — its messages as retention would, then its keys, settings and trail —
-- and last its row. The operator's trail keeps the record that it was deleted.

ALTER TABLE tenants ADD COLUMN deleted_at INTEGER NULL;
