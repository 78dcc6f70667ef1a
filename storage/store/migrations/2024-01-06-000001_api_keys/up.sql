-- API keys (`police-api keys add|list|revoke`), used only when a server runs with
-- --require-keys or --rate-limit per-key. The secret itself is never stored: only the
-- SHA-256 of it. A fast hash is right here because the secrets are 256-bit random tokens,
-- not passwords: nothing can be guessed, so slowing down each guess buys nothing, and the
-- server can look a key up by its hash without a salt.
CREATE TABLE api_keys (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$'),
    key_hash bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    -- Requests per second on average and the burst of this key's leaky bucket; NULL: the
    -- server's --rate-limit-average and --rate-limit-burst.
    rate_average double precision CHECK (rate_average > 0),
    rate_burst integer CHECK (rate_burst >= 1),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    revoked_at timestamptz
);

-- Every change to the keys tells the running servers, which keep the keys in memory and
-- reload them on this notification (a revoked key stops working on every replica within
-- a second or so); any change counts, including one made with psql.
CREATE FUNCTION police_api_keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('police_api_keys', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION police_api_keys_changed();
