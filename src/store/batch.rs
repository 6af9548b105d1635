//! Group commit for the SQLite store's hot writes (`use_once`, `put_session`, `append_audit`).
//!
//! With `synchronous=FULL` every SQLite commit waits for an fsync of the WAL (≈ 1–1.5 ms on the
//! reference machine), and SQLite has one writer at a time, so three commits per SSO hop would cap the
//! gateway at a few hundred hops/s — far below the RSA signing limit. Instead, concurrent writers hand
//! their statement to one task that runs everything queued in **one** transaction and commits once; each
//! caller gets its answer only after that commit returned, so durability is exactly what it was (a
//! request ID spent by `use_once` is on disk before the response that spends it leaves). Under load a
//! single fsync covers many hops; a lone request pays the same single commit as before.
//!
//! The SQL is the same as in `sql.rs` (kept in step by the store tests, which run through this path).

use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use super::{NewAuditEvent, Session, StoreError, StoreFuture, query_err};

/// Most operations committed together.
const MAX_BATCH: usize = 256;

enum Op {
    UseOnce { kind: String, id: String, expires_at: i64, reply: oneshot::Sender<Result<bool, StoreError>> },
    PutSession { session: Session, reply: oneshot::Sender<Result<(), StoreError>> },
    AppendAudit { event: NewAuditEvent, reply: oneshot::Sender<Result<i64, StoreError>> },
}

/// Result of one operation inside a batch, held until the commit is known.
enum Done {
    UseOnce(oneshot::Sender<Result<bool, StoreError>>, Result<bool, StoreError>),
    PutSession(oneshot::Sender<Result<(), StoreError>>, Result<(), StoreError>),
    AppendAudit(oneshot::Sender<Result<i64, StoreError>>, Result<i64, StoreError>),
}

impl Done {
    /// Sends the statement's result, or `err` (the failed begin/commit) in its place.
    fn send(self, err: Option<&dyn Fn(&'static str) -> StoreError>) {
        match self {
            Done::UseOnce(tx, r) => {
                let _ = tx.send(match err {
                    Some(e) => Err(e("use_once")),
                    None => r,
                });
            }
            Done::PutSession(tx, r) => {
                let _ = tx.send(match err {
                    Some(e) => Err(e("put_session")),
                    None => r,
                });
            }
            Done::AppendAudit(tx, r) => {
                let _ = tx.send(match err {
                    Some(e) => Err(e("append_audit")),
                    None => r,
                });
            }
        }
    }
}

/// Handle to the group-commit task; cheap to clone. The task ends when the last handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct Batcher {
    tx: mpsc::UnboundedSender<Op>,
}

fn closed(op: &'static str) -> StoreError {
    StoreError::Query { op, source: sqlx::Error::PoolClosed }
}

impl Batcher {
    /// Starts the task (needs a Tokio runtime).
    pub(crate) fn start(pool: SqlitePool) -> Batcher {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, rx));
        Batcher { tx }
    }

    pub(crate) fn use_once<'a>(&'a self, kind: &'a str, id: &'a str, expires_at: i64) -> StoreFuture<'a, bool> {
        let (reply, rx) = oneshot::channel();
        let sent = self.tx.send(Op::UseOnce { kind: kind.to_owned(), id: id.to_owned(), expires_at, reply });
        Box::pin(async move {
            sent.map_err(|_| closed("use_once"))?;
            rx.await.map_err(|_| closed("use_once"))?
        })
    }

    pub(crate) fn put_session<'a>(&'a self, session: &'a Session) -> StoreFuture<'a, ()> {
        let (reply, rx) = oneshot::channel();
        let sent = self.tx.send(Op::PutSession { session: session.clone(), reply });
        Box::pin(async move {
            sent.map_err(|_| closed("put_session"))?;
            rx.await.map_err(|_| closed("put_session"))?
        })
    }

    pub(crate) fn append_audit<'a>(&'a self, event: &'a NewAuditEvent) -> StoreFuture<'a, i64> {
        let (reply, rx) = oneshot::channel();
        let sent = self.tx.send(Op::AppendAudit { event: event.clone(), reply });
        Box::pin(async move {
            sent.map_err(|_| closed("append_audit"))?;
            rx.await.map_err(|_| closed("append_audit"))?
        })
    }
}

async fn run(pool: SqlitePool, mut rx: mpsc::UnboundedReceiver<Op>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        commit_batch(&pool, std::mem::take(&mut batch)).await;
    }
}

async fn commit_batch(pool: &SqlitePool, ops: Vec<Op>) {
    let mut tx = match pool.begin().await {
        Ok(tx) => tx,
        Err(e) => {
            let msg = e.to_string();
            let err = move |op| StoreError::Query { op, source: sqlx::Error::Protocol(msg.clone()) };
            for op in ops {
                pending(op).send(Some(&err));
            }
            return;
        }
    };
    let mut done = Vec::with_capacity(ops.len());
    for op in ops {
        done.push(match op {
            Op::UseOnce { kind, id, expires_at, reply } => {
                // One statement: a new row is inserted, an expired row is taken over, a live row is left
                // alone (0 rows affected). A second use of the same id in this batch sees the first.
                let r = sqlx::query(
                    "INSERT INTO one_time_ids (kind, id, expires_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (kind, id) DO UPDATE SET expires_at = excluded.expires_at \
                     WHERE one_time_ids.expires_at <= $4",
                )
                .bind(kind)
                .bind(id)
                .bind(expires_at)
                .bind(super::now_unix())
                .execute(&mut *tx)
                .await
                .map(|r| r.rows_affected() > 0)
                .map_err(query_err("use_once"));
                Done::UseOnce(reply, r)
            }
            Op::PutSession { session: s, reply } => {
                let r = sqlx::query(
                    "INSERT INTO sessions (id, user_id, attributes_json, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, \
                     attributes_json = excluded.attributes_json, created_at = excluded.created_at, \
                     expires_at = excluded.expires_at",
                )
                .bind(s.id)
                .bind(s.user_id)
                .bind(s.attributes_json)
                .bind(s.created_at)
                .bind(s.expires_at)
                .execute(&mut *tx)
                .await
                .map(|_| ())
                .map_err(query_err("put_session"));
                Done::PutSession(reply, r)
            }
            Op::AppendAudit { event: e, reply } => {
                let r = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO audit_events (at, kind, actor, subject, detail_json, correlation_id) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(e.at)
                .bind(e.kind)
                .bind(e.actor)
                .bind(e.subject)
                .bind(e.detail_json)
                .bind(e.correlation_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(query_err("append_audit"));
                Done::AppendAudit(reply, r)
            }
        });
    }
    // Answers go out only after the commit: nobody acts on a write that is not yet durable.
    match tx.commit().await {
        Ok(()) => done.into_iter().for_each(|d| d.send(None)),
        Err(e) => {
            let msg = e.to_string();
            let err = move |op| StoreError::Query { op, source: sqlx::Error::Protocol(msg.clone()) };
            done.into_iter().for_each(|d| d.send(Some(&err)));
        }
    }
}

/// An operation that never ran (begin failed): its reply slot with a placeholder result.
fn pending(op: Op) -> Done {
    let placeholder = || StoreError::Query { op: "batch", source: sqlx::Error::PoolClosed };
    match op {
        Op::UseOnce { reply, .. } => Done::UseOnce(reply, Err(placeholder())),
        Op::PutSession { reply, .. } => Done::PutSession(reply, Err(placeholder())),
        Op::AppendAudit { reply, .. } => Done::AppendAudit(reply, Err(placeholder())),
    }
}

/// Which stores route their hot writes through a [`Batcher`]. `impl_sql_store!` asks this first.
pub(crate) trait GroupCommit {
    fn batcher(&self) -> Option<&Batcher> {
        None
    }
}

impl GroupCommit for super::PgStore {}

impl GroupCommit for super::SqliteStore {
    fn batcher(&self) -> Option<&Batcher> {
        Some(&self.batcher)
    }
}
