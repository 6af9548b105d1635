-- API tokens expire (expires_at, unix seconds; NULL only for a token created with --no-expiry). An
-- expired token is refused like a revoked one and its name may be reused. Keep equivalent to
-- migrations/postgres.
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
