-- The custom download (police_store::export) reads a force's rows in file order:
-- (force_id, month, line). Indexed in that order, PostgreSQL streams them from the index
-- instead of sorting the whole selection first (which spilled to disk and sent nothing
-- until it was done). The new indexes replace the (force_id, month) ones, which they cover.
CREATE INDEX crimes_force_month_line ON crimes (force_id, month, line);
DROP INDEX crimes_force_month;
CREATE INDEX outcomes_force_month_line ON outcomes (force_id, month, line);
DROP INDEX outcomes_force_month;
CREATE INDEX stops_force_month_line ON stops (force_id, month, line);
DROP INDEX stops_force_month;
