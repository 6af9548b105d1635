-- Admin-editable settings shared by every replica (e.g. the partner return URLs). Keep equivalent to
-- migrations/postgres. A row overrides the config file's value; no row = use the config file.

CREATE TABLE settings (
    key        TEXT    NOT NULL PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);
