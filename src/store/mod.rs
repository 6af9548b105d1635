//! Persistence: one [`Store`] trait with an embedded SQLite implementation and a PostgreSQL one.
//!
//! The trait uses boxed futures so that `Arc<dyn Store>` works (the web layer holds one). All times
//! are unix seconds (`i64`). Both back ends run the same portable SQL (see [`sql`]); each file only
//! knows how to connect. Migrations (`migrations/sqlite`, `migrations/postgres`, kept equivalent)
//! run every time a store is opened; already applied ones are skipped.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

#[macro_use]
mod sql;
mod batch;
pub mod postgres;
pub mod sqlite;

pub use batch::{runtime_parked, runtime_thread_started};
pub use postgres::PgStore;
pub use sql::{Arg, Sql, audit_search_sql, hot_queries};
pub use sqlite::SqliteStore;

/// The future every [`Store`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Errors from the persistence layer. Messages say which operation failed and why.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid store URL `{url}`: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("cannot create the store directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the store {url}: {source}")]
    Open {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("store migration failed for {url}: {source}")]
    Migrate {
        url: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// A failure on the SQLite hot path (`batch`), which does not go through sqlx.
    #[error("store operation `{op}` failed: {message}")]
    Failed { op: &'static str, message: String },
    #[error("store operation `{op}` failed: {source}")]
    Query {
        op: &'static str,
        #[source]
        source: sqlx::Error,
    },
}

/// Maps a sqlx error of operation `op`.
pub(crate) fn query_err(op: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { op, source }
}

/// An imported SP metadata document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct SpRecord {
    pub entity_id: String,
    /// The file path or URL it came from.
    pub source: String,
    /// The document as received.
    pub metadata_xml: String,
    /// serde JSON of the parsed metadata (opaque to the store).
    pub parsed_json: String,
    pub imported_at: i64,
    pub updated_at: i64,
    /// `config` (seeded from `huawei.sp_metadata`) or `import` (an explicit `sp import`), see
    /// `gateway::sp`.
    pub origin: String,
}

/// Huawei's xUserId ↔ domainId binding (from the bind notification).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Binding {
    pub x_user_id: String,
    pub domain_id: String,
    pub domain_name: String,
    pub user_name: Option<String>,
    pub user_id: Option<String>,
    pub created_at: i64,
}

/// Where a page of [`Store::list_bindings`] starts: the bindings older than this one, in the list's
/// order (`created_at` descending, then `x_user_id` descending). Written as `CREATED_AT.X_USER_ID`
/// in links, the API (`before`, `next`) and the CLI (`--before`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingCursor {
    pub created_at: i64,
    pub x_user_id: String,
}

impl BindingCursor {
    /// The cursor after `b` (the last binding of a page).
    pub fn of(b: &Binding) -> BindingCursor {
        BindingCursor { created_at: b.created_at, x_user_id: b.x_user_id.clone() }
    }

    /// Reads `CREATED_AT.X_USER_ID` (the unix seconds are digits, so the first `.` separates them
    /// from an xUserId that may hold dots itself).
    pub fn parse(s: &str) -> Result<BindingCursor, String> {
        let bad = || format!("`{s}` is not a bindings cursor (CREATED_AT.X_USER_ID, as `next` gave it)");
        let (at, x) = s.split_once('.').ok_or_else(bad)?;
        if at.is_empty() || !at.bytes().all(|b| b.is_ascii_digit()) || x.is_empty() || x.chars().count() > 128 {
            return Err(bad());
        }
        Ok(BindingCursor { created_at: at.parse().map_err(|_| bad())?, x_user_id: x.to_owned() })
    }
}

impl std::fmt::Display for BindingCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.created_at, self.x_user_id)
    }
}

/// Result of [`Store::put_binding`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BindOutcome {
    /// A new binding was stored.
    Created,
    /// The xUserId was already bound to the same domainId; nothing changed.
    AlreadySame,
    /// The xUserId is bound to another domainId; the existing binding was kept.
    Conflict { existing_domain_id: String },
}

/// A gateway (browser) session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub attributes_json: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// An audit event to append; the store assigns the id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAuditEvent {
    pub at: i64,
    pub kind: String,
    pub actor: String,
    pub subject: String,
    pub detail_json: String,
    pub correlation_id: String,
}

/// What one answered AuthnRequest leaves in the store, written atomically by [`Store::record_hop`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HopRecord {
    /// Replay-cache key of the request (`use_once` kind and id) and how long it is kept.
    pub once_kind: String,
    pub once_id: String,
    pub once_expires_at: i64,
    /// The session whose record of issued assertions (for logout) is replaced by `attributes_json`.
    /// Only that column is written: a session that logout deleted meanwhile is not brought back.
    pub session_id: String,
    pub attributes_json: String,
    pub audit: NewAuditEvent,
}

/// Which audit events a search wants (every field optional; all given ones must match).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// The event kind, exactly (`bind.created`), or every kind under a prefix ending in `.` (`bind.`).
    pub kind: Option<String>,
    /// A customer or admin: the event's actor or subject (an xUserId, an admin name).
    pub who: Option<String>,
    pub correlation_id: Option<String>,
    /// Unix seconds, inclusive.
    pub since: Option<i64>,
    /// Unix seconds, exclusive.
    pub until: Option<i64>,
}

/// A user of the admin pages kept in the store (only the argon2id PHC hash of the password).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AdminUserRecord {
    pub name: String,
    pub password_hash: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A bearer token of the JSON admin API (only the SHA-256 of the token itself is stored).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiTokenRecord {
    pub name: String,
    /// Lowercase hex SHA-256 of the whole token (`sgt_…`).
    pub token_hash: String,
    /// Space-separated scopes (`admin`, `assertions`).
    pub scopes: String,
    /// Who created it (an admin name, `cli`).
    pub created_by: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// When it stops working (`None`: created with `--no-expiry`).
    pub expires_at: Option<i64>,
}

/// A stored audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub actor: String,
    pub subject: String,
    pub detail_json: String,
    pub correlation_id: String,
}

/// The persistence interface of the gateway. Dyn-compatible: hold it as `Arc<dyn Store>`.
pub trait Store: Send + Sync {
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    // --- SP metadata ---
    /// Insert or replace an SP (keyed by entity_id; `imported_at` of an existing row is kept).
    fn upsert_sp<'a>(&'a self, sp: &'a SpRecord) -> StoreFuture<'a, ()>;
    fn get_sp<'a>(&'a self, entity_id: &'a str) -> StoreFuture<'a, Option<SpRecord>>;
    /// All SPs, ordered by entity_id.
    fn list_sps(&self) -> StoreFuture<'_, Vec<SpRecord>>;
    /// `true` when a row was deleted.
    fn delete_sp<'a>(&'a self, entity_id: &'a str) -> StoreFuture<'a, bool>;

    // --- Bindings ---
    /// Store a binding unless the xUserId is already bound; never overwrites (atomic).
    fn put_binding<'a>(&'a self, binding: &'a Binding) -> StoreFuture<'a, BindOutcome>;
    /// Completes a binding recorded without its HUAWEI CLOUD account (`domain_id` empty, from
    /// `bindings add` for a customer created through Huawei's Partner API): sets domainId, domainName,
    /// userName and userId from `binding`. `false` when no such incomplete binding exists (atomic).
    fn complete_binding<'a>(&'a self, binding: &'a Binding) -> StoreFuture<'a, bool>;
    fn get_binding<'a>(&'a self, x_user_id: &'a str) -> StoreFuture<'a, Option<Binding>>;
    /// Newest first (`created_at`, then `x_user_id`, both descending), at most `limit`, after the
    /// binding `before` names (keyset paging: pass [`BindingCursor::of`] the last binding of the
    /// previous page). Reads one index range, however many bindings there are.
    fn list_bindings<'a>(&'a self, limit: i64, before: Option<&'a BindingCursor>) -> StoreFuture<'a, Vec<Binding>>;
    fn remove_binding<'a>(&'a self, x_user_id: &'a str) -> StoreFuture<'a, bool>;
    /// The bindings whose xUserId or domainId is exactly `value`, newest first as in
    /// [`list_bindings`](Store::list_bindings) (at most `limit`).
    fn find_bindings<'a>(&'a self, value: &'a str, limit: i64) -> StoreFuture<'a, Vec<Binding>>;

    // --- Sessions ---
    /// Insert or replace a session (keyed by id).
    fn put_session<'a>(&'a self, session: &'a Session) -> StoreFuture<'a, ()>;
    /// `None` when missing or expired.
    fn get_session<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Session>>;
    fn delete_session<'a>(&'a self, id: &'a str) -> StoreFuture<'a, bool>;
    fn delete_sessions_for_user<'a>(&'a self, user_id: &'a str) -> StoreFuture<'a, u64>;
    /// Deletes expired sessions and one-time IDs (`expires_at <= now`); returns the number removed.
    /// In short transactions of at most [`PURGE_BATCH`] rows found by the `expires_at` indexes, and at
    /// most [`PURGE_MAX_BATCHES`] of them per table and call (the next call goes on).
    fn purge_expired(&self, now: i64) -> StoreFuture<'_, u64>;

    // --- One-time IDs (replay cache) ---
    /// `true` on the first use of (`kind`, `id`); `false` while an earlier use has not expired.
    /// Atomic across concurrent callers and processes sharing one database.
    fn use_once<'a>(&'a self, kind: &'a str, id: &'a str, expires_at: i64) -> StoreFuture<'a, bool>;
    /// Whether `id` of `kind` is spent (and not yet expired), without spending it (the decoder).
    fn is_used<'a>(&'a self, kind: &'a str, id: &'a str) -> StoreFuture<'a, bool>;

    /// The durable record of one answered SSO request, in one transaction: spends the request ID
    /// (as `use_once` does), and only if it was fresh updates the session and appends the audit event.
    /// `false` — and nothing written — when the ID was already spent (a replay). The response must
    /// not leave before this returned `true`.
    fn record_hop(&self, hop: HopRecord) -> StoreFuture<'_, bool>;

    // --- Audit ---
    /// Returns the id assigned to the event.
    fn append_audit<'a>(&'a self, event: &'a NewAuditEvent) -> StoreFuture<'a, i64>;
    /// Deletes audit events with `at < before`; returns the number removed. In short transactions of
    /// at most [`PURGE_BATCH`] rows found by the `at` index, and at most [`PURGE_MAX_BATCHES`] of them
    /// per call (the next call goes on).
    fn purge_audit_before(&self, before: i64) -> StoreFuture<'_, u64>;
    /// The newest `limit` events, optionally only those of one kind (exactly): the overview's list.
    fn list_audit<'a>(&'a self, limit: i64, kind: Option<&'a str>) -> StoreFuture<'a, Vec<AuditEvent>> {
        Box::pin(async move {
            // A kind never ends in `.` (that would make it a prefix search).
            let q = AuditQuery { kind: kind.filter(|k| !k.ends_with('.')).map(str::to_owned), ..Default::default() };
            if kind.is_some() && q.kind.is_none() {
                return Ok(Vec::new());
            }
            self.search_audit(&q, None, limit).await
        })
    }
    /// The events matching `q`, newest first — by `at`, then by id, both descending — after the event
    /// `before_id` (keyset paging: pass the id of the last event of the previous page; an id no longer
    /// stored pages on from the nearest older one), at most `limit`.
    ///
    /// Every filter reads index ranges of about `limit` entries, however long the log (see
    /// `migrations/*/…_store_growth.sql`): a correlation id its own index; a customer or admin
    /// (`who`) the `(actor, at)` and `(subject, at)` indexes, merged; a kind the `(kind, at)` index (a
    /// prefix one range per stored kind under it, merged); no filter or a time range the `(at)`
    /// index; a time range is part of each range.
    fn search_audit<'a>(
        &'a self,
        q: &'a AuditQuery,
        before_id: Option<i64>,
        limit: i64,
    ) -> StoreFuture<'a, Vec<AuditEvent>>;

    // --- Admin users (besides `[[admin.users]]` of the config file) ---
    fn list_admin_users(&self) -> StoreFuture<'_, Vec<AdminUserRecord>>;
    /// Inserts the user or replaces its hash (keeping `created_at`); `true` when it existed.
    fn put_admin_user<'a>(&'a self, name: &'a str, password_hash: &'a str, now: i64) -> StoreFuture<'a, bool>;
    /// `true` when a row was deleted.
    fn delete_admin_user<'a>(&'a self, name: &'a str) -> StoreFuture<'a, bool>;

    // --- API tokens (the JSON admin API) ---
    /// Stores a new token; replaces a revoked one of the same name. `false` (nothing written) when a
    /// token of that name exists and is not revoked.
    fn insert_api_token<'a>(&'a self, token: &'a ApiTokenRecord) -> StoreFuture<'a, bool>;
    /// The token whose hash is `token_hash` (revoked or not).
    fn get_api_token_by_hash<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, Option<ApiTokenRecord>>;
    /// Every token, ordered by name.
    fn list_api_tokens(&self) -> StoreFuture<'_, Vec<ApiTokenRecord>>;
    /// Marks the token revoked; `false` when there is no live token of that name.
    fn revoke_api_token<'a>(&'a self, name: &'a str, now: i64) -> StoreFuture<'a, bool>;
    /// Revokes every live token `created_by` made (their creator was removed or got a new password);
    /// the names revoked, sorted.
    fn revoke_api_tokens_created_by<'a>(&'a self, created_by: &'a str, now: i64) -> StoreFuture<'a, Vec<String>>;
    /// Records a use (written at most once a minute per token).
    fn touch_api_token<'a>(&'a self, name: &'a str, now: i64) -> StoreFuture<'a, ()>;

    // --- Settings (admin-edited values every replica reads; see migrations/*/…_settings.sql) ---
    /// The value saved under `key`, if any.
    fn get_setting<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<String>>;
    /// Insert or replace the value of `key`.
    fn put_setting<'a>(&'a self, key: &'a str, value: &'a str) -> StoreFuture<'a, ()>;
    /// `true` when a row was deleted (the config file's value applies again).
    fn delete_setting<'a>(&'a self, key: &'a str) -> StoreFuture<'a, bool>;
    /// Number of stored bindings (admin overview): a counter kept exact by triggers in the same
    /// transaction as every insert and delete of a binding, so reading it costs one row.
    fn count_bindings(&self) -> StoreFuture<'_, i64>;

    /// A cheap round trip to the database.
    fn health(&self) -> StoreFuture<'_, ()>;
}

/// Open the store named by `url` and run its migrations.
///
/// - `sqlite://PATH` — `PATH` relative to `base_dir` (or absolute, `sqlite:///abs/file.db`); the
///   parent directory and the file are created when missing. `sqlite::memory:` for a throw-away
///   store.
/// - `postgres://…` / `postgresql://…` — any libpq-style URL sqlx accepts.
pub async fn open(url: &str, base_dir: &Path) -> Result<Arc<dyn Store>, StoreError> {
    let trimmed = url.trim();
    if trimmed.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(trimmed, base_dir).await?))
    } else if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::open(trimmed).await?))
    } else {
        Err(StoreError::InvalidUrl {
            url: redact_url(trimmed),
            reason: "must start with sqlite:// or postgres://".into(),
        })
    }
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

pub(crate) use crate::util::now_unix;

/// Negative limits make no sense; treat them as 0 (and a zero limit as "no rows").
pub(crate) fn clamp(n: i64) -> i64 {
    n.max(0)
}

/// Most rows one purge statement deletes (one short transaction: the SQLite writer lock, or
/// PostgreSQL's row locks, are held briefly, so the SSO hop's commits go on in between).
pub const PURGE_BATCH: i64 = 5000;
/// Most purge statements per table in one call (housekeeping calls every minute and goes on).
pub const PURGE_MAX_BATCHES: u64 = 100;
