-- samlgate store schema (SQLite). Keep equivalent to migrations/postgres.
-- All times are unix seconds.

CREATE TABLE sps (
    entity_id    TEXT    NOT NULL PRIMARY KEY,
    source       TEXT    NOT NULL,
    metadata_xml TEXT    NOT NULL,
    parsed_json  TEXT    NOT NULL,
    imported_at  INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE bindings (
    x_user_id   TEXT    NOT NULL PRIMARY KEY,
    domain_id   TEXT    NOT NULL,
    domain_name TEXT    NOT NULL,
    user_name   TEXT,
    user_id     TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX bindings_domain_id ON bindings (domain_id);
CREATE INDEX bindings_created_at ON bindings (created_at);

CREATE TABLE sessions (
    id              TEXT    NOT NULL PRIMARY KEY,
    user_id         TEXT    NOT NULL,
    attributes_json TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Replay cache: AuthnRequest IDs, hand-off token jti, assertion IDs.
CREATE TABLE one_time_ids (
    kind       TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX one_time_ids_expires_at ON one_time_ids (expires_at);

CREATE TABLE audit_events (
    id             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    at             INTEGER NOT NULL,
    kind           TEXT    NOT NULL,
    actor          TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    detail_json    TEXT    NOT NULL,
    correlation_id TEXT    NOT NULL
);
CREATE INDEX audit_events_kind ON audit_events (kind, id);
