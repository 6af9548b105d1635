-- How an SP got into the store: 'config' (seeded from huawei.sp_metadata at start) or 'import'
-- (`samlgate sp import`, or the admin pages). An import is kept across restarts even when the config
-- file names another source (see gateway/sp.rs). Keep equivalent in migrations/sqlite and migrations/postgres.
ALTER TABLE sps ADD COLUMN origin TEXT NOT NULL DEFAULT 'config';
