-- The PostGIS side of the load benchmark: the rows police-api imported, laid out the way a
-- developer serving police.uk's JSON straight from PostgreSQL would lay them out, built
-- from the store's own tables (so both sides answer from the same rows).
--
-- * `gis_crimes`: one denormalised row per located crime (snap point, street name and the
--   outcome_status already joined in), LIST-partitioned by month so a query touches one
--   month's partition; rows written in geometry (Hilbert) order, like CLUSTER; a GiST index
--   on the point and a btree on the snap point id in every partition.
-- * `gis_neighbourhoods`: each neighbourhood's boundary as a MultiPolygon with holes, GiST,
--   and its rank among overlapping ones.
-- * for `/api/v2/crimes/counts`: `gis_force_crimes` (every crime's force, month and
--   category, a covering btree), `gis_months`, `gis_categories`, and `gis_counts_json`,
--   which shapes a GROUP BY's counts into police-api's answer.
--
-- The JSON is built at query time with json_build_object (`json`, not `jsonb`, keeps
-- police.uk's key order), as police-api renders it at query time. See pgbench/*.sql.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgis;
-- The store's tables as just imported (the benchmark's cluster runs without autovacuum).
ANALYZE crimes, outcomes, locations, neighbourhoods;

-- CASCADE: gis_crime_json (made again below) takes its row type.
DROP TABLE IF EXISTS gis_crimes CASCADE;
CREATE TABLE gis_crimes (
    month_key        integer NOT NULL, -- YYYYMM
    month            text NOT NULL,    -- YYYY-MM
    -- Position in police-api's category list: answers are ordered by category, then id.
    category_order   smallint NOT NULL,
    id               bigint NOT NULL,
    category         text NOT NULL,
    persistent_id    text NOT NULL,
    context          text NOT NULL,
    location_id      integer NOT NULL,
    latitude         text NOT NULL, -- as police.uk writes it: six decimals
    longitude        text NOT NULL,
    street_name      text NOT NULL,
    location_type    text NOT NULL,
    location_subtype text NOT NULL,
    outcome_category text,
    outcome_date     text,
    geom             geometry(Point, 4326) NOT NULL,
    -- The counts' scope: the forces of the crimes counted (see gis_counts_json).
    force_id         text NOT NULL
) PARTITION BY LIST (month_key);

DO $$
DECLARE
    key integer;
BEGIN
    FOR key IN SELECT DISTINCT to_char(month, 'YYYYMM')::integer FROM crimes LOOP
        -- UNLOGGED: rebuilt from the store on every run, so not worth writing twice.
        EXECUTE format('CREATE UNLOGGED TABLE gis_crimes_%s PARTITION OF gis_crimes '
                       'FOR VALUES IN (%s)', key, key);
    END LOOP;
END
$$;

-- outcome_status.date: the month of the crime's latest imported outcome, else its own month.
CREATE TEMP TABLE latest_outcome AS
    SELECT persistent_id, max(month) AS month FROM outcomes GROUP BY persistent_id;
CREATE INDEX ON latest_outcome (persistent_id);
ANALYZE latest_outcome;

INSERT INTO gis_crimes
SELECT to_char(c.month, 'YYYYMM')::integer,
       to_char(c.month, 'YYYY-MM'),
       array_position(ARRAY['anti-social-behaviour', 'bicycle-theft', 'burglary',
                            'criminal-damage-arson', 'drugs', 'other-theft',
                            'possession-of-weapons', 'public-order', 'robbery', 'shoplifting',
                            'theft-from-the-person', 'vehicle-crime', 'violent-crime',
                            'other-crime', 'public-disorder-weapons'], c.category),
       c.id,
       c.category,
       coalesce(c.persistent_id, ''),
       c.context,
       c.location_id,
       round(l.latitude::numeric, 6)::text,
       round(l.longitude::numeric, 6)::text,
       l.name,
       l.location_type,
       l.location_subtype,
       c.last_outcome,
       CASE WHEN c.last_outcome IS NOT NULL
            THEN to_char(coalesce(o.month, c.month), 'YYYY-MM') END,
       ST_SetSRID(ST_MakePoint(l.longitude, l.latitude), 4326),
       c.force_id
FROM crimes c
JOIN locations l ON l.id = c.location_id
LEFT JOIN latest_outcome o ON o.persistent_id = c.persistent_id
ORDER BY 1, 16;

CREATE INDEX gis_crimes_geom ON gis_crimes USING gist (geom);
CREATE INDEX gis_crimes_location ON gis_crimes (location_id);
VACUUM (ANALYZE) gis_crimes;

DROP TABLE IF EXISTS gis_neighbourhoods;
CREATE UNLOGGED TABLE gis_neighbourhoods AS
WITH rings AS (
    SELECT n.force_id, n.id, p.part_no, r.ring_no,
           ST_MakeLine(array_agg(ST_MakePoint((q.point ->> 1)::float8, (q.point ->> 0)::float8)
                                 ORDER BY q.point_no)) AS ring
    FROM neighbourhoods n
    CROSS JOIN LATERAL jsonb_array_elements(n.boundary) WITH ORDINALITY AS p (part, part_no)
    CROSS JOIN LATERAL jsonb_array_elements(p.part) WITH ORDINALITY AS r (ring, ring_no)
    CROSS JOIN LATERAL jsonb_array_elements(r.ring) WITH ORDINALITY AS q (point, point_no)
    WHERE jsonb_typeof(n.boundary) = 'array'
    GROUP BY n.force_id, n.id, p.part_no, r.ring_no
), closed AS (
    SELECT force_id, id, part_no, ring_no,
           CASE WHEN ST_IsClosed(ring) THEN ring ELSE ST_AddPoint(ring, ST_StartPoint(ring)) END
               AS ring
    FROM rings
    WHERE ST_NPoints(ring) >= 3
), parts AS (
    SELECT force_id, id, part_no,
           ST_MakePolygon((array_agg(ring ORDER BY ring_no))[1],
                          (array_agg(ring ORDER BY ring_no))[2:]) AS polygon
    FROM closed
    GROUP BY force_id, id, part_no
), ranked AS (
    -- Where boundaries overlap, the first listed wins, as in police-api: forces in
    -- /api/forces order, then each force's list order (docs/COMPATIBILITY.md).
    SELECT n.force_id, n.id,
           row_number() OVER (ORDER BY f.list_position, n.list_position NULLS LAST, n.id) AS rank
    FROM neighbourhoods n
    JOIN forces f ON f.id = n.force_id
    WHERE f.list_position IS NOT NULL
)
SELECT p.force_id, p.id, r.rank, ST_SetSRID(ST_Multi(ST_Collect(p.polygon)), 4326) AS geom
FROM parts p
JOIN ranked r ON r.force_id = p.force_id AND r.id = p.id
GROUP BY p.force_id, p.id, r.rank;

CREATE INDEX gis_neighbourhoods_geom ON gis_neighbourhoods USING gist (geom);
VACUUM (ANALYZE) gis_neighbourhoods;

-- One crime as police.uk writes it (key order included). A one-expression SQL function:
-- the planner inlines it into the queries that use it.
CREATE OR REPLACE FUNCTION gis_crime_json(c gis_crimes) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'category', c.category,
        'persistent_id', c.persistent_id,
        'location_subtype', c.location_subtype,
        'id', c.id,
        'location', json_build_object(
            'latitude', c.latitude,
            'street', json_build_object('id', c.location_id, 'name', c.street_name),
            'longitude', c.longitude),
        'context', c.context,
        'month', c.month,
        'location_type', c.location_type,
        'outcome_status', CASE WHEN c.outcome_category IS NOT NULL
                               THEN json_build_object('category', c.outcome_category,
                                                      'date', c.outcome_date) END)
$$;

-- /api/v2/crimes/counts: crimes per month and category, counted with GROUP BY month,
-- category over the rows above (circles and polygons: `gis_crimes`, located crimes) or
-- over `gis_force_crimes` (forces: every crime, located or not, as police-api counts
-- them), a covering btree for index-only scans of one force's months.
-- CASCADE: gis_counts_json (made again below) takes gis_count.
DROP TABLE IF EXISTS gis_force_crimes, gis_months, gis_force_months, gis_categories CASCADE;
DROP TYPE IF EXISTS gis_count CASCADE;
CREATE UNLOGGED TABLE gis_force_crimes AS
SELECT c.force_id,
       to_char(c.month, 'YYYYMM')::integer AS month_key,
       array_position(ARRAY['anti-social-behaviour', 'bicycle-theft', 'burglary',
                            'criminal-damage-arson', 'drugs', 'other-theft',
                            'possession-of-weapons', 'public-order', 'robbery', 'shoplifting',
                            'theft-from-the-person', 'vehicle-crime', 'violent-crime',
                            'other-crime', 'public-disorder-weapons'], c.category)::smallint
           AS category_order
FROM crimes c
ORDER BY 1, 2, 3;
CREATE INDEX gis_force_crimes_force_month ON gis_force_crimes (force_id, month_key, category_order);
VACUUM (ANALYZE) gis_force_crimes;

-- The months held (any crimes at all), and the categories in police-api's order.
CREATE UNLOGGED TABLE gis_months AS
SELECT DISTINCT to_char(month, 'YYYYMM')::integer AS month_key FROM crimes;
ALTER TABLE gis_months ADD PRIMARY KEY (month_key);
-- The months each force has crimes in: a month held but not for some of an area's forces
-- lists them as `missing_forces` (real data has such gaps; generated data has none).
CREATE UNLOGGED TABLE gis_force_months AS
SELECT DISTINCT to_char(month, 'YYYYMM')::integer AS month_key, force_id FROM crimes;
ALTER TABLE gis_force_months ADD PRIMARY KEY (month_key, force_id);
CREATE UNLOGGED TABLE gis_categories AS
SELECT category_order::smallint, slug
FROM unnest(ARRAY['anti-social-behaviour', 'bicycle-theft', 'burglary',
                  'criminal-damage-arson', 'drugs', 'other-theft',
                  'possession-of-weapons', 'public-order', 'robbery', 'shoplifting',
                  'theft-from-the-person', 'vehicle-crime', 'violent-crime',
                  'other-crime', 'public-disorder-weapons'])
     WITH ORDINALITY AS k (slug, category_order);
VACUUM (ANALYZE) gis_months, gis_categories;

-- One (month, category) group's count, as a query's GROUP BY produces them.
CREATE TYPE gis_count AS (month_key integer, category_order smallint, n bigint, force_id text);

-- The counts answer as police-api writes it (key order included): every month of the
-- period (`"missing": true` for a month not held), every category with zeros, the totals.
-- The scope's forces are `scope_forces` (a force query's force) and the forces of the crimes
-- counted; a held month without crimes of some of them lists those in `missing_forces`, and
-- is missing when that is all of them.
CREATE OR REPLACE FUNCTION gis_counts_json(area json, from_month text, to_month text,
                                           counted gis_count[],
                                           scope_forces text[] DEFAULT '{}') RETURNS json
LANGUAGE sql STABLE AS $$
    WITH scope AS (
        SELECT DISTINCT f AS force_id
        FROM unnest(scope_forces || ARRAY(SELECT c.force_id FROM unnest(counted) AS c
                                          WHERE c.force_id IS NOT NULL)) AS f
    ), months AS (
        SELECT to_char(d, 'YYYYMM')::integer AS month_key,
               to_char(d, 'YYYY-MM') AS month,
               EXISTS (SELECT 1 FROM gis_months h
                       WHERE h.month_key = to_char(d, 'YYYYMM')::integer) AS held
        FROM generate_series(to_date(from_month, 'YYYY-MM'), to_date(to_month, 'YYYY-MM'),
                             interval '1 month') AS d
    ), gaps AS (
        SELECT m.month_key, m.month, m.held,
               CASE WHEN m.held THEN ARRAY(
                   SELECT s.force_id FROM scope s
                   WHERE NOT EXISTS (SELECT 1 FROM gis_force_months g
                                     WHERE g.month_key = m.month_key
                                       AND g.force_id = s.force_id)
                   ORDER BY s.force_id COLLATE "C") ELSE '{}' END AS missing_forces
        FROM months m
    ), summed AS (
        SELECT c.month_key, c.category_order, sum(c.n) AS n
        FROM unnest(counted) AS c GROUP BY c.month_key, c.category_order
    ), cells AS (
        SELECT g.month_key, g.month, g.held, g.missing_forces, k.category_order, k.slug,
               coalesce(c.n, 0) AS n
        FROM gaps g
        CROSS JOIN gis_categories k
        LEFT JOIN summed AS c
               ON c.month_key = g.month_key AND c.category_order = k.category_order
    ), per_month AS (
        SELECT month_key, month, held, missing_forces,
               held AND (cardinality(missing_forces) = 0
                         OR cardinality(missing_forces) < (SELECT count(*) FROM scope))
                   AS counted,
               json_object_agg(slug, n ORDER BY category_order) AS counts, sum(n) AS total
        FROM cells
        GROUP BY month_key, month, held, missing_forces
    ), totals AS (
        SELECT category_order, slug, sum(n) AS n FROM cells GROUP BY category_order, slug
    )
    SELECT json_build_object(
        'area', area,
        'from', from_month,
        'to', to_month,
        'categories', (SELECT json_agg(slug ORDER BY category_order) FROM gis_categories),
        'months', (SELECT json_agg(CASE
                       WHEN NOT held
                           THEN json_build_object('month', month, 'missing', true)
                       WHEN NOT counted
                           THEN json_build_object('month', month, 'missing', true,
                                                  'missing_forces', missing_forces)
                       WHEN cardinality(missing_forces) > 0
                           THEN json_build_object('month', month, 'missing', false,
                                                  'missing_forces', missing_forces,
                                                  'counts', counts, 'total', total)
                       ELSE json_build_object('month', month, 'missing', false,
                                              'counts', counts, 'total', total)
                   END ORDER BY month_key)
                   FROM per_month),
        'totals', (SELECT json_object_agg(slug, n ORDER BY category_order) FROM totals),
        'total', (SELECT coalesce(sum(n), 0) FROM totals))
$$;
