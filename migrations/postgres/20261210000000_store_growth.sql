-- Flat as the store grows (issue 17): every admin read that can touch a big table reads one index range
-- of about a page, and the bindings count is a counter. Keep equivalent to migrations/sqlite.

-- Bindings, newest first, page by page: keyset over (created_at, x_user_id), read backwards. It replaces
-- the index on created_at alone.
DROP INDEX IF EXISTS bindings_created_at;
CREATE INDEX bindings_created_at_x_user_id ON bindings (created_at, x_user_id);

-- The number of bindings without COUNT(*): kept by a trigger in the transaction of every insert and
-- delete (an upsert that changes nothing, or the completion of a binding, fires it not), seeded with the
-- current count. The lock keeps a replica of the previous version from adding a binding between the
-- count and the trigger (it waits for this migration's commit).
LOCK TABLE bindings IN SHARE ROW EXCLUSIVE MODE;
CREATE TABLE counters (
    name  TEXT   NOT NULL PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) SELECT 'bindings', COUNT(*) FROM bindings;
CREATE FUNCTION bindings_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE counters SET value = value + 1 WHERE name = 'bindings';
    ELSE
        UPDATE counters SET value = value - 1 WHERE name = 'bindings';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER bindings_count AFTER INSERT OR DELETE ON bindings FOR EACH ROW EXECUTE FUNCTION bindings_count();

-- The audit search (store/sql.rs, audit_search_sql) lists newest first by (at, id) and reads, for each
-- filter, one range per branch of an index that goes on with (at, id) after the filter's column:
--   (at)               no filter, a time range, the purge by age (kept from 20261206000000; ties on at
--                      are put in id order by an incremental sort)
--   (kind, at, id)     a kind; a kind prefix, one range per stored kind under it, merged. It replaces
--                      (kind, id), which could not serve a time range or a prefix in order.
--   (actor, at, id)    a customer or admin (`who`), as the actor
--   (subject, at, id)  … and as the subject; the two ranges merged.
-- The correlation id keeps its index. Every SSO hop appends one event: five secondary indexes are
-- written per event instead of three (actor, the customer, is the one whose entries land anywhere in
-- the index; the others grow at their right edge for hop events). On a large existing log the indexes
-- are built inside this migration (appends wait for it).
DROP INDEX IF EXISTS audit_events_kind;
CREATE INDEX audit_events_kind_at ON audit_events (kind, at, id);
CREATE INDEX audit_events_actor_at ON audit_events (actor, at, id);
CREATE INDEX audit_events_subject_at ON audit_events (subject, at, id);
