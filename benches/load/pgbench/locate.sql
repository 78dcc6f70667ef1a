-- locate-neighbourhood?q=lat,lng: the neighbourhood whose boundary holds the point (the
-- first listed, where boundaries overlap).
\set n random(1, :queries)
SELECT lat, lng FROM bench_locate WHERE n = :n \gset
SELECT json_build_object('force', force_id, 'neighbourhood', id)
FROM gis_neighbourhoods
WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint((:lng)::float8, (:lat)::float8), 4326))
ORDER BY rank
LIMIT 1;
