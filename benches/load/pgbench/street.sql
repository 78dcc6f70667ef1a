-- crimes-street/all-crime?lat=&lng=&date=: crimes within a mile (great circle on a sphere).
\set n random(1, :queries)
SELECT month_key, lat, lng, dlat, dlng FROM bench_street WHERE n = :n \gset
SELECT coalesce(json_agg(gis_crime_json(c) ORDER BY c.category_order, c.id), '[]')
FROM gis_crimes c
WHERE c.month_key = :month_key
  AND c.geom && ST_MakeEnvelope((:lng)::float8 - (:dlng)::float8, (:lat)::float8 - (:dlat)::float8,
                                (:lng)::float8 + (:dlng)::float8, (:lat)::float8 + (:dlat)::float8, 4326)
  AND ST_DWithin(c.geom::geography,
                 ST_SetSRID(ST_MakePoint((:lng)::float8, (:lat)::float8), 4326)::geography,
                 1609.344, false);
