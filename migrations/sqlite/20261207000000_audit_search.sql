-- The admin audit search (by correlation id a customer quotes, by customer or admin).
CREATE INDEX IF NOT EXISTS audit_events_correlation_id ON audit_events (correlation_id);
CREATE INDEX IF NOT EXISTS audit_events_actor ON audit_events (actor);
CREATE INDEX IF NOT EXISTS audit_events_subject ON audit_events (subject);
