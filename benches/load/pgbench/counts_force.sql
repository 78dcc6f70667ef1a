-- v2/crimes/counts?force=&from=&to=: a force's crimes (located or not) per month and
-- category over 36 months: GROUP BY month, category on an index-only scan, then the JSON.
\set n random(1, :queries)
SELECT force_id, from_month, from_key, to_month, to_key FROM bench_counts_force WHERE n = :n \gset
SELECT gis_counts_json(
           json_build_object('type', 'force', 'force', (:force_id)::text),
           (:from_month)::text, (:to_month)::text,
           array_agg((counted.month_key, counted.category_order, counted.n, NULL)::gis_count),
           ARRAY[(:force_id)::text])
FROM (
    SELECT f.month_key, f.category_order, count(*) AS n
    FROM gis_force_crimes f
    WHERE f.force_id = (:force_id)::text
      AND f.month_key BETWEEN (:from_key)::integer AND (:to_key)::integer
    GROUP BY f.month_key, f.category_order
) counted;
