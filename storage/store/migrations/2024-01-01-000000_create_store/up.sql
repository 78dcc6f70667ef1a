-- The store of record for police.uk data. See docs/ARCHITECTURE.md for how it is filled
-- (police-api import) and read (the in-memory snapshot).

CREATE TABLE forces (
    id                 text PRIMARY KEY,
    name               text NOT NULL,
    -- Position in /api/forces; NULL for forces police.uk does not list there (btp).
    list_position      integer UNIQUE,
    description        text,
    url                text,
    telephone          text,
    engagement_methods jsonb NOT NULL DEFAULT '[]',
    people             jsonb NOT NULL DEFAULT '[]'
);

CREATE TABLE neighbourhoods (
    force_id         text NOT NULL REFERENCES forces (id),
    id               text NOT NULL,
    name             text NOT NULL,
    list_position    integer,
    description      text,
    url_force        text,
    welcome_message  text,
    population       text,
    contact_details  jsonb NOT NULL DEFAULT '{}',
    centre_latitude  text,
    centre_longitude text,
    links            jsonb NOT NULL DEFAULT '[]',
    locations        jsonb NOT NULL DEFAULT '[]',
    -- Polygons as [[[lat, lng], ...outer ring], [...hole], ...], one entry per part.
    boundary         jsonb,
    people           jsonb NOT NULL DEFAULT '[]',
    events           jsonb NOT NULL DEFAULT '[]',
    priorities       jsonb NOT NULL DEFAULT '[]',
    PRIMARY KEY (force_id, id)
);

-- One row per imported file (one month of one kind for one force). The newest row for a
-- (kind, force_id, month) is the one whose rows are in the store.
CREATE TABLE imports (
    id            bigserial PRIMARY KEY,
    file          text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('street', 'outcomes', 'stop-and-search')),
    force_id      text NOT NULL,
    month         date NOT NULL,
    rows_read     bigint NOT NULL,
    rows_accepted bigint NOT NULL,
    rows_rejected bigint NOT NULL,
    checksum      text NOT NULL,
    imported_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (rows_read = rows_accepted + rows_rejected)
);
CREATE INDEX imports_file_key ON imports (kind, force_id, month, id DESC);

-- Every rejected row of an import, with the reason.
CREATE TABLE import_rejections (
    import_id bigint NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    line      bigint NOT NULL,
    reason    text NOT NULL,
    PRIMARY KEY (import_id, line)
);

-- Anonymised map points ("snap points"). Ids are assigned on first sight of a distinct
-- (longitude, latitude, name) and never change or get reused.
CREATE TABLE locations (
    id               serial PRIMARY KEY,
    longitude        double precision NOT NULL,
    latitude         double precision NOT NULL,
    name             text NOT NULL,
    location_type    text NOT NULL DEFAULT 'Force',
    location_subtype text NOT NULL DEFAULT '',
    UNIQUE (longitude, latitude, name)
);

-- Crime ids are allocated from this sequence and kept across re-imports of a month.
CREATE SEQUENCE crime_id_seq AS bigint;

-- The bulk tables (crimes, outcomes, stops) carry no foreign keys and only the indexes the
-- importer needs: per-row referential checks would cost more than the COPY itself. The
-- importer is their only writer and resolves every reference it writes.
CREATE TABLE crimes (
    id            bigint PRIMARY KEY,
    month         date NOT NULL,
    force_id      text NOT NULL,
    -- The police.uk Crime ID (64 hex); NULL for anti-social behaviour.
    persistent_id text,
    reported_by   text NOT NULL,
    falls_within  text NOT NULL,
    -- NULL when the row had no coordinates.
    location_id   integer,
    lsoa_code     text,
    lsoa_name     text,
    category      text NOT NULL,
    -- "Last outcome category" as published (a display name); NULL when empty.
    last_outcome  text,
    context       text NOT NULL DEFAULT '',
    import_id     bigint NOT NULL
);
CREATE INDEX crimes_force_month ON crimes (force_id, month);

CREATE TABLE outcomes (
    -- The month the outcome was recorded (the file's month).
    month         date NOT NULL,
    force_id      text NOT NULL,
    persistent_id text NOT NULL,
    reported_by   text NOT NULL,
    falls_within  text NOT NULL,
    location_id   integer,
    lsoa_code     text,
    lsoa_name     text,
    outcome_code  text NOT NULL,
    -- "Outcome type" as published.
    outcome_name  text NOT NULL,
    import_id     bigint NOT NULL
);
CREATE INDEX outcomes_force_month ON outcomes (force_id, month);

CREATE TABLE stops (
    force_id                            text NOT NULL,
    -- The month police.uk files the stop under (UK local time), i.e. the file's month.
    month                               date NOT NULL,
    type                                text,
    datetime                            timestamptz NOT NULL,
    operation                           boolean,
    operation_name                      text,
    latitude                            double precision,
    longitude                           double precision,
    gender                              text,
    age_range                           text,
    self_defined_ethnicity              text,
    officer_defined_ethnicity           text,
    legislation                         text,
    object_of_search                    text,
    outcome                             text,
    outcome_linked_to_object_of_search  boolean,
    removal_of_more_than_outer_clothing boolean,
    import_id                           bigint NOT NULL
);
CREATE INDEX stops_force_month ON stops (force_id, month);
