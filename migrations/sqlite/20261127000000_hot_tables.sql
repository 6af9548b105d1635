-- Fewer pages written per SSO hop (issue 6). Every answered AuthnRequest inserts one `one_time_ids`
-- row and one `audit_events` row, and each b-tree touched is a page the commit writes to the WAL.
--
-- `one_time_ids` becomes a WITHOUT ROWID table: the (kind, id) primary key is the table itself, not a
-- rowid table plus a separate primary-key index.
CREATE TABLE one_time_ids_new (
    kind       TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
INSERT INTO one_time_ids_new (kind, id, expires_at) SELECT kind, id, expires_at FROM one_time_ids;
DROP TABLE one_time_ids;
ALTER TABLE one_time_ids_new RENAME TO one_time_ids;
CREATE INDEX one_time_ids_expires_at ON one_time_ids (expires_at);

-- `audit_events` drops AUTOINCREMENT (which writes the sqlite_sequence table on every insert). The log
-- is append-only — no statement deletes from it — so a new id (largest id + 1) still grows strictly and
-- is never reused. Existing ids are kept.
CREATE TABLE audit_events_new (
    id             INTEGER NOT NULL PRIMARY KEY,
    at             INTEGER NOT NULL,
    kind           TEXT    NOT NULL,
    actor          TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    detail_json    TEXT    NOT NULL,
    correlation_id TEXT    NOT NULL
);
INSERT INTO audit_events_new (id, at, kind, actor, subject, detail_json, correlation_id)
    SELECT id, at, kind, actor, subject, detail_json, correlation_id FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_new RENAME TO audit_events;
CREATE INDEX audit_events_kind ON audit_events (kind, id);
DELETE FROM sqlite_sequence WHERE name = 'audit_events';
