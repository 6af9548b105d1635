#!/usr/bin/env python3
"""Fills a samlgate store (already created and migrated by `samlgate init`, gateway stopped) with a
large, realistically shaped history, fast: bindings, audit events and spent request IDs, written by SQL
that the database itself generates (a recursive CTE in SQLite, generate_series in PostgreSQL).

    fill_store.py URL [--bindings N] [--audit N] [--spent N]

URL is the store URL of samlgate.toml (`sqlite:///abs/path.db`, or `postgres://…`, run through psql).

The shapes follow what the gateway writes: audit events over the last 180 days, oldest first (ids grow
with time), 90 % `sso.response` (actor a customer of a million, subject the SP's entityID, the hop's JSON
detail with request, response and assertion ids, ACS and client address), then console jumps, refusals,
status answers, logouts, binding notifications and a few admin events; every event a random correlation
id. Bindings: a million customers `cust-0000000…` bound over a year, several per second (ties on
created_at). Spent request IDs: replay keys as the hop writes them, 90 % still live, 10 % expired.
With --heavy-customer NAME --heavy-events N, also N events of one customer (sign-ins and console
jumps over the 180 days, a name the customer draws never give): a customer whose audit page is full,
with the same rows whatever else the store holds (scripts/bench-store gives them to its small store).

For speed the secondary indexes of the filled tables are dropped before the insert and built again
after it (the same definitions, read from the catalogue), PostgreSQL's triggers are off for the session
(`session_replication_role = replica`), and the bindings counter is then set to the exact count. The
pseudo-random choices are hashes of the row number, so a fill is reproducible.
"""

import argparse
import subprocess
import sqlite3
import sys
import time

SP = "https://auth.huaweicloud.com/"
ACS = "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer"
DAY = 86400

# (upper bound of a per-mille draw, kind, actor, subject) — `C` is the row's customer.
KINDS = [
    (900, "sso.response", "C", SP),
    (940, "console.jump", "C", "C"),
    (960, "request.refused", "", "/saml/sso"),
    (970, "sso.status", "", SP),
    (980, "slo.logout", "C", SP),
    (985, "logout", "C", "C"),
    (992, "bind.created", "huawei", "C"),
    (995, "bind.repeated", "huawei", "C"),
    (997, "admin.login", "ops", "ops"),
    (999, "bind.added", "token:ci-bot", "C"),
    (1000, "sp.import", "ops", SP),
]

# Row-number hashes (Knuth's multiplicative constants; products stay below 2^63 for n < 2^30).
H_KIND = "((n * 2654435761) % 4294967296) % 1000"
H_CUST = "((n * 2246822519 + 3266489917) % 4294967296) % 1000000"


def sql_case(hash_expr, pick, c_expr):
    """A CASE over KINDS choosing column `pick` (1 kind, 2 actor, 3 subject)."""
    parts = []
    for row in KINDS:
        v = row[pick]
        v = c_expr if v == "C" else "'%s'" % v
        parts.append("WHEN %s < %d THEN %s" % (hash_expr, row[0], v))
    return "CASE " + " ".join(parts) + " END"


def timed(label, f):
    t = time.time()
    f()
    print("  %-44s %7.1f s" % (label, time.time() - t), file=sys.stderr)


# --- SQLite ----------------------------------------------------------------------------------------------

def fill_sqlite(path, a):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -1000000")
    db.execute("PRAGMA temp_store = MEMORY")
    now = int(time.time())
    tables = ["bindings", "audit_events", "one_time_ids"]
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (%s)"
        % ",".join("?" * len(tables)), tables).fetchall()
    db.execute("BEGIN")
    for name, _ in indexes:
        db.execute('DROP INDEX "%s"' % name)
    cust = "printf('cust-%%07d', %s)" % H_CUST
    if a.bindings:
        # Over a year, in threes: each three consecutive bindings share one second (ties on created_at).
        timed("bindings: %d rows" % a.bindings, lambda: db.execute(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ?) "
            "INSERT OR IGNORE INTO bindings (x_user_id, domain_id, domain_name, user_name, user_id, created_at) "
            "SELECT printf('cust-%07d', n - 1), lower(hex(randomblob(16))), printf('acme-%07d', n - 1), "
            "CASE WHEN n % 10 = 0 THEN printf('iam-%07d', n) END, "
            "CASE WHEN n % 10 = 0 THEN lower(hex(randomblob(16))) END, "
            "? - 365 * 86400 + (n / 3 * 3) * 365 * 86400 / ? FROM c",
            (a.bindings, now, a.bindings)))
    if a.audit:
        start = (db.execute("SELECT COALESCE(MAX(id), 0) FROM audit_events").fetchone()[0])
        detail = ("CASE WHEN %s < 900 THEN json_object('request_id', '_' || lower(hex(randomblob(16))), "
                  "'response_id', '_' || lower(hex(randomblob(16))), 'assertion_id', '_' || lower(hex(randomblob(16))), "
                  "'acs', '%s', 'client', printf('10.%%d.%%d.%%d', n %% 200, n / 200 %% 250, n / 50000 %% 250)) "
                  "ELSE json_object('via', 'bench', 'client', printf('10.0.%%d.%%d', n %% 250, n / 250 %% 250)) END"
                  % (H_KIND, ACS))
        timed("audit_events: %d rows" % a.audit, lambda: db.execute(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ?) "
            "INSERT INTO audit_events (id, at, kind, actor, subject, detail_json, correlation_id) "
            "SELECT ? + n, ? - 180 * 86400 + (n * 180 * 86400) / ?, %s, %s, %s, %s, lower(hex(randomblob(8))) FROM c"
            % (sql_case(H_KIND, 1, cust), sql_case(H_KIND, 2, cust), sql_case(H_KIND, 3, cust), detail),
            (a.audit, start, now, a.audit)))
    if a.heavy_events:
        start = (db.execute("SELECT COALESCE(MAX(id), 0) FROM audit_events").fetchone()[0])
        timed("audit_events of %s: %d rows" % (a.heavy_customer, a.heavy_events), lambda: db.execute(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < :count) "
            "INSERT INTO audit_events (id, at, kind, actor, subject, detail_json, correlation_id) "
            "SELECT :start + n, :now - 180 * 86400 + (n * 180 * 86400) / :count, "
            "CASE WHEN n % 4 = 0 THEN 'console.jump' ELSE 'sso.response' END, :who, "
            "CASE WHEN n % 4 = 0 THEN :who ELSE :sp END, json_object('via', 'bench', 'client', '10.9.9.9'), "
            "lower(hex(randomblob(8))) FROM c",
            {"count": a.heavy_events, "start": start, "now": now, "who": a.heavy_customer, "sp": SP}))
    if a.spent:
        # 90 % expire within the next hour, 10 % expired an hour ago.
        timed("one_time_ids: %d rows" % a.spent, lambda: db.execute(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ?) "
            "INSERT OR IGNORE INTO one_time_ids (kind, id, expires_at) "
            "SELECT 'authn', ? || char(31) || '_' || lower(hex(randomblob(16))), "
            "CASE WHEN n % 10 = 0 THEN ? - 3600 ELSE ? + 3600 + n % 600 END FROM c",
            (a.spent, SP, now, now)))
    for name, sql in indexes:
        timed("index %s" % name, lambda sql=sql: db.execute(sql))
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'counters'").fetchone():
        db.execute("UPDATE counters SET value = (SELECT COUNT(*) FROM bindings) WHERE name = 'bindings'")
    db.execute("COMMIT")
    timed("checkpoint", lambda: db.execute("PRAGMA wal_checkpoint(TRUNCATE)"))
    db.close()


# --- PostgreSQL ------------------------------------------------------------------------------------------

def psql(url, sql, fetch=False):
    r = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
                       check=True, capture_output=True, text=True)
    return r.stdout.strip()


def fill_postgres(url, a):
    now = int(time.time())
    tables = ["bindings", "audit_events", "one_time_ids"]
    # Secondary indexes only (primary keys and unique constraints stay: the inserts rely on them).
    rows = psql(url, "SELECT i.indexname || E'\\t' || i.indexdef FROM pg_indexes i "
                     "JOIN pg_class c ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid "
                     "WHERE i.schemaname = current_schema() AND i.tablename IN ('%s') "
                     "AND NOT x.indisprimary AND NOT x.indisunique" % "','".join(tables))
    indexes = [r.split("\t", 1) for r in rows.splitlines() if r]
    cust = "'cust-' || lpad((%s)::text, 7, '0')" % H_CUST
    stmts = ["SET session_replication_role = replica", "SET maintenance_work_mem = '1GB'"]
    stmts += ['DROP INDEX "%s"' % n for n, _ in indexes]
    if a.bindings:
        stmts.append(
            "INSERT INTO bindings (x_user_id, domain_id, domain_name, user_name, user_id, created_at) "
            "SELECT 'cust-' || lpad((n - 1)::text, 7, '0'), md5(n::text), 'acme-' || lpad((n - 1)::text, 7, '0'), "
            "CASE WHEN n %% 10 = 0 THEN 'iam-' || n END, CASE WHEN n %% 10 = 0 THEN md5('u' || n) END, "
            "%d - 365 * 86400 + (n / 3 * 3)::bigint * 365 * 86400 / %d "
            "FROM generate_series(1, %d) n ON CONFLICT DO NOTHING" % (now, a.bindings, a.bindings))
    if a.audit:
        detail = ("CASE WHEN %s < 900 THEN json_build_object('request_id', '_' || md5(random()::text), "
                  "'response_id', '_' || md5(random()::text), 'assertion_id', '_' || md5(random()::text), "
                  "'acs', '%s', 'client', '10.' || n %% 200 || '.' || n / 200 %% 250 || '.' || n / 50000 %% 250)::text "
                  "ELSE json_build_object('via', 'bench', 'client', '10.0.' || n %% 250 || '.' || n / 250 %% 250)::text END"
                  % (H_KIND, ACS))
        stmts.append(
            "INSERT INTO audit_events (at, kind, actor, subject, detail_json, correlation_id) "
            "SELECT %d - 180 * 86400 + (n * 180 * 86400) / %d, %s, %s, %s, %s, substr(md5(random()::text), 1, 16) "
            "FROM generate_series(1::bigint, %d) n"
            % (now, a.audit, sql_case(H_KIND, 1, cust), sql_case(H_KIND, 2, cust), sql_case(H_KIND, 3, cust),
               detail, a.audit))
    if a.heavy_events:
        q = "'%s'" % a.heavy_customer.replace("'", "''")
        stmts.append(
            "INSERT INTO audit_events (at, kind, actor, subject, detail_json, correlation_id) "
            "SELECT %d - 180 * 86400 + (n * 180 * 86400) / %d, "
            "CASE WHEN n %% 4 = 0 THEN 'console.jump' ELSE 'sso.response' END, %s, "
            "CASE WHEN n %% 4 = 0 THEN %s ELSE '%s' END, "
            "json_build_object('via', 'bench', 'client', '10.9.9.9')::text, substr(md5(random()::text), 1, 16) "
            "FROM generate_series(1::bigint, %d) n" % (now, a.heavy_events, q, q, SP, a.heavy_events))
    if a.spent:
        stmts.append(
            "INSERT INTO one_time_ids (kind, id, expires_at) "
            "SELECT 'authn', '%s' || chr(31) || '_' || md5(random()::text), "
            "CASE WHEN n %% 10 = 0 THEN %d - 3600 ELSE %d + 3600 + n %% 600 END "
            "FROM generate_series(1, %d) n ON CONFLICT DO NOTHING" % (SP, now, now, a.spent))
    stmts += [d for _, d in indexes]
    stmts.append("UPDATE counters SET value = (SELECT COUNT(*) FROM bindings) WHERE name = 'bindings'")
    sql = ";\n".join(["BEGIN"] + stmts + ["COMMIT"]) + ";"
    timed("insert %d bindings, %d audit, %d spent; %d indexes"
          % (a.bindings, a.audit, a.spent, len(indexes)),
          lambda: subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q"], input=sql, text=True, check=True))
    timed("VACUUM ANALYZE", lambda: psql(url, "VACUUM ANALYZE"))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("url")
    p.add_argument("--bindings", type=int, default=1_000_000)
    p.add_argument("--audit", type=int, default=10_000_000)
    p.add_argument("--spent", type=int, default=1_000_000)
    p.add_argument("--heavy-customer", default="cust-heavy-01")
    p.add_argument("--heavy-events", type=int, default=0)
    a = p.parse_args()
    t = time.time()
    if a.url.startswith("sqlite://"):
        fill_sqlite(a.url[len("sqlite://"):], a)
    elif a.url.startswith(("postgres://", "postgresql://")):
        fill_postgres(a.url, a)
    else:
        sys.exit("fill_store.py: URL must be sqlite:///PATH or postgres://…, not %s" % a.url)
    print("  %-44s %7.1f s" % ("fill total", time.time() - t), file=sys.stderr)


if __name__ == "__main__":
    main()
