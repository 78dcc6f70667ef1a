-- Snap points created for stops stay: snap point ids are never deleted or reused.
ALTER TABLE stops DROP COLUMN location_id;
