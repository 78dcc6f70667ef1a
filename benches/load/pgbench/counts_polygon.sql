-- v2/crimes/counts?poly=&from=&to=: crimes per month and category inside a neighbourhood-sized
-- polygon over 12 months: GROUP BY month, category, then the answer's JSON.
\set n random(1, :queries)
SELECT poly, wkt, from_month, from_key, to_month, to_key FROM bench_counts_polygon WHERE n = :n \gset
SELECT gis_counts_json(
           json_build_object('type', 'polygon', 'poly', (:poly)::text),
           (:from_month)::text, (:to_month)::text,
           array_agg((counted.month_key, counted.category_order, counted.n, counted.force_id)::gis_count))
FROM (
    SELECT c.month_key, c.category_order, count(*) AS n, c.force_id
    FROM gis_crimes c
    WHERE c.month_key BETWEEN (:from_key)::integer AND (:to_key)::integer
      AND ST_Intersects(c.geom, (:wkt)::geometry)
    GROUP BY c.month_key, c.category_order, c.force_id
) counted;
