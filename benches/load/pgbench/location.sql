-- crimes-at-location?date=&location_id=: the crimes at one snap point in a month.
\set n random(1, :queries)
SELECT month_key, location_id FROM bench_location WHERE n = :n \gset
SELECT coalesce(json_agg(gis_crime_json(c) ORDER BY c.category_order, c.id), '[]')
FROM gis_crimes c
WHERE c.month_key = :month_key
  AND c.location_id = :location_id;
