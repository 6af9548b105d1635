//! One suite, run against both store implementations.
//!
//! SQLite: a fresh file in a temporary directory per test. PostgreSQL: `postgres://postgres@127.0.0.1:5432/test`
//! (or `$SAMLGATE_TEST_PG`), each test in its own fresh schema (dropped afterwards), so tests run in
//! parallel and repeatedly. An unreachable PostgreSQL fails the PG tests unless `SAMLGATE_SKIP_PG=1`.

use std::path::PathBuf;
use std::sync::Arc;

use samlgate::store::{
    self, AuditQuery, BindOutcome, Binding, BindingCursor, HopRecord, NewAuditEvent, Session, SpRecord, Store,
    StoreError,
};

const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A store under test plus what is needed to reopen it and clean up.
struct Ctx {
    store: Arc<dyn Store>,
    url: String,
    base: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    pg_schema: Option<PgSchema>,
}

impl Ctx {
    async fn reopen(&self) -> Arc<dyn Store> {
        store::open(&self.url, &self.base).await.unwrap()
    }
}

async fn sqlite_ctx() -> Ctx {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().to_path_buf();
    // Relative path with a missing parent directory: open creates both.
    let url = "sqlite://data/samlgate.db".to_string();
    let store = store::open(&url, &base).await.unwrap();
    assert_eq!(store.backend(), "sqlite");
    assert!(base.join("data/samlgate.db").is_file());
    Ctx { store, url, base, _tmp: Some(tmp), pg_schema: None }
}

/// A schema that is dropped when the guard goes away (also when the test panics).
struct PgSchema {
    admin_url: String,
    name: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let url = self.admin_url.clone();
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name);
        // Own thread + runtime: Drop may run inside (or outside) a tokio runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                use sqlx::Connection;
                if let Ok(mut c) = sqlx::PgConnection::connect(&url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
                    let _ = c.close().await;
                }
            });
        })
        .join();
    }
}

async fn pg_ctx() -> Option<Ctx> {
    if std::env::var("SAMLGATE_SKIP_PG").is_ok_and(|v| v == "1") {
        eprintln!("SAMLGATE_SKIP_PG=1: PostgreSQL test skipped");
        return None;
    }
    let admin_url = std::env::var("SAMLGATE_TEST_PG").unwrap_or_else(|_| DEFAULT_PG.to_string());
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL at {admin_url} is unreachable ({e}); start it, point SAMLGATE_TEST_PG \
                 at one, or set SAMLGATE_SKIP_PG=1 to skip the PostgreSQL tests"
            )
        });
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}"))).execute(&mut c).await.unwrap();
        c.close().await.unwrap();
    }
    let guard = PgSchema { admin_url: admin_url.clone(), name: name.clone() };
    let sep = if admin_url.contains('?') { '&' } else { '?' };
    let url = format!("{admin_url}{sep}options[search_path]={name}");
    let store = store::open(&url, std::path::Path::new(".")).await.unwrap();
    assert_eq!(store.backend(), "postgres");
    Some(Ctx { store, url, base: PathBuf::from("."), _tmp: None, pg_schema: Some(guard) })
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let ctx = super::sqlite_ctx().await;
                    super::$name(&ctx).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(ctx) = super::pg_ctx().await else { return };
                    assert!(ctx.pg_schema.is_some());
                    super::$name(&ctx).await;
                }
            )*
        }
    };
}

suite!(
    sps_crud,
    bindings_created_same_conflict,
    bindings_concurrent_first_writer_wins,
    bindings_list_and_remove,
    bindings_keyset_pages_through_ties,
    bindings_counter_stays_exact,
    audit_search_matches_a_reference,
    hot_queries_read_indexes,
    sessions_crud_and_expiry,
    use_once_first_use_and_expiry,
    use_once_concurrent,
    record_hop_all_or_nothing,
    record_hop_concurrent_replays,
    purge_expired_removes_only_expired,
    audit_append_and_list,
    audit_search_filters_and_keyset_pages,
    audit_purge_by_age,
    health_ok,
    reopen_keeps_data,
    api_tokens_live_revoked_replaced,
);

fn api_token(name: &str, hash: &str) -> store::ApiTokenRecord {
    store::ApiTokenRecord {
        name: name.into(),
        token_hash: hash.into(),
        scopes: "admin".into(),
        created_by: "ops".into(),
        created_at: now(),
        last_used_at: None,
        revoked_at: None,
        expires_at: Some(now() + 3600),
    }
}

/// A live token's name is not taken again; revoking keeps the row (listed, found by hash, revoked); a
/// new token of a revoked name replaces it; uses are recorded at most once a minute.
async fn api_tokens_live_revoked_replaced(ctx: &Ctx) {
    let s = &ctx.store;
    assert!(s.insert_api_token(&api_token("ci", &"a".repeat(64))).await.unwrap());
    assert!(!s.insert_api_token(&api_token("ci", &"b".repeat(64))).await.unwrap(), "a live name");
    let got = s.get_api_token_by_hash(&"a".repeat(64)).await.unwrap().unwrap();
    assert_eq!((got.name.as_str(), got.revoked_at, got.last_used_at), ("ci", None, None));
    assert!(s.get_api_token_by_hash(&"b".repeat(64)).await.unwrap().is_none());
    let t = now();
    s.touch_api_token("ci", t).await.unwrap();
    s.touch_api_token("ci", t + 30).await.unwrap();
    assert_eq!(s.get_api_token_by_hash(&"a".repeat(64)).await.unwrap().unwrap().last_used_at, Some(t));
    s.touch_api_token("ci", t + 61).await.unwrap();
    assert_eq!(s.get_api_token_by_hash(&"a".repeat(64)).await.unwrap().unwrap().last_used_at, Some(t + 61));
    assert!(s.revoke_api_token("ci", t).await.unwrap());
    assert!(!s.revoke_api_token("ci", t).await.unwrap(), "already revoked");
    assert!(!s.revoke_api_token("nobody", t).await.unwrap());
    assert_eq!(s.get_api_token_by_hash(&"a".repeat(64)).await.unwrap().unwrap().revoked_at, Some(t));
    assert!(s.insert_api_token(&api_token("ci", &"c".repeat(64))).await.unwrap(), "a revoked name is reused");
    assert!(s.insert_api_token(&api_token("another", &"d".repeat(64))).await.unwrap());
    let list = s.list_api_tokens().await.unwrap();
    assert_eq!(list.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["another", "ci"]);
    assert_eq!((list[1].token_hash.as_str(), list[1].revoked_at, list[1].last_used_at), (&*"c".repeat(64), None, None));
    assert!(s.get_api_token_by_hash(&"a".repeat(64)).await.unwrap().is_none(), "the old hash is gone");
    assert!(list[1].expires_at.is_some_and(|e| e > t), "expires_at is kept: {:?}", list[1].expires_at);
    // An expired live token's name is reused too; a live unexpired one's is not.
    let mut expired = api_token("old", &"e".repeat(64));
    expired.expires_at = Some(t - 1);
    assert!(s.insert_api_token(&expired).await.unwrap());
    assert_eq!(s.get_api_token_by_hash(&"e".repeat(64)).await.unwrap().unwrap().expires_at, Some(t - 1));
    assert!(s.insert_api_token(&api_token("old", &"f".repeat(64))).await.unwrap(), "an expired name is reused");
    let mut never = api_token("never", &"0".repeat(64));
    never.expires_at = None;
    assert!(s.insert_api_token(&never).await.unwrap());
    assert!(!s.insert_api_token(&api_token("never", &"1".repeat(64))).await.unwrap(), "no expiry: still live");
    // A creator's tokens are revoked together; another creator's stay live.
    let mut other = api_token("theirs", &"2".repeat(64));
    other.created_by = "someone-else".into();
    assert!(s.insert_api_token(&other).await.unwrap());
    assert_eq!(s.revoke_api_tokens_created_by("ops", t).await.unwrap(), ["another", "ci", "never", "old"]);
    assert!(s.revoke_api_tokens_created_by("ops", t).await.unwrap().is_empty(), "nothing live is left");
    let theirs = s.get_api_token_by_hash(&"2".repeat(64)).await.unwrap().unwrap();
    assert_eq!(theirs.revoked_at, None);
}

fn sp(entity_id: &str, t: i64) -> SpRecord {
    SpRecord {
        entity_id: entity_id.into(),
        source: "metadata/huawei-sp-metadata.xml".into(),
        metadata_xml: "<?xml version=\"1.0\"?>\n<md:EntityDescriptor entityID=\"x\">ü</md:EntityDescriptor>".into(),
        parsed_json: r#"{"entity_id":"x"}"#.into(),
        imported_at: t,
        updated_at: t,
        origin: "config".into(),
    }
}

fn binding(x: &str, domain: &str) -> Binding {
    Binding {
        x_user_id: x.into(),
        domain_id: domain.into(),
        domain_name: format!("name-of-{domain}"),
        user_name: Some("alice".into()),
        user_id: None,
        created_at: now(),
    }
}

async fn sps_crud(ctx: &Ctx) {
    let s = &ctx.store;
    assert!(s.list_sps().await.unwrap().is_empty());
    assert_eq!(s.get_sp("https://auth.huaweicloud.com/").await.unwrap(), None);

    let a = sp("https://auth.huaweicloud.com/", 100);
    s.upsert_sp(&a).await.unwrap();
    assert_eq!(s.get_sp(&a.entity_id).await.unwrap(), Some(a.clone()));

    // Update keeps imported_at, replaces the rest.
    let mut a2 = sp(&a.entity_id, 200);
    a2.source = "https://example.test/sp.xml".into();
    a2.metadata_xml = "<new/>".into();
    s.upsert_sp(&a2).await.unwrap();
    let got = s.get_sp(&a.entity_id).await.unwrap().unwrap();
    assert_eq!(got.imported_at, 100);
    assert_eq!(got.updated_at, 200);
    assert_eq!(got.source, a2.source);
    assert_eq!(got.metadata_xml, "<new/>");

    s.upsert_sp(&sp("https://a.example/", 1)).await.unwrap();
    let list = s.list_sps().await.unwrap();
    let ids: Vec<_> = list.iter().map(|r| r.entity_id.as_str()).collect();
    assert_eq!(ids, ["https://a.example/", "https://auth.huaweicloud.com/"]);

    assert!(s.delete_sp("https://a.example/").await.unwrap());
    assert!(!s.delete_sp("https://a.example/").await.unwrap());
    assert_eq!(s.list_sps().await.unwrap().len(), 1);
}

async fn bindings_created_same_conflict(ctx: &Ctx) {
    let s = &ctx.store;
    let b = binding("xu-1", "dom-A");
    assert_eq!(s.put_binding(&b).await.unwrap(), BindOutcome::Created);
    assert_eq!(s.get_binding("xu-1").await.unwrap(), Some(b.clone()));

    // Idempotent: same domain again.
    let mut again = binding("xu-1", "dom-A");
    again.domain_name = "renamed".into();
    assert_eq!(s.put_binding(&again).await.unwrap(), BindOutcome::AlreadySame);

    // Another domain: refused, existing binding kept.
    let other = binding("xu-1", "dom-B");
    assert_eq!(s.put_binding(&other).await.unwrap(), BindOutcome::Conflict { existing_domain_id: "dom-A".into() });
    assert_eq!(s.get_binding("xu-1").await.unwrap(), Some(b));
    assert_eq!(s.get_binding("nobody").await.unwrap(), None);
}

async fn bindings_concurrent_first_writer_wins(ctx: &Ctx) {
    let mut tasks = Vec::new();
    for i in 0..20 {
        let s = ctx.store.clone();
        tasks.push(tokio::spawn(async move {
            s.put_binding(&binding("xu-race", &format!("dom-{}", i % 4))).await.unwrap()
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let created = outcomes.iter().filter(|o| **o == BindOutcome::Created).count();
    assert_eq!(created, 1, "{outcomes:?}");
    let winner = ctx.store.get_binding("xu-race").await.unwrap().unwrap();
    for o in &outcomes {
        if let BindOutcome::Conflict { existing_domain_id } = o {
            assert_eq!(existing_domain_id, &winner.domain_id);
        }
    }
}

async fn bindings_list_and_remove(ctx: &Ctx) {
    let s = &ctx.store;
    for i in 0..5 {
        let mut b = binding(&format!("xu-{i}"), "dom");
        b.created_at = 1000 + i;
        b.user_name = None;
        b.user_id = Some(format!("uid-{i}"));
        s.put_binding(&b).await.unwrap();
    }
    let all = s.list_bindings(100, None).await.unwrap();
    assert_eq!(all.len(), 5);
    // Newest first.
    assert_eq!(all[0].x_user_id, "xu-4");
    assert_eq!(all[0].user_name, None);
    assert_eq!(all[0].user_id.as_deref(), Some("uid-4"));
    let page = s.list_bindings(2, Some(&BindingCursor::of(&all[1]))).await.unwrap();
    let ids: Vec<_> = page.iter().map(|b| b.x_user_id.as_str()).collect();
    assert_eq!(ids, ["xu-2", "xu-1"]);
    assert!(s.list_bindings(0, None).await.unwrap().is_empty());
    assert!(s.list_bindings(-5, None).await.unwrap().is_empty());

    assert!(s.remove_binding("xu-2").await.unwrap());
    assert!(!s.remove_binding("xu-2").await.unwrap());
    assert_eq!(s.get_binding("xu-2").await.unwrap(), None);
    assert_eq!(s.list_bindings(100, None).await.unwrap().len(), 4);
    // After removal the xUserId may be bound again, to any domain.
    assert_eq!(s.put_binding(&binding("xu-2", "dom-new")).await.unwrap(), BindOutcome::Created);
}

/// Keyset pages over the bindings: every binding exactly once, newest first, through ties on
/// created_at (several bindings in one second), whatever the page size — and the cursor's own
/// text form (`CREATED_AT.X_USER_ID`, an xUserId with dots) reads back.
async fn bindings_keyset_pages_through_ties(ctx: &Ctx) {
    let s = &ctx.store;
    let mut want = Vec::new();
    for i in 0..23 {
        let mut b = binding(&format!("cust.{:02}", (i * 7) % 23), "dom");
        b.created_at = 5000 + i / 4; // four to a second
        s.put_binding(&b).await.unwrap();
        want.push((b.created_at, b.x_user_id));
    }
    want.sort_by(|a, b| b.cmp(a));
    for size in [1, 3, 4, 5, 22, 23, 50] {
        let (mut seen, mut cursor) = (Vec::new(), None::<BindingCursor>);
        loop {
            let page = s.list_bindings(size, cursor.as_ref()).await.unwrap();
            assert!(page.len() as i64 <= size);
            seen.extend(page.iter().map(|b| (b.created_at, b.x_user_id.clone())));
            match page.last() {
                Some(last) if page.len() as i64 == size => {
                    let c = BindingCursor::of(last);
                    assert_eq!(BindingCursor::parse(&c.to_string()).unwrap(), c);
                    cursor = Some(c);
                }
                _ => break,
            }
        }
        assert_eq!(seen, want, "pages of {size}");
    }
    for bad in ["", "5000", ".cust", "50a0.cust", "5000."] {
        assert!(BindingCursor::parse(bad).is_err(), "{bad}");
    }
}

/// The bindings counter stays exact through every way a binding comes and goes: insert, the same
/// binding again, a conflict, completing a binding recorded without its account, removal, removing
/// what is gone, binding again, and concurrent first binds of one xUserId; it survives a reopen.
async fn bindings_counter_stays_exact(ctx: &Ctx) {
    let s = &ctx.store;
    assert_eq!(s.count_bindings().await.unwrap(), 0);
    for i in 0..10 {
        s.put_binding(&binding(&format!("c-{i}"), &format!("d-{i}"))).await.unwrap();
    }
    assert_eq!(s.count_bindings().await.unwrap(), 10);
    assert_eq!(s.put_binding(&binding("c-1", "d-1")).await.unwrap(), BindOutcome::AlreadySame);
    assert!(matches!(s.put_binding(&binding("c-1", "other")).await.unwrap(), BindOutcome::Conflict { .. }));
    assert_eq!(s.count_bindings().await.unwrap(), 10);
    s.put_binding(&binding("open", "")).await.unwrap();
    assert!(s.complete_binding(&binding("open", "d-open")).await.unwrap());
    assert_eq!(s.count_bindings().await.unwrap(), 11);
    assert!(s.remove_binding("c-3").await.unwrap());
    assert!(!s.remove_binding("c-3").await.unwrap());
    assert_eq!(s.count_bindings().await.unwrap(), 10);
    assert_eq!(s.put_binding(&binding("c-3", "d-new")).await.unwrap(), BindOutcome::Created);
    assert_eq!(s.count_bindings().await.unwrap(), 11);
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move { s.put_binding(&binding("racer", &format!("d-{i}"))).await.unwrap() })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(s.count_bindings().await.unwrap(), 12);
    let listed = s.list_bindings(1000, None).await.unwrap().len() as i64;
    assert_eq!(listed, 12);
    assert_eq!(ctx.reopen().await.count_bindings().await.unwrap(), 12);
}

async fn sessions_crud_and_expiry(ctx: &Ctx) {
    let s = &ctx.store;
    let t = now();
    let live = Session {
        id: "sess-1".into(),
        user_id: "user-1".into(),
        attributes_json: r#"{"name":"Alice"}"#.into(),
        created_at: t,
        expires_at: t + 3600,
    };
    s.put_session(&live).await.unwrap();
    assert_eq!(s.get_session("sess-1").await.unwrap(), Some(live.clone()));

    // Replace (e.g. extend).
    let mut longer = live.clone();
    longer.expires_at = t + 7200;
    s.put_session(&longer).await.unwrap();
    assert_eq!(s.get_session("sess-1").await.unwrap(), Some(longer));

    let expired = Session { id: "sess-old".into(), expires_at: t - 1, ..live.clone() };
    s.put_session(&expired).await.unwrap();
    assert_eq!(s.get_session("sess-old").await.unwrap(), None);

    s.put_session(&Session { id: "sess-2".into(), ..live.clone() }).await.unwrap();
    s.put_session(&Session { id: "sess-other".into(), user_id: "user-2".into(), ..live.clone() }).await.unwrap();

    assert!(s.delete_session("sess-2").await.unwrap());
    assert!(!s.delete_session("sess-2").await.unwrap());
    // sess-1 and (expired) sess-old belong to user-1.
    assert_eq!(s.delete_sessions_for_user("user-1").await.unwrap(), 2);
    assert_eq!(s.delete_sessions_for_user("user-1").await.unwrap(), 0);
    assert!(s.get_session("sess-other").await.unwrap().is_some());
    assert_eq!(s.get_session("missing").await.unwrap(), None);
}

async fn use_once_first_use_and_expiry(ctx: &Ctx) {
    let s = &ctx.store;
    let t = now();
    assert!(s.use_once("authn", "_id1", t + 300).await.unwrap());
    assert!(!s.use_once("authn", "_id1", t + 300).await.unwrap());
    // Kinds are separate namespaces.
    assert!(s.use_once("jti", "_id1", t + 300).await.unwrap());
    assert!(!s.use_once("jti", "_id1", t + 300).await.unwrap());

    // An expired entry no longer blocks, and is replaced by the new use.
    assert!(s.use_once("authn", "_old", t - 10).await.unwrap());
    assert!(s.use_once("authn", "_old", t + 300).await.unwrap());
    assert!(!s.use_once("authn", "_old", t + 300).await.unwrap());
}

async fn use_once_concurrent(ctx: &Ctx) {
    let exp = now() + 300;
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let s = ctx.store.clone();
        let b = barrier.clone();
        tasks.push(tokio::spawn(async move {
            b.wait().await;
            s.use_once("assertion", "_race", exp).await.unwrap()
        }));
    }
    let mut firsts = 0;
    for t in tasks {
        if t.await.unwrap() {
            firsts += 1;
        }
    }
    assert_eq!(firsts, 1);

    // Also across two independently opened stores on the same database (two processes).
    let other = ctx.reopen().await;
    let (a, b) = tokio::join!(ctx.store.use_once("assertion", "_two", exp), other.use_once("assertion", "_two", exp));
    assert!(a.unwrap() ^ b.unwrap());
}

fn hop(id: &str, session: &Session, cid: &str) -> HopRecord {
    HopRecord {
        once_kind: "authn".into(),
        once_id: id.into(),
        once_expires_at: now() + 300,
        session_id: session.id.clone(),
        attributes_json: session.attributes_json.clone(),
        audit: NewAuditEvent {
            at: now(),
            kind: "sso.response".into(),
            actor: session.user_id.clone(),
            subject: "https://sp.example/".into(),
            detail_json: format!(r#"{{"request_id":"{id}"}}"#),
            correlation_id: cid.into(),
        },
    }
}

async fn record_hop_all_or_nothing(ctx: &Ctx) {
    let s = &ctx.store;
    let mut sess = Session {
        id: "h".repeat(64),
        user_id: "customer-1".into(),
        attributes_json: r#"{"issued":[]}"#.into(),
        created_at: now(),
        expires_at: now() + 3600,
    };
    s.put_session(&sess).await.unwrap();
    sess.attributes_json = r#"{"issued":["first"]}"#.into();
    assert!(s.record_hop(hop("_req1", &sess, "c1")).await.unwrap());
    assert_eq!(s.get_session(&sess.id).await.unwrap().unwrap().attributes_json, sess.attributes_json);
    let audit = s.list_audit(10, Some("sso.response")).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].correlation_id, "c1");

    // The same request again: refused, and neither the session nor the audit log changes.
    let mut replayed = sess.clone();
    replayed.attributes_json = r#"{"issued":["first","replayed"]}"#.into();
    assert!(!s.record_hop(hop("_req1", &replayed, "c2")).await.unwrap());
    assert_eq!(s.get_session(&sess.id).await.unwrap().unwrap().attributes_json, sess.attributes_json);
    assert_eq!(s.list_audit(10, Some("sso.response")).await.unwrap().len(), 1);
    // The request ID is the same namespace use_once spends.
    assert!(!s.use_once("authn", "_req1", now() + 300).await.unwrap());
    assert!(s.record_hop(hop("_req2", &replayed, "c3")).await.unwrap());
    assert_eq!(s.list_audit(10, Some("sso.response")).await.unwrap().len(), 2);
    // A session ended meanwhile (logout) is not brought back by a hop that was answered concurrently.
    let ended = Session { id: "e".repeat(64), ..sess.clone() };
    s.put_session(&ended).await.unwrap();
    assert!(s.delete_session(&ended.id).await.unwrap());
    assert!(s.record_hop(hop("_req3", &ended, "c5")).await.unwrap());
    assert!(s.get_session(&ended.id).await.unwrap().is_none());
    // Survives a reopen (durable, not only in the writer's memory).
    let other = ctx.reopen().await;
    assert!(!other.record_hop(hop("_req2", &replayed, "c4")).await.unwrap());
    assert_eq!(other.get_session(&sess.id).await.unwrap().unwrap().attributes_json, replayed.attributes_json);
}

async fn record_hop_concurrent_replays(ctx: &Ctx) {
    let sess = Session {
        id: "r".repeat(64),
        user_id: "customer-2".into(),
        attributes_json: "{}".into(),
        created_at: now(),
        expires_at: now() + 3600,
    };
    // 50 different requests and each of them 4 times at once: exactly one answer per request.
    let mut tasks = Vec::new();
    for i in 0..200 {
        let s = ctx.store.clone();
        let h = hop(&format!("_c{}", i % 50), &sess, &format!("cid-{i}"));
        tasks.push(tokio::spawn(async move { s.record_hop(h).await.unwrap() }));
    }
    let mut fresh = 0;
    for t in tasks {
        fresh += t.await.unwrap() as usize;
    }
    assert_eq!(fresh, 50);
    assert_eq!(ctx.store.list_audit(500, Some("sso.response")).await.unwrap().len(), 50);
}

async fn purge_expired_removes_only_expired(ctx: &Ctx) {
    let s = &ctx.store;
    let t = now();
    let mk = |id: &str, exp: i64| Session {
        id: id.into(),
        user_id: "u".into(),
        attributes_json: "{}".into(),
        created_at: t - 100,
        expires_at: exp,
    };
    s.put_session(&mk("gone-1", t - 5)).await.unwrap();
    s.put_session(&mk("gone-2", t)).await.unwrap();
    s.put_session(&mk("stays", t + 100)).await.unwrap();
    assert!(s.use_once("authn", "gone", t - 5).await.unwrap());
    assert!(s.use_once("authn", "stays", t + 100).await.unwrap());

    assert_eq!(s.purge_expired(t).await.unwrap(), 3);
    assert_eq!(s.purge_expired(t).await.unwrap(), 0);
    assert!(s.get_session("stays").await.unwrap().is_some());
    assert!(!s.use_once("authn", "stays", t + 100).await.unwrap());
    assert!(s.use_once("authn", "gone", t + 100).await.unwrap());
}

async fn audit_append_and_list(ctx: &Ctx) {
    let s = &ctx.store;
    assert!(s.list_audit(10, None).await.unwrap().is_empty());
    let mut ids = Vec::new();
    for (i, kind) in ["sp.import", "bind", "sp.import", "login"].iter().enumerate() {
        let id = s
            .append_audit(&NewAuditEvent {
                at: 1000 + i as i64,
                kind: kind.to_string(),
                actor: "admin".into(),
                subject: format!("subject-{i}"),
                detail_json: format!(r#"{{"i":{i}}}"#),
                correlation_id: format!("corr-{i}"),
            })
            .await
            .unwrap();
        ids.push(id);
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");

    let all = s.list_audit(10, None).await.unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].id, ids[3]);
    assert_eq!(all[0].kind, "login");
    assert_eq!(all[0].at, 1003);
    assert_eq!(all[0].subject, "subject-3");
    assert_eq!(all[0].detail_json, r#"{"i":3}"#);
    assert_eq!(all[0].correlation_id, "corr-3");
    assert_eq!(all[3].id, ids[0]);

    let imports = s.list_audit(10, Some("sp.import")).await.unwrap();
    let got: Vec<_> = imports.iter().map(|e| e.id).collect();
    assert_eq!(got, [ids[2], ids[0]]);
    let page = s.list_audit(2, None).await.unwrap();
    let got: Vec<_> = page.iter().map(|e| e.id).collect();
    assert_eq!(got, [ids[3], ids[2]]);
    assert!(s.list_audit(10, Some("sp.")).await.unwrap().is_empty(), "a kind, not a prefix");
    assert!(s.list_audit(10, Some("nothing")).await.unwrap().is_empty());
}

fn audit_at(at: i64, n: i64) -> NewAuditEvent {
    NewAuditEvent {
        at,
        kind: "sso.response".into(),
        actor: "cust".into(),
        subject: format!("s-{n}"),
        detail_json: "{}".into(),
        correlation_id: format!("c-{n}"),
    }
}

/// Rows older than the retention go (more than one delete batch of them), younger ones stay.
async fn audit_purge_by_age(ctx: &Ctx) {
    let s = &ctx.store;
    let now = now();
    let cutoff = now - 180 * 86_400;
    for n in 0..5_100 {
        s.append_audit(&audit_at(cutoff - 1 - n % 1000, n)).await.unwrap();
    }
    s.append_audit(&audit_at(cutoff, 1)).await.unwrap();
    s.append_audit(&audit_at(now - 10, 2)).await.unwrap();
    assert_eq!(s.purge_audit_before(cutoff).await.unwrap(), 5_100);
    let left: Vec<i64> = s.list_audit(100, None).await.unwrap().iter().map(|e| e.at).collect();
    assert_eq!(left, [now - 10, cutoff]);
    assert_eq!(s.purge_audit_before(cutoff).await.unwrap(), 0);
}

async fn health_ok(ctx: &Ctx) {
    ctx.store.health().await.unwrap();
}

async fn reopen_keeps_data(ctx: &Ctx) {
    let t = now();
    ctx.store.upsert_sp(&sp("https://keep.example/", t)).await.unwrap();
    ctx.store.put_binding(&binding("xu-keep", "dom-keep")).await.unwrap();
    assert!(ctx.store.use_once("jti", "keep", t + 300).await.unwrap());
    let audit_id = ctx
        .store
        .append_audit(&NewAuditEvent {
            at: t,
            kind: "k".into(),
            actor: "a".into(),
            subject: "s".into(),
            detail_json: "{}".into(),
            correlation_id: String::new(),
        })
        .await
        .unwrap();

    // Reopen twice: migrations are idempotent, data is still there.
    for _ in 0..2 {
        let s = ctx.reopen().await;
        assert!(s.get_sp("https://keep.example/").await.unwrap().is_some());
        assert_eq!(s.get_binding("xu-keep").await.unwrap().unwrap().domain_id, "dom-keep");
        assert!(!s.use_once("jti", "keep", t + 300).await.unwrap());
        let audit = s.list_audit(1, None).await.unwrap();
        assert_eq!(audit[0].id, audit_id);
        s.health().await.unwrap();
    }
}

// ---------------------------------------------------------------- open() errors

#[tokio::test]
async fn open_rejects_unknown_scheme() {
    let e = store::open("mysql://localhost/db", std::path::Path::new(".")).await.err().unwrap();
    assert!(matches!(e, StoreError::InvalidUrl { .. }), "{e}");
    assert!(e.to_string().contains("mysql://"), "{e}");
}

#[tokio::test]
async fn open_rejects_sqlite_query_params_and_empty_path() {
    let base = tempfile::tempdir().unwrap();
    for url in ["sqlite://x.db?mode=ro", "sqlite://"] {
        let e = store::open(url, base.path()).await.err().unwrap();
        assert!(matches!(e, StoreError::InvalidUrl { .. }), "{url}: {e}");
    }
}

#[tokio::test]
async fn open_sqlite_absolute_path_and_memory() {
    let dir = tempfile::tempdir().unwrap();
    let abs = dir.path().join("sub/abs.db");
    let url = format!("sqlite://{}", abs.display());
    let s = store::open(&url, std::path::Path::new("/nonexistent-base")).await.unwrap();
    s.health().await.unwrap();
    assert!(abs.is_file());

    let mem = store::open("sqlite::memory:", dir.path()).await.unwrap();
    assert!(mem.use_once("k", "1", now() + 10).await.unwrap());
    assert!(!mem.use_once("k", "1", now() + 10).await.unwrap());
}

#[tokio::test]
async fn open_sqlite_unwritable_dir_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plainfile");
    std::fs::write(&file, "x").unwrap();
    // Parent "directory" is a file: cannot be created.
    let e = store::open("sqlite://plainfile/db.sqlite", dir.path()).await.err().unwrap();
    assert!(matches!(e, StoreError::CreateDir { .. }), "{e}");
    assert!(e.to_string().contains("plainfile"), "{e}");
}

#[tokio::test]
async fn open_postgres_unreachable_is_an_error_with_redacted_password() {
    let e = store::open("postgres://user:hunter2@127.0.0.1:1/db?connect_timeout=2", std::path::Path::new("."))
        .await
        .err()
        .unwrap();
    let msg = e.to_string();
    assert!(matches!(e, StoreError::Open { .. }), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
}

/// PostgreSQL: the hop's session read keeps its connection out of the pool between reads. When that
/// connection is cut (here its server process is terminated, as a server restart would), the next read
/// is made again on a fresh connection from the pool and succeeds.
#[tokio::test]
async fn postgres_session_reads_survive_a_cut_kept_connection() {
    let Some(ctx) = pg_ctx().await else { return };
    let app = format!("samlgate_{}", uuid::Uuid::new_v4().simple());
    let s = store::open(&format!("{}&application_name={app}", ctx.url), std::path::Path::new(".")).await.unwrap();
    let live = Session {
        id: "sess-kept".into(),
        user_id: "user-1".into(),
        attributes_json: "{}".into(),
        created_at: now(),
        expires_at: now() + 3600,
    };
    s.put_session(&live).await.unwrap();
    for _ in 0..3 {
        assert_eq!(s.get_session("sess-kept").await.unwrap().unwrap().user_id, "user-1");
    }
    use sqlx::Connection as _;
    let admin_url = std::env::var("SAMLGATE_TEST_PG").unwrap_or_else(|_| DEFAULT_PG.to_string());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    let cut: Vec<(bool,)> =
        sqlx::query_as("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1")
            .bind(&app)
            .fetch_all(&mut admin)
            .await
            .unwrap();
    assert!(!cut.is_empty() && cut.iter().all(|(ok,)| *ok), "{cut:?}");
    admin.close().await.unwrap();
    for _ in 0..3 {
        assert_eq!(s.get_session("sess-kept").await.unwrap().unwrap().user_id, "user-1", "read after the cut");
    }
    assert!(s.get_session("sess-missing").await.unwrap().is_none());
}

#[test]
fn store_is_dyn_compatible() {
    fn takes(_: Option<Arc<dyn Store>>) {}
    takes(None);
}

/// A database created before the hot-table migration (rowid `one_time_ids`, AUTOINCREMENT audit ids)
/// keeps its rows and audit ids when the current gateway opens it, and new ids continue after them
/// (the audit log is append-only: nothing deletes from it, so largest-id-plus-one never reuses an id).
#[tokio::test]
async fn sqlite_upgrade_keeps_audit_ids_and_one_time_ids() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old-migrations");
    std::fs::create_dir(&old).unwrap();
    for f in ["20260101000000_initial.sql", "20261126000000_settings.sql"] {
        std::fs::copy(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite").join(f), old.join(f))
            .unwrap();
    }
    let db = dir.path().join("up.db");
    {
        use sqlx::ConnectOptions;
        let mut c =
            sqlx::sqlite::SqliteConnectOptions::new().filename(&db).create_if_missing(true).connect().await.unwrap();
        sqlx::migrate::Migrator::new(old.as_path()).await.unwrap().run(&mut c).await.unwrap();
        for i in 1..=3 {
            sqlx::query("INSERT INTO audit_events (at, kind, actor, subject, detail_json, correlation_id) VALUES (?, 'k', 'a', 's', '{}', 'c')")
                .bind(i)
                .execute(&mut c)
                .await
                .unwrap();
        }
        sqlx::query("INSERT INTO one_time_ids (kind, id, expires_at) VALUES ('authn', '_old', ?)")
            .bind(now() + 300)
            .execute(&mut c)
            .await
            .unwrap();
    }
    let s = store::open("sqlite://up.db", dir.path()).await.unwrap();
    let ids: Vec<i64> = s.list_audit(10, None).await.unwrap().iter().map(|e| e.id).collect();
    assert_eq!(ids, [3, 2, 1]);
    assert!(!s.use_once("authn", "_old", now() + 300).await.unwrap(), "spent IDs survive the upgrade");
    let next = s
        .append_audit(&NewAuditEvent {
            at: 4,
            kind: "k".into(),
            actor: "a".into(),
            subject: "s".into(),
            detail_json: "{}".into(),
            correlation_id: "c".into(),
        })
        .await
        .unwrap();
    assert_eq!(next, 4);
}

#[tokio::test]
async fn sqlite_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let s = store::SqliteStore::open("sqlite://p.db", dir.path()).await.unwrap();
    let pool = s.pool();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(pool).await.unwrap();
    assert_eq!(mode.to_lowercase(), "wal");
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(pool).await.unwrap();
    assert_eq!(sync, 2, "synchronous=FULL");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(pool).await.unwrap();
    assert_eq!(fk, 1);
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout").fetch_one(pool).await.unwrap();
    assert!(busy >= 1000, "{busy}");
    assert_eq!(s.path(), Some(dir.path().join("p.db").as_path()));
    s.close().await;
}

/// Every filter of the audit search, alone and together, the kind prefix (with LIKE wildcards taken
/// literally), and keyset paging over ids.
async fn audit_search_filters_and_keyset_pages(ctx: &Ctx) {
    let s = &ctx.store;
    let rows = [
        (100, "sso.response", "cust-1", "https://auth.example/", "aaaa000000000001"),
        (200, "bind.created", "", "cust-1", "aaaa000000000002"),
        (300, "request.refused", "", "/console", "aaaa000000000003"),
        (400, "bind.removed", "ops", "cust-2", "aaaa000000000004"),
        (500, "bind_x.odd", "", "cust-1", "aaaa000000000005"),
        (600, "sso.response", "cust-2", "https://auth.example/", "aaaa000000000006"),
    ];
    let mut ids = Vec::new();
    for (at, kind, actor, subject, cid) in rows {
        let e = NewAuditEvent {
            at,
            kind: kind.into(),
            actor: actor.into(),
            subject: subject.into(),
            detail_json: "{}".into(),
            correlation_id: cid.into(),
        };
        ids.push(s.append_audit(&e).await.unwrap());
    }
    let find = |q: AuditQuery| async move {
        s.search_audit(&q, None, 100).await.unwrap().into_iter().map(|e| e.at).collect::<Vec<_>>()
    };
    assert_eq!(find(AuditQuery::default()).await, [600, 500, 400, 300, 200, 100]);
    assert_eq!(find(AuditQuery { kind: Some("sso.response".into()), ..Default::default() }).await, [600, 100]);
    // A prefix: `bind.` matches bind.created and bind.removed, not bind_x (the `_` is literal).
    assert_eq!(find(AuditQuery { kind: Some("bind.".into()), ..Default::default() }).await, [400, 200]);
    assert_eq!(find(AuditQuery { who: Some("cust-1".into()), ..Default::default() }).await, [500, 200, 100]);
    assert_eq!(find(AuditQuery { correlation_id: Some("aaaa000000000003".into()), ..Default::default() }).await, [300]);
    assert_eq!(find(AuditQuery { since: Some(200), until: Some(400), ..Default::default() }).await, [300, 200]);
    assert_eq!(
        find(AuditQuery {
            who: Some("cust-2".into()),
            kind: Some("bind.".into()),
            since: Some(300),
            ..Default::default()
        })
        .await,
        [400]
    );
    assert!(find(AuditQuery { who: Some("%".into()), ..Default::default() }).await.is_empty());
    // Keyset: pages of two, each below the last id of the previous page.
    let q = AuditQuery::default();
    let p1 = s.search_audit(&q, None, 2).await.unwrap();
    let p2 = s.search_audit(&q, Some(p1[1].id), 2).await.unwrap();
    let p3 = s.search_audit(&q, Some(p2[1].id), 2).await.unwrap();
    let p4 = s.search_audit(&q, Some(p3[1].id), 2).await.unwrap();
    let seen: Vec<i64> = [p1, p2, p3].iter().flatten().map(|e| e.id).collect();
    assert_eq!(seen, ids.iter().rev().copied().collect::<Vec<_>>());
    assert!(p4.is_empty());
}

/// The runtime `samlgate serve` runs on: its threads report their idle moments to the SQLite writer.
fn idle_reporting_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .on_thread_start(store::runtime_thread_started)
        .on_thread_park(store::runtime_parked)
        .build()
        .unwrap()
}

fn spent_on_disk(db: &std::path::Path, id: &str) -> bool {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT COUNT(*) FROM one_time_ids WHERE id = ?1", [id], |r| r.get::<_, i64>(0)).unwrap() > 0
}

/// The two idle-commit cases in one test: every runtime's idle moment wakes every writer of the
/// process, so another such runtime running in parallel would blur what the busy case checks.
#[test]
fn idle_commits() {
    idle_commits_do_not_wait_forever_on_a_busy_runtime();
    idle_commits_group_concurrent_hops_and_stay_durable();
    idle_commits_group_postgres_hops_into_one_statement();
    idle_commits_keep_a_failing_operation_its_own();
}

/// SQLite: operations committed together run without a savepoint each; one that fails with an error
/// (here a trigger refusing its audit event) takes the batch back, and every operation of it then runs
/// alone: the others succeed, and the failing hop leaves nothing (its ID unspent, its session as before).
fn idle_commits_keep_a_failing_operation_its_own() {
    let rt = idle_reporting_runtime();
    let ctx = rt.block_on(sqlite_ctx());
    let db = ctx.base.join("data/samlgate.db");
    let sess = Session {
        id: "sess-fail".into(),
        user_id: "user-f".into(),
        attributes_json: "{}".into(),
        created_at: now(),
        expires_at: now() + 3600,
    };
    rt.block_on(ctx.store.put_session(&sess)).unwrap();
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON audit_events WHEN NEW.correlation_id = 'boom' \
             BEGIN SELECT RAISE(ABORT, 'boom refused'); END;",
        )
        .unwrap();
    let s = ctx.store.clone();
    let (a, b, c, d) = rt
        .block_on(rt.spawn(async move {
            let mut first = hop("_f1", &sess, "ok-1");
            first.attributes_json = r#"{"n":1}"#.into();
            let mut failing = hop("_f2", &sess, "boom");
            failing.attributes_json = r#"{"n":"failed"}"#.into();
            // Queued together, without a pause: one batch.
            let (a, b, c) = (s.record_hop(first), s.record_hop(failing), s.use_once("authn", "_f3", now() + 300));
            (a.await, b.await, c.await, s.get_session("sess-fail").await)
        }))
        .unwrap();
    assert!(a.unwrap());
    let err = b.unwrap_err().to_string();
    assert!(err.contains("boom refused"), "{err}");
    assert!(c.unwrap());
    assert_eq!(d.unwrap().unwrap().attributes_json, r#"{"n":1}"#);
    assert!(spent_on_disk(&db, "_f1") && spent_on_disk(&db, "_f3"));
    assert!(!spent_on_disk(&db, "_f2"), "the failed hop's ID stays unspent");
    let audit = rt.block_on(ctx.store.list_audit(10, Some("sso.response"))).unwrap();
    assert_eq!(audit.iter().map(|e| e.correlation_id.as_str()).collect::<Vec<_>>(), ["ok-1"]);
}

/// PostgreSQL: hops handed over together from such a runtime are written by one statement (one
/// transaction: their audit rows share one `xmin`); each is still all or nothing — a replay within
/// the batch and an ID spent before are refused and write nothing — and a session's last fresh hop in
/// the batch is the one whose record stays.
fn idle_commits_group_postgres_hops_into_one_statement() {
    let rt = idle_reporting_runtime();
    let Some(ctx) = rt.block_on(pg_ctx()) else { return };
    let session = |id: &str| Session {
        id: id.into(),
        user_id: format!("user-{id}"),
        attributes_json: "{}".into(),
        created_at: now(),
        expires_at: now() + 3600,
    };
    let (a, b) = (session("sess-a"), session("sess-b"));
    let s = ctx.store.clone();
    let answers = rt
        .block_on(rt.spawn(async move {
            s.put_session(&a).await.unwrap();
            s.put_session(&b).await.unwrap();
            assert!(s.use_once("authn", "_g9", now() + 300).await.unwrap());
            // Handed over one after the other without a pause (each call queues its hop at once).
            let mut pending = Vec::new();
            for i in 0..10 {
                let mut h = hop(&format!("_g{i}"), if i % 2 == 0 { &a } else { &b }, &format!("g{i}"));
                h.attributes_json = format!(r#"{{"n":{i}}}"#);
                pending.push(s.record_hop(h));
            }
            for id in ["_g3", "_g0"] {
                let mut h = hop(id, &a, "replay");
                h.attributes_json = r#"{"n":"replayed"}"#.into();
                pending.push(s.record_hop(h));
            }
            let mut answers = Vec::new();
            for p in pending {
                answers.push(p.await.unwrap());
            }
            answers
        }))
        .unwrap();
    let mut expected = vec![true; 10];
    expected[9] = false;
    expected.extend([false, false]);
    assert_eq!(answers, expected);
    rt.block_on(async {
        let st = &ctx.store;
        assert_eq!(st.get_session("sess-a").await.unwrap().unwrap().attributes_json, r#"{"n":8}"#);
        assert_eq!(st.get_session("sess-b").await.unwrap().unwrap().attributes_json, r#"{"n":7}"#);
        let pg = store::PgStore::open(&ctx.url).await.unwrap();
        let (events, transactions): (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT xmin::text) FROM audit_events WHERE kind = 'sso.response'")
                .fetch_one(pg.pool())
                .await
                .unwrap();
        assert_eq!((events, transactions), (9, 1), "9 fresh hops in one statement");
        pg.close().await;
    });
}

/// Writes from such a runtime are committed when it goes idle: many concurrent hops share commits,
/// every answer comes only after its commit, and a replay inside the same batch is still refused.
fn idle_commits_group_concurrent_hops_and_stay_durable() {
    let rt = idle_reporting_runtime();
    let (ctx, sess) = rt.block_on(async {
        let ctx = sqlite_ctx().await;
        let sess = Session {
            id: "sess-idle".into(),
            user_id: "user-1".into(),
            attributes_json: "{}".into(),
            created_at: now(),
            expires_at: now() + 3600,
        };
        ctx.store.put_session(&sess).await.unwrap();
        (ctx, sess)
    });
    let mut tasks = Vec::new();
    for i in 0..40 {
        let s = ctx.store.clone();
        // Requests 0..20 twice each: exactly one of each pair may win.
        let h = hop(&format!("_idle{}", i % 20), &sess, &format!("c{i}"));
        tasks.push(rt.spawn(async move { s.record_hop(h).await.unwrap() }));
    }
    let won = rt.block_on(async {
        let mut won = 0;
        for t in tasks {
            won += t.await.unwrap() as usize;
        }
        won
    });
    assert_eq!(won, 20);
    let db = ctx.base.join("data/samlgate.db");
    assert!((0..20).all(|i| spent_on_disk(&db, &format!("_idle{i}"))));
}

/// A runtime that never goes idle (a saturated gateway) still gets its writes committed, within the
/// writer's longest gather; before that nothing is answered.
fn idle_commits_do_not_wait_forever_on_a_busy_runtime() {
    let rt = idle_reporting_runtime();
    let ctx = rt.block_on(sqlite_ctx());
    let db = ctx.base.join("data/samlgate.db");
    let s = ctx.store.clone();
    let committed_while_busy = rt.block_on(rt.spawn(async move {
        let started = std::time::Instant::now();
        let spend = s.use_once("authn", "_busy", now() + 300);
        // The worker stays busy (it never parks), far longer than the writer's longest gather. After
        // 2 ms a writer that did not wait would have committed; one that waits has not, unless the
        // check itself came too late to tell (a loaded machine): then only the late check counts.
        std::thread::sleep(std::time::Duration::from_millis(2));
        let early = spent_on_disk(&db, "_busy");
        let early_checked = started.elapsed() < std::time::Duration::from_millis(6);
        std::thread::sleep(std::time::Duration::from_millis(200));
        let late = spent_on_disk(&db, "_busy");
        assert!(spend.await.unwrap());
        (early && early_checked, late)
    }));
    let (early, late) = committed_while_busy.unwrap();
    assert!(!early, "committed before the runtime went idle or the gather ended");
    assert!(late, "not committed although the longest gather had passed");
}

/// The audit search against a plain reference (filter, then newest first by time and id): every
/// filter alone and together — kinds, prefixes (LIKE wildcards literal), who as actor or subject, the
/// correlation id, time ranges — over events whose times go back and forth against their ids and tie
/// often; and keyset pages of every size give the same events, each once.
async fn audit_search_matches_a_reference(ctx: &Ctx) {
    let s = &ctx.store;
    let kinds =
        ["sso.response", "sso.status", "bind.created", "bind.removed", "bind_x.odd", "admin.login", "console.jump"];
    let actors = ["cust-1", "cust-2", "ops", ""];
    let subjects = ["https://sp.example/", "cust-1", "cust-3", "/console", "ops"];
    let mut stored = Vec::new();
    for i in 0..140usize {
        let e = NewAuditEvent {
            at: 1000 + ((i * 37) % 50) as i64,
            kind: kinds[(i * 5) % kinds.len()].into(),
            actor: actors[(i * 3) % actors.len()].into(),
            subject: subjects[(i * 11) % subjects.len()].into(),
            detail_json: format!(r#"{{"i":{i}}}"#),
            correlation_id: format!("{:016x}", i % 9),
        };
        let id = s.append_audit(&e).await.unwrap();
        stored.push((id, e));
    }
    let reference = |q: &AuditQuery| {
        let mut v: Vec<(i64, i64)> = stored
            .iter()
            .filter(|(_, e)| match q.kind.as_deref() {
                Some(k) if k.ends_with('.') => e.kind.starts_with(k),
                Some(k) => e.kind == k,
                None => true,
            })
            .filter(|(_, e)| q.who.as_deref().is_none_or(|w| e.actor == w || e.subject == w))
            .filter(|(_, e)| q.correlation_id.as_deref().is_none_or(|c| e.correlation_id == c))
            .filter(|(_, e)| q.since.is_none_or(|t| e.at >= t) && q.until.is_none_or(|t| e.at < t))
            .map(|(id, e)| (e.at, *id))
            .collect();
        v.sort_by(|a, b| b.cmp(a));
        v
    };
    let k = |v: &str| Some(v.to_owned());
    let queries = [
        AuditQuery::default(),
        AuditQuery { kind: k("sso.response"), ..Default::default() },
        AuditQuery { kind: k("bind."), ..Default::default() },
        AuditQuery { kind: k("sso."), ..Default::default() },
        AuditQuery { kind: k("nothing."), ..Default::default() },
        AuditQuery { kind: k("nothing"), ..Default::default() },
        AuditQuery { who: k("cust-1"), ..Default::default() },
        AuditQuery { who: k("ops"), ..Default::default() },
        AuditQuery { who: k("%"), ..Default::default() },
        AuditQuery { correlation_id: k("0000000000000004"), ..Default::default() },
        AuditQuery { since: Some(1010), until: Some(1030), ..Default::default() },
        AuditQuery { until: Some(1005), ..Default::default() },
        AuditQuery { since: Some(1045), ..Default::default() },
        AuditQuery { who: k("cust-1"), kind: k("bind."), ..Default::default() },
        AuditQuery { who: k("cust-2"), kind: k("sso.response"), since: Some(1010), ..Default::default() },
        AuditQuery { kind: k("bind."), since: Some(1020), until: Some(1040), ..Default::default() },
        AuditQuery { correlation_id: k("0000000000000002"), who: k("ops"), until: Some(1040), ..Default::default() },
        AuditQuery { correlation_id: k("0000000000000003"), kind: k("sso."), since: Some(1001), ..Default::default() },
    ];
    for q in &queries {
        let want = reference(q);
        let all: Vec<(i64, i64)> = s.search_audit(q, None, 1000).await.unwrap().iter().map(|e| (e.at, e.id)).collect();
        assert_eq!(all, want, "{q:?}");
        for size in [1, 4, 7] {
            let (mut seen, mut before) = (Vec::new(), None);
            loop {
                let page = s.search_audit(q, before, size).await.unwrap();
                seen.extend(page.iter().map(|e| (e.at, e.id)));
                if (page.len() as i64) < size {
                    break;
                }
                before = page.last().map(|e| e.id);
            }
            assert_eq!(seen, want, "pages of {size}: {q:?}");
        }
    }
    // The events come back whole.
    let q = AuditQuery { correlation_id: k("0000000000000000"), ..Default::default() };
    let got = s.search_audit(&q, None, 1).await.unwrap().remove(0);
    let (id, e) = stored.iter().find(|(id, _)| *id == reference(&q)[0].1).unwrap();
    assert_eq!(
        (got.id, got.at, &got.kind, &got.actor, &got.subject, &got.detail_json, &got.correlation_id),
        (*id, e.at, &e.kind, &e.actor, &e.subject, &e.detail_json, &e.correlation_id)
    );
}

/// Every statement the admin pages, the API and housekeeping run on the tables that grow with use
/// (`store::hot_queries`) reads index ranges: SQLite's plan scans none of those tables whole (and
/// sorts no bindings list or single-kind audit page), PostgreSQL's — with sequential scans priced out —
/// has no sequential scan of them (so an index can serve each; with the statistics of a big table the
/// planner picks it).
async fn hot_queries_read_indexes(ctx: &Ctx) {
    for kind in ["bind.created", "sso.response"] {
        let mut e = audit_at(now(), 1);
        e.kind = kind.into();
        ctx.store.append_audit(&e).await.unwrap();
    }
    let kinds = vec!["bind.created".to_owned(), "sso.response".to_owned()];
    let tables = ["audit_events", "bindings", "one_time_ids", "sessions"];
    let queries = store::hot_queries(&kinds);
    assert!(queries.len() > 20, "{}", queries.len());
    macro_rules! explain {
        ($conn:expr, $row:ty, $prefix:literal, $sql:expr) => {{
            let mut q = sqlx::query_as::<_, $row>(sqlx::AssertSqlSafe(format!(concat!($prefix, " {}"), $sql.text)));
            for a in &$sql.args {
                q = match a {
                    store::Arg::Text(s) => q.bind(s.clone()),
                    store::Arg::Int(n) => q.bind(*n),
                };
            }
            q.fetch_all($conn).await.unwrap()
        }};
    }
    if ctx.pg_schema.is_none() {
        let s = store::SqliteStore::open(&ctx.url, &ctx.base).await.unwrap();
        for (name, sql) in &queries {
            let plan: Vec<(i64, i64, i64, String)> =
                explain!(s.pool(), (i64, i64, i64, String), "EXPLAIN QUERY PLAN", sql);
            let lines: Vec<&str> = plan.iter().map(|r| r.3.as_str()).collect();
            for l in &lines {
                assert!(
                    !tables.iter().any(|t| *l == format!("SCAN {t}")),
                    "{name}: a full scan in {lines:?}\n{}",
                    sql.text
                );
                let sorted_whole =
                    name.starts_with("list_bindings") || name.starts_with("audit: kind,") || *name == "audit: kind";
                assert!(!(sorted_whole && l.contains("TEMP B-TREE")), "{name}: sorts in {lines:?}");
            }
        }
        s.close().await;
    } else {
        let s = store::PgStore::open(&ctx.url).await.unwrap();
        let mut conn = s.pool().acquire().await.unwrap();
        sqlx::query("SET enable_seqscan = off").execute(&mut *conn).await.unwrap();
        for (name, sql) in &queries {
            let plan: Vec<(String,)> = explain!(&mut *conn, (String,), "EXPLAIN", sql);
            let text: Vec<&str> = plan.iter().map(|r| r.0.as_str()).collect();
            for t in tables {
                assert!(
                    !text.iter().any(|l| l.contains(&format!("Seq Scan on {t}"))),
                    "{name}: {text:#?}\n{}",
                    sql.text
                );
            }
        }
        drop(conn);
        s.close().await;
    }
}

/// The SQLite writer runs no checkpoint inside a commit; the checkpointer thread copies committed pages
/// into the database file beside it: within a second or two the file alone (without its WAL) holds them.
#[tokio::test]
async fn sqlite_checkpoints_beside_the_writer() {
    let ctx = sqlite_ctx().await;
    let exp = now() + 300;
    for i in 0..50 {
        assert!(ctx.store.use_once("authn", &format!("_ckpt{i}"), exp).await.unwrap());
    }
    let db = ctx.base.join("data/samlgate.db");
    let copy = ctx.base.join("copy.db");
    let mut found = false;
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        std::fs::copy(&db, &copy).unwrap();
        let _ = std::fs::remove_file(ctx.base.join("copy.db-wal"));
        // (Until the first checkpoint the file may not even hold the schema.)
        let conn = rusqlite::Connection::open(&copy).unwrap();
        let n = conn.query_row("SELECT COUNT(*) FROM one_time_ids WHERE id = '_ckpt49'", [], |r| r.get::<_, i64>(0));
        if n.is_ok_and(|n| n == 1) {
            found = true;
            break;
        }
    }
    assert!(found, "the database file never received the committed pages");
}
