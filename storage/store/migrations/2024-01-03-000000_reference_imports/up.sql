-- One row per imported force or neighbourhood file (boundary KMLs, saved police.uk API
-- responses; see police_store::import::reference). The newest row for a
-- (kind, force_id, neighbourhood_id) is the version in the store.
CREATE TABLE reference_imports (
    id               bigserial PRIMARY KEY,
    file             text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('force', 'force-people', 'neighbourhoods',
                         'neighbourhood', 'neighbourhood-people', 'neighbourhood-events',
                         'neighbourhood-priorities', 'boundary')),
    force_id         text NOT NULL REFERENCES forces (id),
    -- '' for the force-level kinds.
    neighbourhood_id text NOT NULL DEFAULT '',
    -- Records of a JSON array (1 for an object), or polygons of a KML.
    rows_read        bigint NOT NULL,
    rows_accepted    bigint NOT NULL,
    rows_rejected    bigint NOT NULL,
    checksum         text NOT NULL,
    imported_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (rows_read = rows_accepted + rows_rejected)
);
CREATE INDEX reference_imports_key
    ON reference_imports (kind, force_id, neighbourhood_id, id DESC);
