-- The admin audit search: the correlation id a customer quotes finds its events at once. (Searches by
-- customer or admin run over the time range asked for; an index per column would double what each SSO
-- hop writes.)
CREATE INDEX IF NOT EXISTS audit_events_correlation_id ON audit_events (correlation_id);
