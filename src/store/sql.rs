//! The SQL shared by both back ends.
//!
//! The statements are plain portable SQL (`$n` placeholders work in SQLite as well,
//! `INSERT … ON CONFLICT` and `RETURNING` exist in both), so the one [`Store`](super::Store)
//! implementation is written once here as a macro and instantiated for each pool type. A macro
//! rather than a generic impl keeps the concrete sqlx types (and their `Send` futures) simple.

// The statements below are shared with the SQLite hot path (`batch`), which binds by position:
// SQLite numbers `$N` parameters in the order they first appear, so each statement uses $1, $2, …
// in that order.

/// Spends a one-time ID: a new row is inserted, an expired row is taken over, a live row is left
/// alone (0 rows affected). `$1` kind, `$2` id, `$3` expires_at, `$4` now.
pub(crate) const SQL_USE_ONCE: &str = "INSERT INTO one_time_ids (kind, id, expires_at) VALUES ($1, $2, $3) \
     ON CONFLICT (kind, id) DO UPDATE SET expires_at = excluded.expires_at \
     WHERE one_time_ids.expires_at <= $4";

/// Inserts or replaces a session.
pub(crate) const SQL_PUT_SESSION: &str = "INSERT INTO sessions (id, user_id, attributes_json, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, \
     attributes_json = excluded.attributes_json, created_at = excluded.created_at, \
     expires_at = excluded.expires_at";

/// Replaces a session's attributes (`$1` attributes_json, `$2` id); no other column, so no index
/// of `sessions` is written.
pub(crate) const SQL_SET_SESSION_ATTRIBUTES: &str = "UPDATE sessions SET attributes_json = $1 WHERE id = $2";

/// A live session by id (`$2` = now).
pub(crate) const SQL_GET_SESSION: &str = "SELECT id, user_id, attributes_json, created_at, expires_at \
     FROM sessions WHERE id = $1 AND expires_at > $2";

/// Appends an audit event and returns its id.
pub(crate) const SQL_APPEND_AUDIT: &str = "INSERT INTO audit_events (at, kind, actor, subject, detail_json, correlation_id) \
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";

/// Every distinct audit kind stored, in index order: a loose scan of the `(kind, at)` index (one
/// seek per kind, a few dozen at most), whatever the number of events.
pub(crate) const SQL_AUDIT_KINDS: &str = "WITH RECURSIVE k(kind) AS (SELECT MIN(kind) FROM audit_events \
     UNION ALL SELECT (SELECT MIN(a.kind) FROM audit_events a WHERE a.kind > k.kind) FROM k WHERE k.kind IS NOT NULL) \
     SELECT kind FROM k WHERE kind IS NOT NULL";

/// The keyset position of an audit search's `before_id`: the event itself, or the nearest older one
/// when it is no longer stored.
pub(crate) const SQL_AUDIT_CURSOR: &str = "SELECT at, id FROM audit_events WHERE id <= $1 ORDER BY id DESC LIMIT 1";

/// The events of the ids found by [`audit_search_sql`].
pub(crate) const SQL_AUDIT_COLUMNS: &str =
    "SELECT id, at, kind, actor, subject, detail_json, correlation_id FROM audit_events WHERE id IN (";

/// The newest bindings (`$1` limit), and those after a cursor (`$1`, `$2` created_at, `$3` xUserId,
/// `$4` limit): one range of the `(created_at, x_user_id)` index, read backwards. The cursor as
/// `created_at <= c AND (created_at < c OR x_user_id < x)` is an index range in both databases; only
/// ties on created_at are checked one by one.
pub(crate) const SQL_LIST_BINDINGS: &str = "SELECT x_user_id, domain_id, domain_name, user_name, user_id, created_at \
     FROM bindings ORDER BY created_at DESC, x_user_id DESC LIMIT $1";
pub(crate) const SQL_LIST_BINDINGS_BEFORE: &str = "SELECT x_user_id, domain_id, domain_name, user_name, user_id, \
     created_at FROM bindings WHERE created_at <= $1 AND (created_at < $2 OR x_user_id < $3) \
     ORDER BY created_at DESC, x_user_id DESC LIMIT $4";
/// The bindings of an xUserId (`$1`) or domainId (`$2`), at most `$3`.
pub(crate) const SQL_FIND_BINDINGS: &str = "SELECT x_user_id, domain_id, domain_name, user_name, user_id, created_at \
     FROM bindings WHERE x_user_id = $1 OR (domain_id = $2 AND domain_id <> '') \
     ORDER BY created_at DESC, x_user_id DESC LIMIT $3";
/// The bindings counter (see the `…_store_growth.sql` migrations).
pub(crate) const SQL_COUNT_BINDINGS: &str = "SELECT value FROM counters WHERE name = 'bindings'";
/// One batch of a purge (`$1` now or the cutoff, `$2` the batch size), found by the `expires_at` and
/// `at` indexes (no ORDER BY: sorting by id would walk the whole table when nothing is due).
pub(crate) const SQL_PURGE_SESSIONS: &str =
    "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at <= $1 LIMIT $2)";
pub(crate) const SQL_PURGE_ONE_TIME_IDS: &str = "DELETE FROM one_time_ids WHERE (kind, id) IN \
     (SELECT kind, id FROM one_time_ids WHERE expires_at <= $1 LIMIT $2)";
pub(crate) const SQL_PURGE_AUDIT: &str =
    "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < $1 LIMIT $2)";

/// Every statement of the admin pages, the API and housekeeping that reads a table which grows with
/// use, with sample values, for the query-plan tests (each must read an index range, never the
/// whole table). `kinds` stand for the stored audit kinds.
pub fn hot_queries(kinds: &[String]) -> Vec<(String, Sql)> {
    use super::AuditQuery;
    let plain = |name: &str, text: &str, args: Vec<Arg>| (name.to_owned(), Sql { text: text.to_owned(), args });
    let val = |s: &str| Arg::Text(s.to_owned());
    let mut out = vec![
        plain("list_bindings", SQL_LIST_BINDINGS, vec![Arg::Int(51)]),
        plain(
            "list_bindings before",
            SQL_LIST_BINDINGS_BEFORE,
            vec![Arg::Int(1_800_000_000), Arg::Int(1_800_000_000), val("cust-1"), Arg::Int(51)],
        ),
        plain("find_bindings", SQL_FIND_BINDINGS, vec![val("cust-1"), val("cust-1"), Arg::Int(51)]),
        plain("count_bindings", SQL_COUNT_BINDINGS, vec![]),
        plain("purge sessions", SQL_PURGE_SESSIONS, vec![Arg::Int(1_800_000_000), Arg::Int(5000)]),
        plain("purge one_time_ids", SQL_PURGE_ONE_TIME_IDS, vec![Arg::Int(1_800_000_000), Arg::Int(5000)]),
        plain("purge audit", SQL_PURGE_AUDIT, vec![Arg::Int(1_800_000_000), Arg::Int(5000)]),
        plain("audit kinds", SQL_AUDIT_KINDS, vec![]),
        plain("audit cursor", SQL_AUDIT_CURSOR, vec![Arg::Int(1000)]),
    ];
    let some = |s: &str| Some(s.to_owned());
    let searches = [
        ("audit: no filter", AuditQuery::default()),
        ("audit: kind", AuditQuery { kind: some("bind.created"), ..Default::default() }),
        ("audit: kind prefix", AuditQuery { kind: some("bind."), ..Default::default() }),
        ("audit: who", AuditQuery { who: some("cust-1"), ..Default::default() }),
        ("audit: correlation id", AuditQuery { correlation_id: some("0123456789abcdef"), ..Default::default() }),
        (
            "audit: time range",
            AuditQuery { since: Some(1_700_000_000), until: Some(1_700_086_400), ..Default::default() },
        ),
        ("audit: until", AuditQuery { until: Some(1_700_086_400), ..Default::default() }),
        (
            "audit: who, kind prefix, since",
            AuditQuery { who: some("cust-1"), kind: some("sso."), since: Some(1_700_000_000), ..Default::default() },
        ),
        (
            "audit: correlation id and who",
            AuditQuery { correlation_id: some("0123456789abcdef"), who: some("cust-1"), ..Default::default() },
        ),
    ];
    for (name, q) in searches {
        for (suffix, cursor) in [("", None), (", page 2", Some((1_700_000_000, 1000)))] {
            if let Some(sql) = audit_search_sql(&q, kinds, cursor, 51) {
                out.push((format!("{name}{suffix}"), sql));
            }
        }
    }
    out
}

/// A value bound to a statement built at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Int(i64),
}

/// A statement built at run time: placeholders `$1, $2, …` in order of appearance, each used once
/// (so it reads the same in SQLite and PostgreSQL).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn push(&mut self, s: &str) -> &mut Sql {
        self.text.push_str(s);
        self
    }

    pub fn arg(&mut self, a: Arg) -> &mut Sql {
        self.args.push(a);
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }

    pub fn text(&mut self, v: &str) -> &mut Sql {
        self.arg(Arg::Text(v.to_owned()))
    }

    pub fn int(&mut self, v: i64) -> &mut Sql {
        self.arg(Arg::Int(v))
    }
}

/// Phase one of an audit search (see [`Store::search_audit`](super::Store::search_audit)): the
/// `(at, id)` of at most `limit` matching events, newest first, after `cursor` (an `(at, id)`,
/// exclusive). `kinds` are the distinct kinds stored ([`SQL_AUDIT_KINDS`]; only read for a kind
/// prefix). `None`: nothing can match (a kind prefix no stored kind has).
///
/// One filter drives — its index is read in order, about `limit` entries per branch — and the
/// others are checked on the rows it yields, written so that no index can be used for them (`|| ''`,
/// `+ 0`): without statistics SQLite might otherwise pick the index of a filter that matches
/// millions of rows. The driver, most selective first: the correlation id (its own index; the few
/// rows are sorted), `who` (two branches, `(actor, at)` and `(subject, at)`), a kind (`(kind, at)`;
/// a prefix one branch per stored kind under it), else `(at)` alone. A time range and the cursor
/// are ranges of `at` in every branch.
pub fn audit_search_sql(
    q: &super::AuditQuery,
    kinds: &[String],
    cursor: Option<(i64, i64)>,
    limit: i64,
) -> Option<Sql> {
    enum Driver<'a> {
        Correlation(&'a str),
        Who(&'a str),
        Kinds(Vec<&'a str>),
        Time,
    }
    let prefix = q.kind.as_deref().filter(|k| k.ends_with('.'));
    let driver = if let Some(c) = q.correlation_id.as_deref() {
        Driver::Correlation(c)
    } else if let Some(w) = q.who.as_deref() {
        Driver::Who(w)
    } else {
        match (q.kind.as_deref(), prefix) {
            (_, Some(p)) => {
                let list: Vec<&str> = kinds.iter().map(String::as_str).filter(|k| k.starts_with(p)).collect();
                if list.is_empty() {
                    return None;
                }
                Driver::Kinds(list)
            }
            (Some(k), None) => Driver::Kinds(vec![k]),
            (None, None) => Driver::Time,
        }
    };
    let branches: Vec<Option<(&str, &str)>> = match &driver {
        Driver::Correlation(c) => vec![Some(("correlation_id", *c))],
        Driver::Who(w) => vec![Some(("actor", *w)), Some(("subject", *w))],
        Driver::Kinds(list) => list.iter().map(|k| Some(("kind", *k))).collect(),
        Driver::Time => vec![None],
    };
    // Under the correlation id's index `at` and `id` are checked, not ranged.
    let at = if matches!(driver, Driver::Correlation(_)) { "at + 0" } else { "at" };
    let id = if matches!(driver, Driver::Correlation(_)) { "id + 0" } else { "id" };
    let limit = super::clamp(limit);
    let mut sql = Sql::default();
    let many = branches.len() > 1;
    for (i, branch) in branches.iter().enumerate() {
        if many {
            sql.push(if i == 0 { "SELECT at, id FROM (" } else { " UNION SELECT at, id FROM (" });
        }
        sql.push("SELECT at, id FROM audit_events WHERE ");
        match branch {
            Some((column, value)) => sql.push(column).push(" = ").text(value),
            None => sql.push("1 = 1"),
        };
        if let Some(t) = q.since {
            sql.push(" AND ").push(at).push(" >= ").int(t);
        }
        if let Some(t) = q.until {
            sql.push(" AND ").push(at).push(" < ").int(t);
        }
        if let Some((a, b)) = cursor {
            sql.push(" AND ").push(at).push(" <= ").int(a);
            sql.push(" AND (").push(at).push(" < ").int(a).push(" OR ").push(id).push(" < ").int(b).push(")");
        }
        if matches!(driver, Driver::Correlation(_) | Driver::Who(_)) {
            match (q.kind.as_deref(), prefix) {
                (_, Some(p)) => {
                    sql.push(&format!(" AND substr(kind, 1, {}) = ", p.chars().count())).text(p);
                }
                (Some(k), None) => {
                    sql.push(" AND kind || '' = ").text(k);
                }
                (None, None) => {}
            }
        }
        if let (Driver::Correlation(_), Some(w)) = (&driver, q.who.as_deref()) {
            sql.push(" AND (actor || '' = ").text(w).push(" OR subject || '' = ").text(w).push(")");
        }
        sql.push(" ORDER BY at DESC, id DESC LIMIT ").int(limit);
        if many {
            sql.push(&format!(") AS b{i}"));
        }
    }
    if many {
        sql.push(" ORDER BY at DESC, id DESC LIMIT ").int(limit);
    }
    Some(sql)
}

/// Implements [`Store`](crate::store::Store) for a struct with a `pool: sqlx::Pool<DB>` field.
macro_rules! impl_sql_store {
    ($ty:ty, $backend:literal) => {
        impl $crate::store::Store for $ty {
            fn backend(&self) -> &'static str {
                $backend
            }

            fn upsert_sp<'a>(&'a self, sp: &'a $crate::store::SpRecord) -> $crate::store::StoreFuture<'a, ()> {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO sps (entity_id, source, metadata_xml, parsed_json, imported_at, updated_at, origin) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (entity_id) DO UPDATE SET source = excluded.source, \
                         metadata_xml = excluded.metadata_xml, parsed_json = excluded.parsed_json, \
                         updated_at = excluded.updated_at, origin = excluded.origin",
                    )
                    .bind(sp.entity_id.as_str())
                    .bind(sp.source.as_str())
                    .bind(sp.metadata_xml.as_str())
                    .bind(sp.parsed_json.as_str())
                    .bind(sp.imported_at)
                    .bind(sp.updated_at)
                    .bind(sp.origin.as_str())
                    .execute(&self.pool)
                    .await
                    .map_err($crate::store::query_err("upsert_sp"))?;
                    Ok(())
                })
            }

            fn get_sp<'a>(
                &'a self,
                entity_id: &'a str,
            ) -> $crate::store::StoreFuture<'a, Option<$crate::store::SpRecord>> {
                Box::pin(async move {
                    sqlx::query_as::<_, $crate::store::SpRecord>(
                        "SELECT entity_id, source, metadata_xml, parsed_json, imported_at, updated_at, origin \
                         FROM sps WHERE entity_id = $1",
                    )
                    .bind(entity_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::store::query_err("get_sp"))
                })
            }

            fn list_sps(&self) -> $crate::store::StoreFuture<'_, Vec<$crate::store::SpRecord>> {
                Box::pin(async move {
                    sqlx::query_as::<_, $crate::store::SpRecord>(
                        "SELECT entity_id, source, metadata_xml, parsed_json, imported_at, updated_at, origin \
                         FROM sps ORDER BY entity_id",
                    )
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::store::query_err("list_sps"))
                })
            }

            fn delete_sp<'a>(&'a self, entity_id: &'a str) -> $crate::store::StoreFuture<'a, bool> {
                Box::pin(async move {
                    let r = sqlx::query("DELETE FROM sps WHERE entity_id = $1")
                        .bind(entity_id)
                        .execute(&self.pool)
                        .await
                        .map_err($crate::store::query_err("delete_sp"))?;
                    Ok(r.rows_affected() > 0)
                })
            }

            fn put_binding<'a>(
                &'a self,
                b: &'a $crate::store::Binding,
            ) -> $crate::store::StoreFuture<'a, $crate::store::BindOutcome> {
                Box::pin(async move {
                    // INSERT … DO NOTHING is atomic: of racing writers exactly one inserts, the
                    // others see the winner's row below. The loop covers a row removed between
                    // the two statements.
                    for _ in 0..3 {
                        let r = sqlx::query(
                            "INSERT INTO bindings (x_user_id, domain_id, domain_name, user_name, user_id, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (x_user_id) DO NOTHING",
                        )
                        .bind(b.x_user_id.as_str())
                        .bind(b.domain_id.as_str())
                        .bind(b.domain_name.as_str())
                        .bind(b.user_name.as_deref())
                        .bind(b.user_id.as_deref())
                        .bind(b.created_at)
                        .execute(&self.pool)
                        .await
                        .map_err($crate::store::query_err("put_binding"))?;
                        if r.rows_affected() > 0 {
                            return Ok($crate::store::BindOutcome::Created);
                        }
                        let existing: Option<(String,)> =
                            sqlx::query_as("SELECT domain_id FROM bindings WHERE x_user_id = $1")
                                .bind(b.x_user_id.as_str())
                                .fetch_optional(&self.pool)
                                .await
                                .map_err($crate::store::query_err("put_binding"))?;
                        match existing {
                            Some((d,)) if d == b.domain_id => {
                                return Ok($crate::store::BindOutcome::AlreadySame);
                            }
                            Some((d,)) => {
                                return Ok($crate::store::BindOutcome::Conflict { existing_domain_id: d });
                            }
                            None => continue,
                        }
                    }
                    Err($crate::store::StoreError::Query {
                        op: "put_binding",
                        source: sqlx::Error::Protocol("binding kept changing under concurrent writers".into()),
                    })
                })
            }

            fn complete_binding<'a>(
                &'a self,
                b: &'a $crate::store::Binding,
            ) -> $crate::store::StoreFuture<'a, bool> {
                Box::pin(async move {
                    let r = sqlx::query(
                        "UPDATE bindings SET domain_id = $1, domain_name = $2, user_name = $3, user_id = $4 \
                         WHERE x_user_id = $5 AND domain_id = ''",
                    )
                    .bind(b.domain_id.as_str())
                    .bind(b.domain_name.as_str())
                    .bind(b.user_name.as_deref())
                    .bind(b.user_id.as_deref())
                    .bind(b.x_user_id.as_str())
                    .execute(&self.pool)
                    .await
                    .map_err($crate::store::query_err("complete_binding"))?;
                    Ok(r.rows_affected() > 0)
                })
            }

            fn get_binding<'a>(
                &'a self,
                x_user_id: &'a str,
            ) -> $crate::store::StoreFuture<'a, Option<$crate::store::Binding>> {
                Box::pin(async move {
                    sqlx::query_as::<_, $crate::store::Binding>(
                        "SELECT x_user_id, domain_id, domain_name, user_name, user_id, created_at \
                         FROM bindings WHERE x_user_id = $1",
                    )
                    .bind(x_user_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::store::query_err("get_binding"))
                })
            }

            fn list_bindings<'a>(
                &'a self,
                limit: i64,
                before: Option<&'a $crate::store::BindingCursor>,
            ) -> $crate::store::StoreFuture<'a, Vec<$crate::store::Binding>> {
                Box::pin(async move {
                    let limit = $crate::store::clamp(limit);
                    let rows = match before {
                        None => {
                            sqlx::query_as::<_, $crate::store::Binding>($crate::store::sql::SQL_LIST_BINDINGS)
                                .bind(limit)
                                .fetch_all(&self.pool)
                                .await
                        }
                        Some(c) => {
                            sqlx::query_as::<_, $crate::store::Binding>($crate::store::sql::SQL_LIST_BINDINGS_BEFORE)
                                .bind(c.created_at)
                                .bind(c.created_at)
                                .bind(c.x_user_id.as_str())
                                .bind(limit)
                                .fetch_all(&self.pool)
                                .await
                        }
                    };
                    rows.map_err($crate::store::query_err("list_bindings"))
                })
            }

            fn find_bindings<'a>(
                &'a self,
                value: &'a str,
                limit: i64,
            ) -> $crate::store::StoreFuture<'a, Vec<$crate::store::Binding>> {
                Box::pin(async move {
                    sqlx::query_as::<_, $crate::store::Binding>($crate::store::sql::SQL_FIND_BINDINGS)
                    .bind(value)
                    .bind(value)
                    .bind($crate::store::clamp(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::store::query_err("find_bindings"))
                })
            }

            fn remove_binding<'a>(&'a self, x_user_id: &'a str) -> $crate::store::StoreFuture<'a, bool> {
                Box::pin(async move {
                    let r = sqlx::query("DELETE FROM bindings WHERE x_user_id = $1")
                        .bind(x_user_id)
                        .execute(&self.pool)
                        .await
                        .map_err($crate::store::query_err("remove_binding"))?;
                    Ok(r.rows_affected() > 0)
                })
            }

            fn put_session<'a>(&'a self, s: &'a $crate::store::Session) -> $crate::store::StoreFuture<'a, ()> {
                if let Some(b) = $crate::store::batch::GroupCommit::batcher(self) {
                    return b.put_session(s);
                }
                Box::pin(async move {
                    sqlx::query($crate::store::sql::SQL_PUT_SESSION)
                        .bind(s.id.as_str())
                        .bind(s.user_id.as_str())
                        .bind(s.attributes_json.as_str())
                        .bind(s.created_at)
                        .bind(s.expires_at)
                        .execute(&self.pool)
                        .await
                        .map_err($crate::store::query_err("put_session"))?;
                    Ok(())
                })
            }

            fn get_session<'a>(
                &'a self,
                id: &'a str,
            ) -> $crate::store::StoreFuture<'a, Option<$crate::store::Session>> {
                if let Some(b) = $crate::store::batch::GroupCommit::batcher(self) {
                    let found = b.get_session(id);
                    return Box::pin(std::future::ready(found));
                }
                if let Some(read) = $crate::store::batch::GroupCommit::get_session_kept(self, id) {
                    return read;
                }
                Box::pin(async move {
                    sqlx::query_as::<_, $crate::store::Session>($crate::store::sql::SQL_GET_SESSION)
                        .bind(id)
                        .bind($crate::store::now_unix())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err($crate::store::query_err("get_session"))
                })
            }

            fn delete_session<'a>(&'a self, id: &'a str) -> $crate::store::StoreFuture<'a, bool> {
                Box::pin(async move {
                    let r = sqlx::query("DELETE FROM sessions WHERE id = $1")
                        .bind(id)
                        .execute(&self.pool)
                        .await
                        .map_err($crate::store::query_err("delete_session"))?;
                    Ok(r.rows_affected() > 0)
                })
            }

            fn delete_sessions_for_user<'a>(&'a self, user_id: &'a str) -> $crate::store::StoreFuture<'a, u64> {
                Box::pin(async move {
                    let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(user_id)
                        .execute(&self.pool)
                        .await
                        .map_err($crate::store::query_err("delete_sessions_for_user"))?;
                    Ok(r.rows_affected())
                })
            }

            fn purge_expired(&self, now: i64) -> $crate::store::StoreFuture<'_, u64> {
                Box::pin(async move {
                    let mut total = 0;
                    for (sql, op) in [
                        ($crate::store::sql::SQL_PURGE_SESSIONS, "purge_expired (sessions)"),
                        ($crate::store::sql::SQL_PURGE_ONE_TIME_IDS, "purge_expired (one-time ids)"),
                    ] {
                        for _ in 0..$crate::store::PURGE_MAX_BATCHES {
                            let n = sqlx::query(sql)
                                .bind(now)
                                .bind($crate::store::PURGE_BATCH)
                                .execute(&self.pool)
                                .await
                                .map_err($crate::store::query_err(op))?
                                .rows_affected();
                            total += n;
                            if n < $crate::store::PURGE_BATCH as u64 {
                                break;
                            }
                        }
                    }
                    Ok(total)
                })
            }

            fn purge_audit_before(&self, before: i64) -> $crate::store::StoreFuture<'_, u64> {
                Box::pin(async move {
                    let mut total = 0;
                    for _ in 0..$crate::store::PURGE_MAX_BATCHES {
                        let n = sqlx::query($crate::store::sql::SQL_PURGE_AUDIT)
                            .bind(before)
                            .bind($crate::store::PURGE_BATCH)
                            .execute(&self.pool)
                            .await
                            .map_err($crate::store::query_err("purge_audit_before"))?
                            .rows_affected();
                        total += n;
                        if n < $crate::store::PURGE_BATCH as u64 {
                            break;
                        }
                    }
                    Ok(total)
                })
            }

            fn use_once<'a>(
                &'a self,
                kind: &'a str,
                id: &'a str,
                expires_at: i64,
            ) -> $crate::store::StoreFuture<'a, bool> {
                if let Some(b) = $crate::store::batch::GroupCommit::batcher(self) {
                    return b.use_once(kind, id, expires_at);
                }
                Box::pin(async move {
                    // One statement, so it is atomic in both databases.
                    let r = sqlx::query($crate::store::sql::SQL_USE_ONCE)
                        .bind(kind)
                        .bind(id)
                        .bind(expires_at)
                        .bind($crate::store::now_unix())
                        .execute(&self.pool)
                        .await
                        .map_err($crate::store::query_err("use_once"))?;
                    Ok(r.rows_affected() > 0)
                })
            }

            fn record_hop(&self, hop: $crate::store::HopRecord) -> $crate::store::StoreFuture<'_, bool> {
                let hop = match $crate::store::batch::GroupCommit::record_hop_grouped(self, hop) {
                    Ok(grouped) => return grouped,
                    Err(hop) => hop,
                };
                Box::pin(async move {
                    let err = $crate::store::query_err;
                    let mut tx = self.pool.begin().await.map_err(err("record_hop"))?;
                    let fresh = sqlx::query($crate::store::sql::SQL_USE_ONCE)
                        .bind(hop.once_kind.as_str())
                        .bind(hop.once_id.as_str())
                        .bind(hop.once_expires_at)
                        .bind($crate::store::now_unix())
                        .execute(&mut *tx)
                        .await
                        .map_err(err("record_hop"))?
                        .rows_affected()
                        > 0;
                    if !fresh {
                        tx.rollback().await.map_err(err("record_hop"))?;
                        return Ok(false);
                    }
                    sqlx::query($crate::store::sql::SQL_SET_SESSION_ATTRIBUTES)
                        .bind(hop.attributes_json.as_str())
                        .bind(hop.session_id.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(err("record_hop"))?;
                    let e = &hop.audit;
                    sqlx::query_scalar::<_, i64>($crate::store::sql::SQL_APPEND_AUDIT)
                        .bind(e.at)
                        .bind(e.kind.as_str())
                        .bind(e.actor.as_str())
                        .bind(e.subject.as_str())
                        .bind(e.detail_json.as_str())
                        .bind(e.correlation_id.as_str())
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(err("record_hop"))?;
                    tx.commit().await.map_err(err("record_hop"))?;
                    Ok(true)
                })
            }

            fn append_audit<'a>(&'a self, e: &'a $crate::store::NewAuditEvent) -> $crate::store::StoreFuture<'a, i64> {
                if let Some(b) = $crate::store::batch::GroupCommit::batcher(self) {
                    return b.append_audit(e);
                }
                Box::pin(async move {
                    sqlx::query_scalar::<_, i64>($crate::store::sql::SQL_APPEND_AUDIT)
                    .bind(e.at)
                    .bind(e.kind.as_str())
                    .bind(e.actor.as_str())
                    .bind(e.subject.as_str())
                    .bind(e.detail_json.as_str())
                    .bind(e.correlation_id.as_str())
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::store::query_err("append_audit"))
                })
            }

            fn is_used<'a>(&'a self, kind: &'a str, id: &'a str) -> $crate::store::StoreFuture<'a, bool> {
                Box::pin(async move {
                    let n = sqlx::query_scalar::<_, i64>(
                        "SELECT COUNT(*) FROM one_time_ids WHERE kind = $1 AND id = $2 AND expires_at > $3",
                    )
                    .bind(kind)
                    .bind(id)
                    .bind($crate::store::now_unix())
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::store::query_err("is_used"))?;
                    Ok(n > 0)
                })
            }

            fn search_audit<'a>(
                &'a self,
                q: &'a $crate::store::AuditQuery,
                before_id: Option<i64>,
                limit: i64,
            ) -> $crate::store::StoreFuture<'a, Vec<$crate::store::AuditEvent>> {
                Box::pin(async move {
                    use $crate::store::sql::{Arg, SQL_AUDIT_COLUMNS, SQL_AUDIT_CURSOR, SQL_AUDIT_KINDS, audit_search_sql};
                    let err = || $crate::store::query_err("search_audit");
                    let cursor = match before_id {
                        None => None,
                        Some(b) => {
                            let found: Option<(i64, i64)> = sqlx::query_as(SQL_AUDIT_CURSOR)
                                .bind(b)
                                .fetch_optional(&self.pool)
                                .await
                                .map_err(err())?;
                            match found {
                                // Exclusive: `b` itself, or past the nearest older event kept.
                                Some((at, id)) => Some((at, (id + 1).min(b))),
                                None => return Ok(Vec::new()),
                            }
                        }
                    };
                    let kinds: Vec<String> = if q.correlation_id.is_none()
                        && q.who.is_none()
                        && q.kind.as_deref().is_some_and(|k| k.ends_with('.'))
                    {
                        sqlx::query_scalar(SQL_AUDIT_KINDS).fetch_all(&self.pool).await.map_err(err())?
                    } else {
                        Vec::new()
                    };
                    let Some(sql) = audit_search_sql(q, &kinds, cursor, limit) else { return Ok(Vec::new()) };
                    let mut found = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql.text));
                    for a in sql.args {
                        found = match a {
                            Arg::Text(s) => found.bind(s),
                            Arg::Int(n) => found.bind(n),
                        };
                    }
                    let ids: Vec<(i64, i64)> = found.fetch_all(&self.pool).await.map_err(err())?;
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    let mut text = String::from(SQL_AUDIT_COLUMNS);
                    for i in 1..=ids.len() {
                        text.push_str(&format!("{}${i}", if i > 1 { ", " } else { "" }));
                    }
                    text.push(')');
                    let mut rows = sqlx::query_as::<_, $crate::store::AuditEvent>(sqlx::AssertSqlSafe(text));
                    for (_, id) in &ids {
                        rows = rows.bind(*id);
                    }
                    let mut events = rows.fetch_all(&self.pool).await.map_err(err())?;
                    events.sort_by(|a, b| (b.at, b.id).cmp(&(a.at, a.id)));
                    Ok(events)
                })
            }

            fn list_admin_users(&self) -> $crate::store::StoreFuture<'_, Vec<$crate::store::AdminUserRecord>> {
                Box::pin(async move {
                    sqlx::query_as::<_, $crate::store::AdminUserRecord>(
                        "SELECT name, password_hash, created_at, updated_at FROM admin_users ORDER BY name",
                    )
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::store::query_err("list_admin_users"))
                })
            }

            fn put_admin_user<'a>(
                &'a self,
                name: &'a str,
                password_hash: &'a str,
                now: i64,
            ) -> $crate::store::StoreFuture<'a, bool> {
                Box::pin(async move {
                    // One statement (concurrent first adds of a name cannot collide). Whether the row
                    // existed: PostgreSQL's xmax / SQLite's changes() would differ by backend, so read
                    // it first; the upsert stays correct either way.
                    let existed = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM admin_users WHERE name = $1")
                        .bind(name)
                        .fetch_one(&self.pool)
                        .await
                        .map_err($crate::store::query_err("put_admin_user"))?
                        > 0;
                    sqlx::query(
                        "INSERT INTO admin_users (name, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $3) \
                         ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, \
                         updated_at = excluded.updated_at",
                    )
                    .bind(name)
                    .bind(password_hash)
                    .bind(now)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::store::query_err("put_admin_user"))?;
                    Ok(existed)
                })
            }

            fn delete_admin_user<'a>(&'a self, name: &'a str) -> $crate::store::StoreFuture<'a, bool> {
                Box::pin(async move {
                    Ok(sqlx::query("DELETE FROM admin_users WHERE name = $1")
                        .bind(name)
                        .execute(&self.pool)
                        .await
                        .map_err($crate::store::query_err("delete_admin_user"))?
                        .rows_affected()
                        > 0)
                })
            }

            fn insert_api_token<'a>(
                &'a self,
                t: &'a $crate::store::ApiTokenRecord,
            ) -> $crate::store::StoreFuture<'a, bool> {
                Box::pin(async move {
                    // One statement: a live token of the name is left alone (0 rows), a revoked one replaced.
                    let r = sqlx::query(
                        "INSERT INTO api_tokens (name, token_hash, scopes, created_by, created_at, last_used_at, revoked_at, \
                         expires_at) VALUES ($1, $2, $3, $4, $5, NULL, NULL, $6) \
                         ON CONFLICT (name) DO UPDATE SET token_hash = excluded.token_hash, scopes = excluded.scopes, \
                         created_by = excluded.created_by, created_at = excluded.created_at, last_used_at = NULL, \
                         revoked_at = NULL, expires_at = excluded.expires_at \
                         WHERE api_tokens.revoked_at IS NOT NULL \
                         OR (api_tokens.expires_at IS NOT NULL AND api_tokens.expires_at <= excluded.created_at)",
                    )
                    .bind(t.name.as_str())
                    .bind(t.token_hash.as_str())
                    .bind(t.scopes.as_str())
                    .bind(t.created_by.as_str())
                    .bind(t.created_at)
                    .bind(t.expires_at)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::store::query_err("insert_api_token"))?;
                    Ok(r.rows_affected() > 0)
                })
            }

            fn get_api_token_by_hash<'a>(
                &'a self,
                token_hash: &'a str,
            ) -> $crate::store::StoreFuture<'a, Option<$crate::store::ApiTokenRecord>> {
                Box::pin(async move {
                    sqlx::query_as::<_, $crate::store::ApiTokenRecord>(
                        "SELECT name, token_hash, scopes, created_by, created_at, last_used_at, revoked_at, expires_at \
                         FROM api_tokens WHERE token_hash = $1",
                    )
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::store::query_err("get_api_token_by_hash"))
                })
            }

            fn list_api_tokens(&self) -> $crate::store::StoreFuture<'_, Vec<$crate::store::ApiTokenRecord>> {
                Box::pin(async move {
                    sqlx::query_as::<_, $crate::store::ApiTokenRecord>(
                        "SELECT name, token_hash, scopes, created_by, created_at, last_used_at, revoked_at, expires_at \
                         FROM api_tokens ORDER BY name",
                    )
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::store::query_err("list_api_tokens"))
                })
            }

            fn revoke_api_token<'a>(&'a self, name: &'a str, now: i64) -> $crate::store::StoreFuture<'a, bool> {
                Box::pin(async move {
                    let r = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL")
                        .bind(now)
                        .bind(name)
                        .execute(&self.pool)
                        .await
                        .map_err($crate::store::query_err("revoke_api_token"))?;
                    Ok(r.rows_affected() > 0)
                })
            }

            fn revoke_api_tokens_created_by<'a>(
                &'a self,
                created_by: &'a str,
                now: i64,
            ) -> $crate::store::StoreFuture<'a, Vec<String>> {
                Box::pin(async move {
                    let mut names: Vec<String> = sqlx::query_scalar(
                        "UPDATE api_tokens SET revoked_at = $1 WHERE created_by = $2 AND revoked_at IS NULL \
                         RETURNING name",
                    )
                    .bind(now)
                    .bind(created_by)
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::store::query_err("revoke_api_tokens_created_by"))?;
                    names.sort();
                    Ok(names)
                })
            }

            fn touch_api_token<'a>(&'a self, name: &'a str, now: i64) -> $crate::store::StoreFuture<'a, ()> {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE api_tokens SET last_used_at = $1 \
                         WHERE name = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
                    )
                    .bind(now)
                    .bind(name)
                    .bind(now - 60)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::store::query_err("touch_api_token"))?;
                    Ok(())
                })
            }

            fn get_setting<'a>(&'a self, key: &'a str) -> $crate::store::StoreFuture<'a, Option<String>> {
                Box::pin(async move {
                    sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = $1")
                        .bind(key)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err($crate::store::query_err("get_setting"))
                })
            }

            fn put_setting<'a>(&'a self, key: &'a str, value: &'a str) -> $crate::store::StoreFuture<'a, ()> {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    )
                    .bind(key)
                    .bind(value)
                    .bind($crate::store::now_unix())
                    .execute(&self.pool)
                    .await
                    .map_err($crate::store::query_err("put_setting"))?;
                    Ok(())
                })
            }

            fn delete_setting<'a>(&'a self, key: &'a str) -> $crate::store::StoreFuture<'a, bool> {
                Box::pin(async move {
                    let r = sqlx::query("DELETE FROM settings WHERE key = $1")
                        .bind(key)
                        .execute(&self.pool)
                        .await
                        .map_err($crate::store::query_err("delete_setting"))?;
                    Ok(r.rows_affected() > 0)
                })
            }

            fn count_bindings(&self) -> $crate::store::StoreFuture<'_, i64> {
                Box::pin(async move {
                    sqlx::query_scalar::<_, i64>($crate::store::sql::SQL_COUNT_BINDINGS)
                        .fetch_one(&self.pool)
                        .await
                        .map_err($crate::store::query_err("count_bindings"))
                })
            }

            fn health(&self) -> $crate::store::StoreFuture<'_, ()> {
                Box::pin(async move {
                    sqlx::query("SELECT 1").execute(&self.pool).await.map_err($crate::store::query_err("health"))?;
                    Ok(())
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AuditQuery;

    /// Each built statement numbers its placeholders `$1…$n` in order of appearance, each once, with
    /// one value per placeholder (what SQLite and PostgreSQL both read the same way).
    #[test]
    fn built_statements_number_each_placeholder_once_in_order() {
        let kinds = vec!["bind.created".to_owned(), "bind.removed".to_owned(), "sso.response".to_owned()];
        for (name, sql) in hot_queries(&kinds) {
            let mut seen = Vec::new();
            let b = sql.text.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'$' {
                    let j = (i + 1..b.len()).find(|&j| !b[j].is_ascii_digit()).unwrap_or(b.len());
                    seen.push(sql.text[i + 1..j].parse::<usize>().unwrap());
                    i = j;
                } else {
                    i += 1;
                }
            }
            if name.starts_with("audit: ") {
                assert_eq!(seen, (1..=sql.args.len()).collect::<Vec<_>>(), "{name}: {}", sql.text);
            } else {
                assert_eq!(seen.iter().max().copied().unwrap_or(0), sql.args.len(), "{name}: {}", sql.text);
            }
        }
    }

    /// The driver of each search: a prefix no stored kind has matches nothing without a query; a
    /// prefix reads one branch per stored kind under it; `who` two branches with the kind checked, not
    /// ranged; the correlation id one, with time and cursor checked, not ranged.
    #[test]
    fn searches_pick_their_index() {
        let kinds = vec!["bind.created".to_owned(), "bind.removed".to_owned(), "sso.response".to_owned()];
        let q = |kind: Option<&str>, who: Option<&str>, cid: Option<&str>| AuditQuery {
            kind: kind.map(str::to_owned),
            who: who.map(str::to_owned),
            correlation_id: cid.map(str::to_owned),
            since: Some(10),
            until: None,
        };
        assert_eq!(audit_search_sql(&q(Some("nope."), None, None), &kinds, None, 5), None);
        let prefix = audit_search_sql(&q(Some("bind."), None, None), &kinds, Some((5, 9)), 5).unwrap();
        assert_eq!(prefix.text.matches("WHERE kind = ").count(), 2, "{}", prefix.text);
        assert!(prefix.text.contains("at >= $2 AND at <= $3 AND (at < $4 OR id < $5)"), "{}", prefix.text);
        let who = audit_search_sql(&q(Some("bind."), Some("c"), None), &kinds, None, 5).unwrap();
        assert!(who.text.contains("WHERE actor = ") && who.text.contains("WHERE subject = "), "{}", who.text);
        assert!(who.text.contains("substr(kind, 1, 5) = ") && !who.text.contains("kind = $"), "{}", who.text);
        let cid = audit_search_sql(&q(None, Some("c"), Some("ab")), &kinds, Some((5, 9)), 5).unwrap();
        assert!(cid.text.starts_with("SELECT at, id FROM audit_events WHERE correlation_id = $1 AND at + 0 >= $2"));
        assert!(cid.text.contains("id + 0 < ") && cid.text.contains("actor || '' = "), "{}", cid.text);
        assert!(!cid.text.contains("UNION"), "{}", cid.text);
    }
}
