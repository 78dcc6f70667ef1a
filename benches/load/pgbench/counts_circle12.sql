-- v2/crimes/counts?lat=&lng=&from=&to=: crimes per month and category within a mile (great
-- circle on a sphere), over 12 months: GROUP BY month, category, then the answer's JSON.
\set n random(1, :queries)
SELECT lat, lng, dlat, dlng, from_month, from_key, to_month, to_key FROM bench_counts_circle12 WHERE n = :n \gset
SELECT gis_counts_json(
           json_build_object('type', 'circle', 'lat', (:lat)::float8, 'lng', (:lng)::float8,
                             'radius', 1609.344::float8),
           (:from_month)::text, (:to_month)::text,
           array_agg((counted.month_key, counted.category_order, counted.n, counted.force_id)::gis_count))
FROM (
    SELECT c.month_key, c.category_order, count(*) AS n, c.force_id
    FROM gis_crimes c
    WHERE c.month_key BETWEEN (:from_key)::integer AND (:to_key)::integer
      AND c.geom && ST_MakeEnvelope((:lng)::float8 - (:dlng)::float8, (:lat)::float8 - (:dlat)::float8,
                                    (:lng)::float8 + (:dlng)::float8, (:lat)::float8 + (:dlat)::float8, 4326)
      AND ST_DWithin(c.geom::geography,
                     ST_SetSRID(ST_MakePoint((:lng)::float8, (:lat)::float8), 4326)::geography,
                     1609.344, false)
    GROUP BY c.month_key, c.category_order, c.force_id
) counted;
