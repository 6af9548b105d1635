-- Bearer tokens of the JSON admin API (/admin/api/v1/, `samlgate admin token create`, /admin/users).
-- Only the SHA-256 (hex) of each token is kept; a token is looked up by it. A revoked token stays
-- listed (revoked_at set) until a new token of the same name replaces it. scopes: space-separated
-- (`admin`, `assertions`). Keep equivalent to migrations/postgres.
CREATE TABLE api_tokens (
    name          TEXT    NOT NULL PRIMARY KEY,
    token_hash    TEXT    NOT NULL UNIQUE,
    scopes        TEXT    NOT NULL,
    created_by    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
