-- Housekeeping deletes audit events by age (audit.retention_days).
CREATE INDEX IF NOT EXISTS audit_events_at ON audit_events (at);
