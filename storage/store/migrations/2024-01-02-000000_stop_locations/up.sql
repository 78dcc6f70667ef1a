-- Stop-and-search rows name no place, only coordinates (which are police.uk snap point
-- coordinates). The importer maps each located stop to a snap point (`locations`) when it
-- imports the file, so that the in-memory index can group stops by snap point like crimes:
-- the lowest-id snap point with exactly those coordinates and a real name; failing that, a
-- snap point named 'On or near Unnamed Location' (see docs/COMPATIBILITY.md), created once
-- per coordinates. NULL for stops without coordinates.
ALTER TABLE stops ADD COLUMN location_id integer;

-- Stops imported before this migration get their snap points now, the same way.
INSERT INTO locations (longitude, latitude, name, location_type)
SELECT DISTINCT ON (s.longitude, s.latitude)
       s.longitude, s.latitude, 'On or near Unnamed Location',
       CASE WHEN s.force_id = 'btp' THEN 'BTP' ELSE 'Force' END
FROM stops s
WHERE s.longitude IS NOT NULL AND s.latitude IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM locations l
      WHERE l.longitude = s.longitude AND l.latitude = s.latitude
        AND l.name <> 'On or near Unnamed Location')
ORDER BY s.longitude, s.latitude, s.force_id = 'btp'
ON CONFLICT DO NOTHING;

UPDATE stops s
SET location_id = (
    SELECT l.id FROM locations l
    WHERE l.longitude = s.longitude AND l.latitude = s.latitude
    ORDER BY l.name = 'On or near Unnamed Location', l.id
    LIMIT 1)
WHERE s.longitude IS NOT NULL AND s.latitude IS NOT NULL;
