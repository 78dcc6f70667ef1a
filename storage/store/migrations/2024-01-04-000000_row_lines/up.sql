-- Where each row stood in its file: the line its CSV record starts on (1 is the header).
-- The custom download (police_store::export) writes a file's rows back in this order, so
-- that a file comes out as it went in; neither crime ids (kept across vintages) nor the
-- physical order of outcomes and stops (free space is reused) can tell it. NULL for rows
-- imported before this migration: they come out in crime id order (crimes) or in no
-- particular order (outcomes, stops).
ALTER TABLE crimes ADD COLUMN line integer;
ALTER TABLE outcomes ADD COLUMN line integer;
ALTER TABLE stops ADD COLUMN line integer;
