-- Flat as the store grows (issue 17): every admin read that can touch a big table reads one index range
-- of about a page, and the bindings count is a counter. Keep equivalent to migrations/postgres.

-- Bindings, newest first, page by page: keyset over (created_at, x_user_id), read backwards. It replaces
-- the index on created_at alone (which could only sort ties by a temporary b-tree, after an OFFSET walk).
DROP INDEX IF EXISTS bindings_created_at;
CREATE INDEX bindings_created_at_x_user_id ON bindings (created_at, x_user_id);

-- The number of bindings without COUNT(*): kept by triggers in the transaction of every insert and
-- delete (an upsert that changes nothing, or the completion of a binding, fires neither), seeded with
-- the current count.
CREATE TABLE counters (
    name  TEXT    NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) SELECT 'bindings', COUNT(*) FROM bindings;
CREATE TRIGGER bindings_count_insert AFTER INSERT ON bindings
BEGIN
    UPDATE counters SET value = value + 1 WHERE name = 'bindings';
END;
CREATE TRIGGER bindings_count_delete AFTER DELETE ON bindings
BEGIN
    UPDATE counters SET value = value - 1 WHERE name = 'bindings';
END;

-- The audit search (store/sql.rs, audit_search_sql) lists newest first by (at, id) and reads, for each
-- filter, one range per branch of an index that goes on with `at` (and, implicitly in SQLite, the
-- rowid = id) after the filter's column:
--   (at)           no filter, a time range, the purge by age (kept from 20261206000000)
--   (kind, at)     a kind; a kind prefix, one range per stored kind under it, merged. It replaces
--                  (kind, id), which could not serve a time range or a prefix in order.
--   (actor, at)    a customer or admin (`who`), as the actor
--   (subject, at)  … and as the subject; the two ranges merged.
-- The correlation id keeps its index. Every SSO hop appends one event: five secondary indexes are
-- written per event instead of three. For a hop's event at, kind/at and subject (the SP) grow at their
-- right edge, which costs little; actor (the customer) lands anywhere in its index, like the
-- correlation id: that is the one costly addition.
DROP INDEX IF EXISTS audit_events_kind;
CREATE INDEX audit_events_kind_at ON audit_events (kind, at);
CREATE INDEX audit_events_actor_at ON audit_events (actor, at);
CREATE INDEX audit_events_subject_at ON audit_events (subject, at);
