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
/// `s` with the LIKE wildcards `%`, `_` and the escape `\` escaped.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(crate) const SQL_APPEND_AUDIT: &str = "INSERT INTO audit_events (at, kind, actor, subject, detail_json, correlation_id) \
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";

/// PostgreSQL's `record_hop` in one statement, so one round trip and one implicit transaction: spend the
/// request ID (`$1`–`$4` as in [`SQL_USE_ONCE`]) and, only when it was fresh, update the session (`$5`
/// attributes, `$6` id) and append the audit event (`$7`–`$12` as in [`SQL_APPEND_AUDIT`]). Answers 1
/// when the ID was fresh, 0 for a replay (which then writes nothing). SQLite has no data-modifying CTEs:
/// its hop goes through the writer thread (`batch.rs`) or a transaction.
pub(crate) const SQL_RECORD_HOP_PG: &str = "WITH spent AS (\
       INSERT INTO one_time_ids (kind, id, expires_at) VALUES ($1, $2, $3) \
       ON CONFLICT (kind, id) DO UPDATE SET expires_at = excluded.expires_at \
       WHERE one_time_ids.expires_at <= $4 RETURNING 1), \
     session AS (UPDATE sessions SET attributes_json = $5 WHERE id = $6 AND EXISTS (SELECT 1 FROM spent)), \
     audit AS (INSERT INTO audit_events (at, kind, actor, subject, detail_json, correlation_id) \
       SELECT $7, $8, $9, $10, $11, $12 WHERE EXISTS (SELECT 1 FROM spent)) \
     SELECT COUNT(*) FROM spent";

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

            fn list_bindings(
                &self,
                limit: i64,
                offset: i64,
            ) -> $crate::store::StoreFuture<'_, Vec<$crate::store::Binding>> {
                Box::pin(async move {
                    sqlx::query_as::<_, $crate::store::Binding>(
                        "SELECT x_user_id, domain_id, domain_name, user_name, user_id, created_at \
                         FROM bindings ORDER BY created_at DESC, x_user_id LIMIT $1 OFFSET $2",
                    )
                    .bind($crate::store::clamp(limit))
                    .bind($crate::store::clamp(offset))
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::store::query_err("list_bindings"))
                })
            }

            fn find_bindings<'a>(
                &'a self,
                value: &'a str,
                limit: i64,
            ) -> $crate::store::StoreFuture<'a, Vec<$crate::store::Binding>> {
                Box::pin(async move {
                    sqlx::query_as::<_, $crate::store::Binding>(
                        "SELECT x_user_id, domain_id, domain_name, user_name, user_id, created_at \
                         FROM bindings WHERE x_user_id = $1 OR (domain_id = $1 AND domain_id <> '') \
                         ORDER BY created_at DESC, x_user_id LIMIT $2",
                    )
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
                    let s = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                        .bind(now)
                        .execute(&self.pool)
                        .await
                        .map_err($crate::store::query_err("purge_expired (sessions)"))?;
                    let o = sqlx::query("DELETE FROM one_time_ids WHERE expires_at <= $1")
                        .bind(now)
                        .execute(&self.pool)
                        .await
                        .map_err($crate::store::query_err("purge_expired (one-time ids)"))?;
                    Ok(s.rows_affected() + o.rows_affected())
                })
            }

            fn purge_audit_before(&self, before: i64) -> $crate::store::StoreFuture<'_, u64> {
                Box::pin(async move {
                    // Small batches keep each transaction (and the SQLite writer lock) short.
                    let mut total = 0;
                    loop {
                        let r = sqlx::query(
                            "DELETE FROM audit_events WHERE id IN \
                             (SELECT id FROM audit_events WHERE at < $1 ORDER BY id LIMIT 5000)",
                        )
                        .bind(before)
                        .execute(&self.pool)
                        .await
                        .map_err($crate::store::query_err("purge_audit_before"))?;
                        total += r.rows_affected();
                        if r.rows_affected() < 5000 {
                            return Ok(total);
                        }
                    }
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
                if let Some(b) = $crate::store::batch::GroupCommit::batcher(self) {
                    return b.record_hop(hop);
                }
                Box::pin(async move {
                    let err = $crate::store::query_err;
                    if $backend == "postgres" {
                        let e = &hop.audit;
                        let spent = sqlx::query_scalar::<_, i64>($crate::store::sql::SQL_RECORD_HOP_PG)
                            .bind(hop.once_kind.as_str())
                            .bind(hop.once_id.as_str())
                            .bind(hop.once_expires_at)
                            .bind($crate::store::now_unix())
                            .bind(hop.attributes_json.as_str())
                            .bind(hop.session_id.as_str())
                            .bind(e.at)
                            .bind(e.kind.as_str())
                            .bind(e.actor.as_str())
                            .bind(e.subject.as_str())
                            .bind(e.detail_json.as_str())
                            .bind(e.correlation_id.as_str())
                            .fetch_one(&self.pool)
                            .await
                            .map_err(err("record_hop"))?;
                        return Ok(spent > 0);
                    }
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

            fn list_audit<'a>(
                &'a self,
                limit: i64,
                offset: i64,
                kind: Option<&'a str>,
            ) -> $crate::store::StoreFuture<'a, Vec<$crate::store::AuditEvent>> {
                Box::pin(async move {
                    let limit = $crate::store::clamp(limit);
                    let offset = $crate::store::clamp(offset);
                    let rows = match kind {
                        Some(kind) => {
                            sqlx::query_as::<_, $crate::store::AuditEvent>(
                                "SELECT id, at, kind, actor, subject, detail_json, correlation_id \
                                 FROM audit_events WHERE kind = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
                            )
                            .bind(kind)
                            .bind(limit)
                            .bind(offset)
                            .fetch_all(&self.pool)
                            .await
                        }
                        None => {
                            sqlx::query_as::<_, $crate::store::AuditEvent>(
                                "SELECT id, at, kind, actor, subject, detail_json, correlation_id \
                                 FROM audit_events ORDER BY id DESC LIMIT $1 OFFSET $2",
                            )
                            .bind(limit)
                            .bind(offset)
                            .fetch_all(&self.pool)
                            .await
                        }
                    };
                    rows.map_err($crate::store::query_err("list_audit"))
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
                    // Only the filters given, each as a plain comparison: SQLite picks an index only for
                    // those (an `(? IS NULL OR col = ?)` clause makes it scan the whole table).
                    let mut b = sqlx::QueryBuilder::new(
                        "SELECT id, at, kind, actor, subject, detail_json, correlation_id FROM audit_events WHERE 1 = 1",
                    );
                    match q.kind.as_deref() {
                        // `bind.`: LIKE 'bind.%' (wildcards escaped) is right under any collation; on
                        // SQLite (byte order) the range `bind.` ≤ kind < `bind/` also lets it use the index.
                        Some(k) if k.ends_with('.') => {
                            if $crate::store::Store::backend(self) == "sqlite" {
                                let upper = format!("{}/", &k[..k.len() - 1]);
                                b.push(" AND kind >= ").push_bind(k.to_owned()).push(" AND kind < ").push_bind(upper);
                            }
                            b.push(" AND kind LIKE ")
                                .push_bind(format!("{}%", $crate::store::sql::like_escape(k)))
                                .push(" ESCAPE '\\'");
                        }
                        Some(k) => {
                            b.push(" AND kind = ").push_bind(k.to_owned());
                        }
                        None => {}
                    }
                    if let Some(w) = &q.who {
                        b.push(" AND (actor = ").push_bind(w.clone()).push(" OR subject = ").push_bind(w.clone()).push(")");
                    }
                    if let Some(c) = &q.correlation_id {
                        b.push(" AND correlation_id = ").push_bind(c.clone());
                    }
                    if let Some(t) = q.since {
                        b.push(" AND at >= ").push_bind(t);
                    }
                    if let Some(t) = q.until {
                        b.push(" AND at < ").push_bind(t);
                    }
                    if let Some(id) = before_id {
                        b.push(" AND id < ").push_bind(id);
                    }
                    b.push(" ORDER BY id DESC LIMIT ").push_bind($crate::store::clamp(limit));
                    b.build_query_as::<$crate::store::AuditEvent>()
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::store::query_err("search_audit"))
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
                    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM bindings")
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
