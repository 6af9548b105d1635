-- Users of the admin pages added at run time (`samlgate admin add-user`, /admin/users): every replica
-- sees them without a restart. Only argon2id PHC hashes. Keep equivalent to migrations/postgres.
CREATE TABLE admin_users (
    name          TEXT    NOT NULL PRIMARY KEY,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
