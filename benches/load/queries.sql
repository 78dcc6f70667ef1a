-- The load benchmark's query sets, drawn from the store with a fixed seed, so that the same
-- data and seed give the same queries: crimes are ranked by a hash of their content (not
-- by id or row order, which depend on import scheduling) and the first 4 × :count taken,
-- so each place is picked as often as crimes happen there. Every set is a table for the
-- PostGIS side (pgbench picks row `n`) and a file of request paths for police-api (wrk).
--
-- psql variables: count (queries per kind), seed, out (folder for the path files).
\set ON_ERROR_STOP on
SET client_min_messages = warning;

DROP TABLE IF EXISTS bench_sample, bench_street, bench_polygon, bench_location,
    bench_locate, bench_counts_circle12, bench_counts_circle36, bench_counts_polygon,
    bench_counts_force;

CREATE TABLE bench_sample AS
SELECT row_number() OVER (ORDER BY hash, location_id, month) AS n, *
FROM (
    SELECT md5(:'seed' || '/' || coalesce(c.persistent_id, '') || '/' || c.location_id
               || '/' || c.month || '/' || c.category) AS hash,
           c.location_id,
           c.month,
           c.force_id,
           l.latitude,
           l.longitude
    FROM crimes c
    JOIN locations l ON l.id = c.location_id
    ORDER BY 1, 2, 3
    LIMIT 4 * :count
) ranked;

-- Point queries (crimes-street, one mile around a place where crimes are), with the
-- bounding box of the mile (on a sphere of police-api's Earth radius) for the GiST index.
CREATE TABLE bench_street AS
SELECT n,
       to_char(month, 'YYYYMM')::integer AS month_key,
       to_char(month, 'YYYY-MM') AS month,
       round(latitude::numeric, 6)::float8 AS lat,
       round(longitude::numeric, 6)::float8 AS lng
FROM bench_sample WHERE n <= :count;
ALTER TABLE bench_street ADD COLUMN dlat float8, ADD COLUMN dlng float8;
UPDATE bench_street SET dlat = degrees(1609.344 / 6371008.8),
                        dlng = degrees(1609.344 / 6371008.8)
                               / cos(radians(abs(lat) + degrees(1609.344 / 6371008.8)));
ALTER TABLE bench_street ADD PRIMARY KEY (n);

-- Neighbourhood-sized polygons: octagons 500–1,200 m across the centre, turned by a
-- hash-derived angle, around a second sample of places.
CREATE TABLE bench_polygon AS
WITH centres AS (
    SELECT n - :count AS n, month, latitude AS lat, longitude AS lng,
           500 + 700 * (('x' || substr(hash, 1, 8))::bit(32)::bigint / 4294967296.0) AS radius,
           2 * pi() * (('x' || substr(hash, 9, 8))::bit(32)::bigint / 4294967296.0) AS turn
    FROM bench_sample WHERE n > :count AND n <= 2 * :count
), vertices AS (
    SELECT n, month, i,
           round((lat + degrees(radius * cos(turn + i * pi() / 4) / 6371008.8))::numeric, 6)
               AS v_lat,
           round((lng + degrees(radius * sin(turn + i * pi() / 4) / 6371008.8)
                        / cos(radians(lat)))::numeric, 6) AS v_lng
    FROM centres, generate_series(0, 7) AS i
)
SELECT n,
       to_char(month, 'YYYYMM')::integer AS month_key,
       to_char(month, 'YYYY-MM') AS month,
       string_agg(v_lat || ',' || v_lng, ':' ORDER BY i) AS poly,
       'SRID=4326;POLYGON((' || string_agg(v_lng || ' ' || v_lat, ',' ORDER BY i) || ','
           || (array_agg(v_lng || ' ' || v_lat ORDER BY i))[1] || '))' AS wkt
FROM vertices
GROUP BY n, month;
ALTER TABLE bench_polygon ADD PRIMARY KEY (n);

-- crimes-at-location: a snap point and month where crimes are.
CREATE TABLE bench_location AS
SELECT n - 2 * :count AS n,
       to_char(month, 'YYYYMM')::integer AS month_key,
       to_char(month, 'YYYY-MM') AS month,
       location_id
FROM bench_sample WHERE n > 2 * :count AND n <= 3 * :count;
ALTER TABLE bench_location ADD PRIMARY KEY (n);

-- locate-neighbourhood at places where crimes are.
CREATE TABLE bench_locate AS
SELECT n - 3 * :count AS n,
       round(latitude::numeric, 6)::float8 AS lat,
       round(longitude::numeric, 6)::float8 AS lng
FROM bench_sample WHERE n > 3 * :count;
ALTER TABLE bench_locate ADD PRIMARY KEY (n);

-- /api/v2/crimes/counts: periods of 12 or 36 months ending at the latest month held (the
-- route's default period is the 12 of them), so months not loaded yet are part of the
-- answer ("missing") at the earlier stages. One-mile circles over 12 months around the
-- point queries' places and over 36 around the locate queries'; the polygons over 12
-- months; forces over 36 months, each force picked as often as it has crimes.
CREATE TABLE bench_counts_circle12 AS
SELECT s.n, s.lat, s.lng, s.dlat, s.dlng,
       to_char(p.latest - interval '11 months', 'YYYY-MM') AS from_month,
       to_char(p.latest - interval '11 months', 'YYYYMM')::integer AS from_key,
       to_char(p.latest, 'YYYY-MM') AS to_month,
       to_char(p.latest, 'YYYYMM')::integer AS to_key
FROM bench_street s, (SELECT max(month) AS latest FROM crimes) p;
ALTER TABLE bench_counts_circle12 ADD PRIMARY KEY (n);

CREATE TABLE bench_counts_circle36 AS
SELECT s.n,
       s.lat,
       s.lng,
       degrees(1609.344 / 6371008.8) AS dlat,
       degrees(1609.344 / 6371008.8)
           / cos(radians(abs(s.lat) + degrees(1609.344 / 6371008.8))) AS dlng,
       to_char(p.latest - interval '35 months', 'YYYY-MM') AS from_month,
       to_char(p.latest - interval '35 months', 'YYYYMM')::integer AS from_key,
       to_char(p.latest, 'YYYY-MM') AS to_month,
       to_char(p.latest, 'YYYYMM')::integer AS to_key
FROM bench_locate s, (SELECT max(month) AS latest FROM crimes) p;
ALTER TABLE bench_counts_circle36 ADD PRIMARY KEY (n);

CREATE TABLE bench_counts_polygon AS
SELECT s.n, s.poly, s.wkt,
       to_char(p.latest - interval '11 months', 'YYYY-MM') AS from_month,
       to_char(p.latest - interval '11 months', 'YYYYMM')::integer AS from_key,
       to_char(p.latest, 'YYYY-MM') AS to_month,
       to_char(p.latest, 'YYYYMM')::integer AS to_key
FROM bench_polygon s, (SELECT max(month) AS latest FROM crimes) p;
ALTER TABLE bench_counts_polygon ADD PRIMARY KEY (n);

CREATE TABLE bench_counts_force AS
SELECT s.n - 2 * :count AS n, s.force_id,
       to_char(p.latest - interval '35 months', 'YYYY-MM') AS from_month,
       to_char(p.latest - interval '35 months', 'YYYYMM')::integer AS from_key,
       to_char(p.latest, 'YYYY-MM') AS to_month,
       to_char(p.latest, 'YYYYMM')::integer AS to_key
FROM bench_sample s, (SELECT max(month) AS latest FROM crimes) p
WHERE s.n > 2 * :count AND s.n <= 3 * :count;
ALTER TABLE bench_counts_force ADD PRIMARY KEY (n);

VACUUM (ANALYZE) bench_street, bench_polygon, bench_location, bench_locate,
    bench_counts_circle12, bench_counts_circle36, bench_counts_polygon, bench_counts_force;

\o :out/street.paths
COPY (SELECT '/api/crimes-street/all-crime?lat=' || to_char(lat, 'FM990.000000') || '&lng='
             || to_char(lng, 'FM990.000000') || '&date=' || month
      FROM bench_street ORDER BY n) TO STDOUT;
\o :out/polygon.paths
COPY (SELECT '/api/crimes-street/all-crime?poly=' || poly || '&date=' || month
      FROM bench_polygon ORDER BY n) TO STDOUT;
\o :out/location.paths
COPY (SELECT '/api/crimes-at-location?date=' || month || '&location_id=' || location_id
      FROM bench_location ORDER BY n) TO STDOUT;
\o :out/locate.paths
COPY (SELECT '/api/locate-neighbourhood?q=' || to_char(lat, 'FM990.000000') || ','
             || to_char(lng, 'FM990.000000')
      FROM bench_locate ORDER BY n) TO STDOUT;
\o :out/counts_circle12.paths
COPY (SELECT '/api/v2/crimes/counts?lat=' || to_char(lat, 'FM990.000000') || '&lng='
             || to_char(lng, 'FM990.000000') || '&from=' || from_month || '&to=' || to_month
      FROM bench_counts_circle12 ORDER BY n) TO STDOUT;
\o :out/counts_circle36.paths
COPY (SELECT '/api/v2/crimes/counts?lat=' || to_char(lat, 'FM990.000000') || '&lng='
             || to_char(lng, 'FM990.000000') || '&from=' || from_month || '&to=' || to_month
      FROM bench_counts_circle36 ORDER BY n) TO STDOUT;
\o :out/counts_polygon.paths
COPY (SELECT '/api/v2/crimes/counts?poly=' || poly || '&from=' || from_month || '&to=' || to_month
      FROM bench_counts_polygon ORDER BY n) TO STDOUT;
\o :out/counts_force.paths
COPY (SELECT '/api/v2/crimes/counts?force=' || force_id || '&from=' || from_month || '&to='
             || to_month
      FROM bench_counts_force ORDER BY n) TO STDOUT;
\o
