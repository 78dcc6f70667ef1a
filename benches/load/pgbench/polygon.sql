-- crimes-street/all-crime?poly=&date=: crimes inside a neighbourhood-sized polygon.
\set n random(1, :queries)
SELECT month_key, wkt FROM bench_polygon WHERE n = :n \gset
SELECT coalesce(json_agg(gis_crime_json(c) ORDER BY c.category_order, c.id), '[]')
FROM gis_crimes c
WHERE c.month_key = :month_key
  AND ST_Intersects(c.geom, (:wkt)::geometry);
