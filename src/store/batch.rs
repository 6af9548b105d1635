//! The file SQLite store's hot path: group commit on one writer thread, and session reads without a
//! thread hand-off.
//!
//! **Writes** (`use_once`, `put_session`, `append_audit`, `record_hop`). With `synchronous=FULL`
//! every SQLite commit waits for an fsync of the WAL, and SQLite has one writer at a time, so one
//! commit per write would cap the gateway far below its signing rate. Instead every caller hands its
//! operation to one writer thread that owns a connection: it takes everything queued (up to
//! [`MAX_BATCH`]), runs it in **one** `BEGIN IMMEDIATE … COMMIT` with cached prepared statements, and
//! answers each caller only after that commit returned. Durability is exactly that of one commit per
//! write (a request ID spent by `use_once` is on disk before the response that spends it leaves);
//! under load one fsync covers many hops, and a batch costs one thread wake-up, not one per statement.
//! Each operation is atomic on its own: a refusal (replay) writes nothing, and an operation that fails
//! takes the batch back, whose operations then run one transaction each (see [`commit_batch`]), so a
//! failure leaves nothing of that operation and costs the others nothing but the retry.
//!
//! **When to commit.** For operations from a runtime that reports its idle moments ([`runtime_parked`]
//! and [`runtime_thread_started`], installed as Tokio's `on_thread_park` and `on_thread_start` hooks by
//! the CLI's runtime), the writer commits when a runtime worker has
//! nothing left to run, or at the latest [`MAX_GATHER`] after the first queued operation. A quiet
//! gateway parks right after a hop hands over its write, so the commit starts at once (no added
//! latency); a saturated one keeps signing other requests meanwhile, and the commit then carries all of
//! them — one fsync, one writer wake-up, one answer round for many hops, instead of one per hop or two.
//! Operations from other threads (tests' runtimes, other embedders) are committed as soon as the writer
//! has them, waiting [`GATHER`] for more only while commits keep overlapping.
//!
//! **Reads** (`get_session`, the one read of every SSO hop) run on the calling thread with a pooled
//! read connection. A primary-key lookup in a WAL database never waits for the writer (readers see the
//! last commit), so it costs a few microseconds: less than handing it to another thread and back.
//!
//! The SQL is the same text as the sqlx path (`sql.rs` constants), so both paths keep in step; the
//! store tests run through this one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;

use super::sql::{SQL_APPEND_AUDIT, SQL_GET_SESSION, SQL_PUT_SESSION, SQL_SET_SESSION_ATTRIBUTES, SQL_USE_ONCE};
use super::{HopRecord, NewAuditEvent, Session, StoreError, StoreFuture};

/// Most operations committed together.
const MAX_BATCH: usize = 256;
/// How long the writer gathers operations before a commit when it is busy (PostgreSQL's
/// `commit_delay`, applied only under load): "busy" is a new operation within `BUSY_GAP` of the last
/// commit, while one of the last `BUSY_SPELL` commits carried more than one operation.
const GATHER: Duration = Duration::from_micros(500);
const BUSY_GAP: Duration = Duration::from_millis(2);
const BUSY_SPELL: u32 = 8;
/// With the idle hook: the longest a queued operation waits for the runtime to go idle before its
/// commit starts anyway (a saturated gateway never idles; this bounds the batch and the added latency).
pub(crate) const MAX_GATHER: Duration = Duration::from_millis(8);
/// How often the checkpointer copies committed WAL pages into the database (`PASSIVE`: beside the
/// writer, never blocking it).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
/// A WAL longer than this (pages) is restarted by a `RESTART` checkpoint, which waits for the commit
/// under way and holds the next one while it copies what the passive ones left (little) and starts the
/// WAL over. Without it a writer that never pauses would let the WAL grow without end.
const WAL_RESTART_PAGES: i64 = 20_000;
/// Idle read connections kept for reuse (one per thread that reads at the same time is enough).
const MAX_IDLE_READERS: usize = 8;
/// How long a statement waits for a lock held by another connection (admin writes, the CLI).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

enum Op {
    UseOnce { kind: String, id: String, expires_at: i64, reply: Reply<bool> },
    PutSession { session: Session, reply: Reply<()> },
    AppendAudit { event: NewAuditEvent, reply: Reply<i64> },
    Hop { hop: HopRecord, reply: Reply<bool> },
}

impl Op {
    fn name(&self) -> &'static str {
        match self {
            Op::UseOnce { .. } => "use_once",
            Op::PutSession { .. } => "put_session",
            Op::AppendAudit { .. } => "append_audit",
            Op::Hop { .. } => "record_hop",
        }
    }
}

/// What an operation returned inside a batch, held until the commit is known.
enum Outcome {
    Bool(bool),
    Unit,
    Id(i64),
}

impl Op {
    /// Answers the caller: the operation's outcome, or `err`.
    fn answer(self, r: Result<Outcome, StoreError>) {
        let name = self.name();
        let mismatch = || StoreError::Failed { op: name, message: "unexpected outcome".into() };
        match self {
            Op::UseOnce { reply, .. } | Op::Hop { reply, .. } => {
                let _ = reply.send(r.and_then(|o| if let Outcome::Bool(b) = o { Ok(b) } else { Err(mismatch()) }));
            }
            Op::PutSession { reply, .. } => {
                let _ = reply.send(r.and_then(|o| if let Outcome::Unit = o { Ok(()) } else { Err(mismatch()) }));
            }
            Op::AppendAudit { reply, .. } => {
                let _ = reply.send(r.and_then(|o| if let Outcome::Id(i) = o { Ok(i) } else { Err(mismatch()) }));
            }
        }
    }
}

fn failed(op: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::Failed { op, message: e.to_string() }
}

fn gone(op: &'static str) -> StoreError {
    StoreError::Failed { op, message: "the store's writer thread has stopped".into() }
}

fn open_connection(path: &Path, op: &'static str) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(failed(op))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(failed(op))?;
    Ok(conn)
}

thread_local! {
    /// Whether this thread belongs to a runtime that reports its idle moments ([`runtime_thread_started`]).
    static IDLE_AWARE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}
/// How many times a runtime worker went idle (parked) so far.
static PARKS: AtomicU64 = AtomicU64::new(0);
/// Writers waiting for the next idle moment.
static IDLE_WAITERS: AtomicUsize = AtomicUsize::new(0);
static IDLE_LOCK: Mutex<()> = Mutex::new(());
static IDLE: Condvar = Condvar::new();

/// To be called by every runtime worker thread just before it parks (Tokio's `on_thread_park`): the
/// runtime has nothing left to run, so a queued commit should start now. Cheap when no writer waits
/// (two atomic operations).
pub fn runtime_parked() {
    PARKS.fetch_add(1, Ordering::SeqCst);
    if IDLE_WAITERS.load(Ordering::SeqCst) > 0 {
        let _g = IDLE_LOCK.lock();
        IDLE.notify_all();
    }
}

/// To be called when a thread of a runtime that calls [`runtime_parked`] starts (Tokio's
/// `on_thread_start`): operations this thread hands to a writer are committed at the runtime's idle
/// moments (see the module docs). Operations from other threads are committed as soon as the writer
/// has them.
pub fn runtime_thread_started() {
    IDLE_AWARE.with(|a| a.set(true));
}

/// Blocks until a runtime worker parked after `epoch` (read when the first operation of the batch was
/// queued), at most until `deadline`.
fn wait_for_idle(epoch: u64, deadline: Instant) {
    let mut g = IDLE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    IDLE_WAITERS.fetch_add(1, Ordering::SeqCst);
    while PARKS.load(Ordering::SeqCst) == epoch {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        g = match IDLE.wait_timeout(g, deadline - now) {
            Ok((g, _)) => g,
            Err(p) => p.into_inner().0,
        };
    }
    IDLE_WAITERS.fetch_sub(1, Ordering::SeqCst);
}

/// The operations waiting for a writer thread (this module's SQLite writer, and the PostgreSQL store's
/// hop writer).
pub(super) struct Queue<T> {
    state: Mutex<Pending<T>>,
    /// Signalled when the first operation is queued, and when the last handle is dropped.
    arrived: Condvar,
    /// Signalled when the last handle is dropped (the checkpointer waits on it).
    closing: Condvar,
}

struct Pending<T> {
    ops: Vec<T>,
    /// [`PARKS`] when the oldest queued operation arrived, and when.
    since: Option<(u64, Instant)>,
    /// Every queued operation came from a runtime thread that reports its idle moments.
    idle_aware: bool,
    closed: bool,
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Queue {
            state: Mutex::new(Pending { ops: Vec::new(), since: None, idle_aware: false, closed: false }),
            arrived: Condvar::new(),
            closing: Condvar::new(),
        }
    }
}

impl<T> Queue<T> {
    fn lock(&self) -> MutexGuard<'_, Pending<T>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `op` (named `name` in errors) and waits for its answer on `rx`; an error once the queue
    /// is closed or its writer thread has stopped.
    pub(super) fn submit<R: Send + 'static>(
        &self,
        op: T,
        name: &'static str,
        rx: oneshot::Receiver<Result<R, StoreError>>,
    ) -> StoreFuture<'static, R> {
        let sent = self.push(op);
        Box::pin(async move {
            if !sent {
                return Err(gone(name));
            }
            rx.await.map_err(|_| gone(name))?
        })
    }

    /// Queues `op`; false (and `op` dropped) once the queue is closed.
    fn push(&self, op: T) -> bool {
        let mut p = self.lock();
        if p.closed {
            return false;
        }
        let first = p.ops.is_empty();
        let aware = IDLE_AWARE.with(|a| a.get());
        p.idle_aware = aware && (first || p.idle_aware);
        p.ops.push(op);
        if first {
            p.since = Some((PARKS.load(Ordering::SeqCst), Instant::now()));
            drop(p);
            self.arrived.notify_one();
        }
        true
    }

    /// Waits for work: when the oldest operation arrived, and whether its commit may wait for an idle
    /// moment; `None` once every handle is gone and nothing is left.
    fn wait(&self) -> Option<(u64, Instant, bool)> {
        let mut p = self.lock();
        loop {
            if let Some((epoch, at)) = p.since.filter(|_| !p.ops.is_empty()) {
                return Some((epoch, at, p.idle_aware && !p.closed));
            }
            if p.closed {
                return None;
            }
            p = self.arrived.wait(p).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Moves up to `MAX_BATCH - batch.len()` queued operations into `batch`.
    fn take(&self, batch: &mut Vec<T>) {
        let mut p = self.lock();
        let n = p.ops.len().min(MAX_BATCH.saturating_sub(batch.len()));
        batch.extend(p.ops.drain(..n));
        p.since = if p.ops.is_empty() { None } else { Some((PARKS.load(Ordering::SeqCst), Instant::now())) };
    }

    fn len(&self) -> usize {
        self.lock().ops.len()
    }

    /// Waits up to `d`; whether the queue is still open.
    fn open_after(&self, d: Duration) -> bool {
        let p = self.lock();
        if p.closed {
            return false;
        }
        match self.closing.wait_timeout_while(p, d, |p| !p.closed) {
            Ok((p, _)) => !p.closed,
            Err(e) => !e.into_inner().0.closed,
        }
    }
}

/// When a writer thread commits what is queued (see the module docs): at the runtime's next idle
/// moment (at most [`MAX_GATHER`] after the oldest operation) for operations from an idle-aware
/// runtime; otherwise at once, gathering [`GATHER`] more only while commits keep overlapping.
#[derive(Default)]
pub(super) struct Gather {
    last_commit: Option<Instant>,
    /// Commits left in the current "busy" spell — set when a commit carried several operations (so
    /// requests overlap), counted down by each commit that carried one.
    busy_left: u32,
}

impl Gather {
    /// Waits for the next batch and moves it into `batch` (empty before); false once the queue is
    /// closed and nothing is left. The caller commits the batch, then calls [`Gather::committed`].
    pub(super) fn next<T>(&mut self, queue: &Queue<T>, batch: &mut Vec<T>) -> bool {
        let Some((epoch, since, idle_aware)) = queue.wait() else {
            return false;
        };
        if idle_aware {
            // Commit when the runtime has nothing else to run (at once on a quiet gateway), or when
            // the oldest operation has waited MAX_GATHER.
            if queue.len() < MAX_BATCH {
                wait_for_idle(epoch, since + MAX_GATHER);
            }
            queue.take(batch);
        } else {
            queue.take(batch);
            // Under concurrent load wait a little for more before committing: fewer, larger commits
            // cost less CPU per write. One request at a time never waits.
            let recent = self.last_commit.is_some_and(|t| t.elapsed() < BUSY_GAP);
            if self.busy_left > 0 && recent && batch.len() < MAX_BATCH {
                std::thread::sleep(GATHER);
                queue.take(batch);
            }
            self.busy_left = if batch.len() > 1 { BUSY_SPELL } else { self.busy_left.saturating_sub(1) };
        }
        true
    }

    pub(super) fn committed(&mut self) {
        self.last_commit = Some(Instant::now());
    }
}

/// Closes the queue when the last handle holding it is dropped, which ends its writer thread once it
/// has committed what is left.
pub(super) struct Lifeline<T>(pub(super) Arc<Queue<T>>);

impl<T> Drop for Lifeline<T> {
    fn drop(&mut self) {
        self.0.lock().closed = true;
        self.0.arrived.notify_all();
        self.0.closing.notify_all();
    }
}

impl<T> std::fmt::Debug for Lifeline<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lifeline")
    }
}

/// Handle to the writer thread and the read connections; cheap to clone. The writer thread ends
/// when the last handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct Batcher {
    queue: Arc<Lifeline<Op>>,
    readers: Arc<Readers>,
}

#[derive(Debug)]
struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Batcher {
    /// Opens the writer connection on `path` (an existing, migrated WAL database) and starts the
    /// writer thread.
    pub(crate) fn start(path: &Path) -> Result<Batcher, StoreError> {
        let conn = open_connection(path, "open writer")?;
        // No checkpoint inside a commit (it would hold every hop waiting for that commit while it copies
        // pages, which on a big store are scattered): the checkpointer thread does them beside the
        // writer. A 32 MiB page cache keeps the hot index pages of a big store in memory.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
             PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -32768;",
        )
        .map_err(failed("open writer"))?;
        let checkpoints = open_connection(path, "open checkpointer")?;
        let queue = Arc::new(Queue::<Op>::default());
        let q = queue.clone();
        std::thread::Builder::new()
            .name("samlgate-sqlite-writer".into())
            .spawn(move || writer(conn, &q))
            .map_err(|e| StoreError::Failed { op: "open writer", message: e.to_string() })?;
        let q = queue.clone();
        std::thread::Builder::new()
            .name("samlgate-sqlite-checkpoint".into())
            .spawn(move || checkpointer(checkpoints, &q))
            .map_err(|e| StoreError::Failed { op: "open checkpointer", message: e.to_string() })?;
        Ok(Batcher {
            queue: Arc::new(Lifeline(queue)),
            readers: Arc::new(Readers { path: path.to_path_buf(), idle: Mutex::new(Vec::new()) }),
        })
    }

    fn submit<T: Send + 'static>(
        &self,
        op: Op,
        rx: oneshot::Receiver<Result<T, StoreError>>,
    ) -> StoreFuture<'static, T> {
        let name = op.name();
        self.queue.0.submit(op, name, rx)
    }

    pub(crate) fn use_once(&self, kind: &str, id: &str, expires_at: i64) -> StoreFuture<'static, bool> {
        let (reply, rx) = oneshot::channel();
        self.submit(Op::UseOnce { kind: kind.to_owned(), id: id.to_owned(), expires_at, reply }, rx)
    }

    pub(crate) fn put_session(&self, session: &Session) -> StoreFuture<'static, ()> {
        let (reply, rx) = oneshot::channel();
        self.submit(Op::PutSession { session: session.clone(), reply }, rx)
    }

    pub(crate) fn append_audit(&self, event: &NewAuditEvent) -> StoreFuture<'static, i64> {
        let (reply, rx) = oneshot::channel();
        self.submit(Op::AppendAudit { event: event.clone(), reply }, rx)
    }

    pub(crate) fn record_hop(&self, hop: HopRecord) -> StoreFuture<'static, bool> {
        let (reply, rx) = oneshot::channel();
        self.submit(Op::Hop { hop, reply }, rx)
    }

    /// The live session `id`, read on the calling thread (see the module docs).
    pub(crate) fn get_session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        let r = &self.readers;
        let pooled = r.idle.lock().ok().and_then(|mut v| v.pop());
        let conn = match pooled {
            Some(c) => c,
            None => {
                let c = open_connection(&r.path, "get_session")?;
                c.execute_batch("PRAGMA query_only = ON;").map_err(failed("get_session"))?;
                c
            }
        };
        let found = conn
            .prepare_cached(SQL_GET_SESSION)
            .and_then(|mut st| st.query_row(params![id, super::now_unix()], session_from_row).optional())
            .map_err(failed("get_session"));
        if let Ok(mut idle) = r.idle.lock()
            && idle.len() < MAX_IDLE_READERS
        {
            idle.push(conn);
        }
        found
    }
}

fn session_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Session> {
    Ok(Session {
        id: row.get(0)?,
        user_id: row.get(1)?,
        attributes_json: row.get(2)?,
        created_at: row.get(3)?,
        expires_at: row.get(4)?,
    })
}

fn writer(conn: Connection, queue: &Queue<Op>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut gather = Gather::default();
    while gather.next(queue, &mut batch) {
        commit_batch(&conn, &mut batch);
        gather.committed();
    }
}

/// Copies committed WAL pages into the database beside the writer, and starts the WAL over when it has
/// grown long (see [`WAL_RESTART_PAGES`]). Ends with the queue.
fn checkpointer(conn: Connection, queue: &Queue<Op>) {
    while queue.open_after(CHECKPOINT_EVERY) {
        let passive = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1));
        match passive {
            Ok(log) if log > WAL_RESTART_PAGES => {
                let started = Instant::now();
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "SQLite WAL restart failed (retried at the next checkpoint)");
                }
                metrics::histogram!("samlgate_store_wal_restart_seconds").record(started.elapsed().as_secs_f64());
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "SQLite checkpoint failed (retried in a moment)"),
        }
    }
    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
}

/// Runs the batch in one transaction and answers every operation after its commit.
///
/// Optimistic: the operations run one after the other in the batch's transaction, without a savepoint
/// each (a savepoint copies every page it first touches into the sub-journal: most of a hop's pages).
/// A refusal (a replayed ID) writes nothing, so it needs no undoing. An operation that fails with an
/// error rolls the whole batch back, and every operation of it is then run again in a transaction of
/// its own ([`commit_one_by_one`]): the failure stays that operation's, all or nothing, as before.
fn commit_batch(conn: &Connection, ops: &mut Vec<Op>) {
    let started = Instant::now();
    metrics::histogram!("samlgate_store_batch_ops").record(ops.len() as f64);
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let msg = e.to_string();
        for op in ops.drain(..) {
            let name = op.name();
            op.answer(Err(StoreError::Failed { op: name, message: format!("cannot begin a transaction: {msg}") }));
        }
        return;
    }
    let outcomes: rusqlite::Result<Vec<Outcome>> = ops.iter().map(|op| apply(conn, op)).collect();
    let committed = match outcomes {
        Ok(outcomes) => conn.execute_batch("COMMIT").map(|()| outcomes),
        Err(e) => Err(e),
    };
    match committed {
        // Answers go out only after the commit: nobody acts on a write that is not yet durable.
        Ok(outcomes) => {
            metrics::histogram!("samlgate_store_commit_seconds").record(started.elapsed().as_secs_f64());
            ops.drain(..).zip(outcomes).for_each(|(op, o)| op.answer(Ok(o)));
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            tracing::warn!(error = %e, ops = ops.len(), "SQLite batch failed: its operations run again one by one");
            commit_one_by_one(conn, ops);
        }
    }
}

/// Each operation in a transaction of its own: one that fails leaves nothing and gets its error.
fn commit_one_by_one(conn: &Connection, ops: &mut Vec<Op>) {
    for op in ops.drain(..) {
        let name = op.name();
        let r = conn
            .execute_batch("BEGIN IMMEDIATE")
            .and_then(|()| apply(conn, &op))
            .and_then(|o| conn.execute_batch("COMMIT").map(|()| o));
        if r.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        op.answer(r.map_err(failed(name)));
    }
}

fn use_once(conn: &Connection, kind: &str, id: &str, expires_at: i64) -> rusqlite::Result<bool> {
    // One statement: a new row is inserted, an expired row is taken over, a live row is left alone
    // (0 rows affected). A second use of the same id in this batch sees the first.
    let n = conn.prepare_cached(SQL_USE_ONCE)?.execute(params![kind, id, expires_at, super::now_unix()])?;
    Ok(n > 0)
}

fn put_session(conn: &Connection, s: &Session) -> rusqlite::Result<()> {
    conn.prepare_cached(SQL_PUT_SESSION)?.execute(params![
        s.id,
        s.user_id,
        s.attributes_json,
        s.created_at,
        s.expires_at
    ])?;
    Ok(())
}

fn append_audit(conn: &Connection, e: &NewAuditEvent) -> rusqlite::Result<i64> {
    conn.prepare_cached(SQL_APPEND_AUDIT)?
        .query_row(params![e.at, e.kind, e.actor, e.subject, e.detail_json, e.correlation_id], |r| r.get(0))
}

/// Spends the request ID and, only when it was fresh, updates the session and appends the audit event
/// (all of it or nothing: see [`commit_batch`]).
fn record_hop(conn: &Connection, h: &HopRecord) -> rusqlite::Result<bool> {
    if !use_once(conn, &h.once_kind, &h.once_id, h.once_expires_at)? {
        return Ok(false);
    }
    conn.prepare_cached(SQL_SET_SESSION_ATTRIBUTES)?.execute(params![h.attributes_json, h.session_id])?;
    append_audit(conn, &h.audit)?;
    Ok(true)
}

fn apply(conn: &Connection, op: &Op) -> rusqlite::Result<Outcome> {
    Ok(match op {
        Op::UseOnce { kind, id, expires_at, .. } => Outcome::Bool(use_once(conn, kind, id, *expires_at)?),
        Op::PutSession { session, .. } => {
            put_session(conn, session)?;
            Outcome::Unit
        }
        Op::AppendAudit { event, .. } => Outcome::Id(append_audit(conn, event)?),
        Op::Hop { hop, .. } => Outcome::Bool(record_hop(conn, hop)?),
    })
}

/// Which stores route their hot path through a writer thread: the file SQLite store every write (its
/// [`Batcher`]), the PostgreSQL store the hop (its hop writer). `impl_sql_store!` asks this first.
pub(crate) trait GroupCommit {
    fn batcher(&self) -> Option<&Batcher> {
        None
    }

    /// `record_hop` through the store's writer thread; `Err(hop)` when the store has none.
    fn record_hop_grouped(&self, hop: HopRecord) -> Result<StoreFuture<'static, bool>, HopRecord> {
        match self.batcher() {
            Some(b) => Ok(b.record_hop(hop)),
            None => Err(hop),
        }
    }

    /// `get_session` on a connection the store keeps for it; `None` when it keeps none.
    fn get_session_kept<'a>(&'a self, _id: &'a str) -> Option<StoreFuture<'a, Option<Session>>> {
        None
    }
}

impl GroupCommit for super::PgStore {
    fn record_hop_grouped(&self, hop: HopRecord) -> Result<StoreFuture<'static, bool>, HopRecord> {
        Ok(self.hops.record_hop(hop))
    }

    fn get_session_kept<'a>(&'a self, id: &'a str) -> Option<StoreFuture<'a, Option<Session>>> {
        Some(Box::pin(self.get_session_kept(id)))
    }
}

impl GroupCommit for super::SqliteStore {
    fn batcher(&self) -> Option<&Batcher> {
        self.batcher.as_ref()
    }
}
