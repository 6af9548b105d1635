//! PostgreSQL store, for several gateway processes sharing one database.
//!
//! **The hop's write** ([`Store::record_hop`](super::Store::record_hop), one per SSO hop) is group
//! committed like the SQLite store's writes: hops are handed to one writer thread per store, which
//! gathers them as the SQLite writer does (at the runtime's next idle moment, at most
//! [`MAX_GATHER`](super::batch::MAX_GATHER) after the oldest; see `batch.rs`) and writes the whole batch
//! with **one** statement on its own connection ([`SQL_RECORD_HOPS`]): one round trip, one commit
//! and one WAL flush for every hop in it, instead of one each. Each hop is still answered only after
//! the commit that holds its request ID, and each is all or nothing: its session and audit event are
//! written only when its ID was fresh.
//!
//! **The hop's session read** ([`Store::get_session`](super::Store::get_session), one per SSO hop) runs
//! on a few pool connections kept out of the pool between reads ([`SessionReaders`]): sqlx checks a
//! connection with a round trip to the server when the pool hands it out and again when it takes it
//! back, so a read through the pool costs three round trips, and a kept connection one. Everything else
//! goes through the connection pool.

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::Connection as _;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, Postgres};
use tokio::sync::oneshot;

use super::batch::{Gather, Lifeline, Queue};
use super::{HopRecord, Session, StoreError, StoreFuture, redact_url};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The longest one batch of hops may take (connecting included) before its hops are answered with an
/// error and the connection is dropped.
const HOPS_TIMEOUT: Duration = Duration::from_secs(30);

/// PostgreSQL implementation of [`Store`](super::Store).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    pub(super) hops: HopWriter,
    sessions: Arc<SessionReaders>,
}

impl PgStore {
    /// Connect to `postgres://…` / `postgresql://…` and run the migrations. Connection problems
    /// fail here (not at first use), within a few seconds.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let shown = redact_url(url);
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::InvalidUrl { url: shown.clone(), reason: e.to_string() })?;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await
            .map_err(|source| StoreError::Open { url: shown.clone(), source })?;
        MIGRATOR.run(&pool).await.map_err(|source| StoreError::Migrate { url: shown, source })?;
        let hops = HopWriter::start(options)?;
        Ok(PgStore { pool, hops, sessions: Arc::default() })
    }

    /// The connection pool, for tests and maintenance.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Close every connection of the pool (the hop writer's own connection closes when the last
    /// handle to the store is dropped).
    pub async fn close(&self) {
        // The kept session readers go back first: the pool's close waits for every connection.
        self.sessions.clear();
        self.pool.close().await;
    }

    /// The live session `id` (the hop's session read), on a kept connection when there is one. A kept
    /// connection that fails (the server restarted, the network cut it) is dropped and the read is
    /// made once more on a connection from the pool, which it then keeps.
    pub(super) async fn get_session_kept(&self, id: &str) -> Result<Option<Session>, StoreError> {
        if let Some(mut conn) = self.sessions.take() {
            match read_session(&mut conn, id).await {
                Ok(found) => {
                    self.sessions.keep(conn);
                    return Ok(found);
                }
                Err(e) => {
                    tracing::info!(error = %e, "a kept PostgreSQL connection failed; reading again from the pool")
                }
            }
        }
        let mut conn = self.pool.acquire().await.map_err(super::query_err("get_session"))?;
        let found = read_session(&mut conn, id).await.map_err(super::query_err("get_session"))?;
        self.sessions.keep(conn);
        Ok(found)
    }
}

async fn read_session(conn: &mut PoolConnection<Postgres>, id: &str) -> Result<Option<Session>, sqlx::Error> {
    sqlx::query_as::<_, Session>(super::sql::SQL_GET_SESSION)
        .bind(id)
        .bind(super::now_unix())
        .fetch_optional(&mut **conn)
        .await
}

/// Most connections kept out of the pool for session reads (of the pool's ten).
const MAX_KEPT_READERS: usize = 4;

/// Pool connections kept between the hops' session reads (see the module docs). A connection is kept
/// only after a read on it succeeded; at most [`MAX_KEPT_READERS`], the rest go back to the pool.
#[derive(Debug, Default)]
struct SessionReaders {
    idle: std::sync::Mutex<Vec<PoolConnection<Postgres>>>,
}

impl SessionReaders {
    fn take(&self) -> Option<PoolConnection<Postgres>> {
        self.idle.lock().ok().and_then(|mut v| v.pop())
    }

    fn keep(&self, conn: PoolConnection<Postgres>) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_KEPT_READERS
        {
            idle.push(conn);
        }
    }

    fn clear(&self) {
        let kept = self.idle.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default();
        drop(kept);
    }
}

impl Drop for SessionReaders {
    fn drop(&mut self) {
        let kept = self.idle.get_mut().map(std::mem::take).unwrap_or_default();
        // The pool takes a connection back with a task of the runtime; without one (the store outlived
        // its runtime), detach them from the pool and close their sockets here.
        if tokio::runtime::Handle::try_current().is_err() {
            for conn in kept {
                drop(conn.detach());
            }
        }
    }
}

impl_sql_store!(PgStore, "postgres");

/// Writes a batch of hops: spends each request ID, and for each one that was fresh (a new row, or an
/// expired row taken over) replaces its session's `attributes_json` (the batch's last hop of that
/// session wins) and appends its audit event; returns the ordinal (from 1) of every fresh hop. IDs are
/// inserted in key order, so concurrent batches (other replicas) lock them in the same order.
pub(crate) const SQL_RECORD_HOPS: &str = "WITH hop AS (\
       SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], $6::int8[], \
       $7::text[], $8::text[], $9::text[], $10::text[], $11::text[]) WITH ORDINALITY \
       AS h(once_kind, once_id, once_expires_at, session_id, attributes_json, at, kind, actor, subject, \
       detail_json, correlation_id, n)), \
     spent AS (INSERT INTO one_time_ids (kind, id, expires_at) \
       SELECT once_kind, once_id, once_expires_at FROM hop ORDER BY once_kind, once_id \
       ON CONFLICT (kind, id) DO UPDATE SET expires_at = excluded.expires_at \
       WHERE one_time_ids.expires_at <= $12 RETURNING kind, id), \
     fresh AS (SELECT hop.* FROM hop JOIN spent ON spent.kind = hop.once_kind AND spent.id = hop.once_id), \
     session AS (UPDATE sessions SET attributes_json = last.attributes_json \
       FROM (SELECT DISTINCT ON (session_id) session_id, attributes_json FROM fresh \
             ORDER BY session_id, n DESC) AS last \
       WHERE sessions.id = last.session_id), \
     audit AS (INSERT INTO audit_events (at, kind, actor, subject, detail_json, correlation_id) \
       SELECT at, kind, actor, subject, detail_json, correlation_id FROM fresh ORDER BY n) \
     SELECT n FROM fresh";

type HopReply = oneshot::Sender<Result<bool, StoreError>>;

struct QueuedHop {
    hop: HopRecord,
    reply: HopReply,
}

/// Handle to the store's hop writer thread; cheap to clone. The thread ends (and closes its
/// connection) when the last handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct HopWriter {
    queue: Arc<Lifeline<QueuedHop>>,
}

impl HopWriter {
    /// Starts the writer thread; it connects with `options` at its first batch (and again after a
    /// connection failure).
    fn start(options: PgConnectOptions) -> Result<HopWriter, StoreError> {
        let failed = |e: std::io::Error| StoreError::Failed { op: "open hop writer", message: e.to_string() };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(failed)?;
        let queue = Arc::new(Queue::<QueuedHop>::default());
        let q = queue.clone();
        std::thread::Builder::new()
            .name("samlgate-pg-hops".into())
            .spawn(move || hop_writer(&rt, &options, &q))
            .map_err(failed)?;
        Ok(HopWriter { queue: Arc::new(Lifeline(queue)) })
    }

    pub(crate) fn record_hop(&self, hop: HopRecord) -> StoreFuture<'static, bool> {
        let (reply, rx) = oneshot::channel();
        self.queue.0.submit(QueuedHop { hop, reply }, "record_hop", rx)
    }
}

fn hop_writer(rt: &tokio::runtime::Runtime, options: &PgConnectOptions, queue: &Queue<QueuedHop>) {
    let mut conn: Option<PgConnection> = None;
    let mut batch = Vec::new();
    let mut gather = Gather::default();
    while gather.next(queue, &mut batch) {
        rt.block_on(commit_hops(&mut conn, options, &mut batch));
        gather.committed();
    }
    if let Some(c) = conn {
        let _ = rt.block_on(c.close());
    }
}

/// Writes `batch` (emptied) in one statement and answers every hop in it.
async fn commit_hops(conn: &mut Option<PgConnection>, options: &PgConnectOptions, batch: &mut Vec<QueuedHop>) {
    let started = Instant::now();
    metrics::histogram!("samlgate_store_batch_ops").record(batch.len() as f64);
    // A second use of a request ID within the batch is a replay of the first: refused here (whether
    // the first one was fresh or not), so the statement sees each ID once.
    let mut seen = HashSet::with_capacity(batch.len());
    let (hops, replays): (Vec<QueuedHop>, Vec<QueuedHop>) =
        batch.drain(..).partition(|q| seen.insert((q.hop.once_kind.clone(), q.hop.once_id.clone())));
    for q in replays {
        let _ = q.reply.send(Ok(false));
    }
    let records: Vec<&HopRecord> = hops.iter().map(|q| &q.hop).collect();
    let written = match tokio::time::timeout(HOPS_TIMEOUT, write_with_retry(conn, options, &records)).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer from PostgreSQL within {} s", HOPS_TIMEOUT.as_secs())),
    };
    metrics::histogram!("samlgate_store_commit_seconds").record(started.elapsed().as_secs_f64());
    match written {
        Ok(fresh) => {
            for (i, q) in hops.into_iter().enumerate() {
                let _ = q.reply.send(Ok(fresh.contains(&(i as i64 + 1))));
            }
        }
        Err(message) => {
            // The connection may be broken or mid-statement: the next batch starts on a new one.
            *conn = None;
            for q in hops {
                let _ = q.reply.send(Err(StoreError::Failed { op: "record_hop", message: message.clone() }));
            }
        }
    }
}

/// [`write_hops`], once more when PostgreSQL aborted it for a deadlock or a serialization failure
/// with another writer (the aborted statement left nothing behind).
async fn write_with_retry(
    conn: &mut Option<PgConnection>,
    options: &PgConnectOptions,
    hops: &[&HopRecord],
) -> Result<HashSet<i64>, String> {
    let mut tries = 0;
    loop {
        tries += 1;
        let c = match conn.take() {
            Some(c) => conn.insert(c),
            None => conn.insert(PgConnection::connect_with(options).await.map_err(|e| e.to_string())?),
        };
        match write_hops(c, hops).await {
            Ok(fresh) => return Ok(fresh),
            Err(e) if tries < 2 && retryable(&e) => continue,
            Err(e) => return Err(e.to_string()),
        }
    }
}

fn retryable(e: &sqlx::Error) -> bool {
    // 40P01 deadlock_detected, 40001 serialization_failure.
    e.as_database_error().and_then(|d| d.code()).is_some_and(|c| c == "40P01" || c == "40001")
}

async fn write_hops(conn: &mut PgConnection, hops: &[&HopRecord]) -> Result<HashSet<i64>, sqlx::Error> {
    fn col<'a, T>(hops: &[&'a HopRecord], f: impl Fn(&'a HopRecord) -> T) -> Vec<T> {
        hops.iter().map(|h| f(h)).collect()
    }
    let fresh: Vec<i64> = sqlx::query_scalar(SQL_RECORD_HOPS)
        .bind(col(hops, |h| h.once_kind.as_str()))
        .bind(col(hops, |h| h.once_id.as_str()))
        .bind(col(hops, |h| h.once_expires_at))
        .bind(col(hops, |h| h.session_id.as_str()))
        .bind(col(hops, |h| h.attributes_json.as_str()))
        .bind(col(hops, |h| h.audit.at))
        .bind(col(hops, |h| h.audit.kind.as_str()))
        .bind(col(hops, |h| h.audit.actor.as_str()))
        .bind(col(hops, |h| h.audit.subject.as_str()))
        .bind(col(hops, |h| h.audit.detail_json.as_str()))
        .bind(col(hops, |h| h.audit.correlation_id.as_str()))
        .bind(super::now_unix())
        .fetch_all(conn)
        .await?;
    Ok(fresh.into_iter().collect())
}
