//! The audit log as support uses it: every refusal is an audit event (reason, route, client address,
//! correlation id); the admin page finds it by the correlation id a customer quotes, by customer, kind
//! and time range; the same search downloads as CSV and JSON Lines, and `samlgate audit export` writes
//! it from the shell.

use crate::common::*;

#[test]
fn refusals_are_audited_and_found_by_correlation_id_customer_kind_and_time() {
    let tmp = tempfile::tempdir().unwrap();
    let g = start_with_admin(tmp.path());
    let c = client();

    // A customer's broken link: refused, with the correlation id on the page and in the header.
    let r = c.get(g.url("/console?token=not.a.token")).send().unwrap();
    assert_eq!(r.status(), 401);
    let cid = r.headers()["x-correlation-id"].to_str().unwrap().to_owned();
    assert!(r.text().unwrap().contains(&cid));
    // A customer who did sign in (an event by xUserId).
    let o = run(tmp.path(), &["token", "--user", "cust-77", "--raw"]);
    let token = stdout(&o).trim().to_owned();
    assert_eq!(c.get(g.url(&format!("/console?token={token}"))).send().unwrap().status(), 302);
    // The same token again: another refusal.
    let again = c.get(g.url(&format!("/console?token={token}"))).send().unwrap();
    let cid2 = again.headers()["x-correlation-id"].to_str().unwrap().to_owned();

    let admin = client();
    admin_sign_in(&g, &admin);
    let page = |q: &str| {
        let r = admin.get(g.url(&format!("/admin/audit?{q}"))).send().unwrap();
        assert_eq!(r.status(), 200, "{q}");
        r.text().unwrap()
    };
    // By the correlation id the customer quotes: exactly that refusal, with its reason and route.
    let found = page(&format!("correlation_id={cid}"));
    assert!(found.contains("request.refused") && found.contains("token_malformed"), "{found}");
    assert!(found.contains("&#34;route&#34;:&#34;/console&#34;"), "{found}");
    assert!(found.contains("&#34;client&#34;:&#34;127.0.0.1&#34;"), "{found}");
    assert!(!found.contains(&cid2), "only the one request: {found}");
    assert!(!found.contains("not.a.token"), "the token is not recorded");
    // Upper-case and surrounding spaces are what people paste.
    assert!(page(&format!("correlation_id=+{}+", cid.to_uppercase())).contains("token_malformed"));
    // By customer: the jump (actor cust-77); by kind prefix; by time range.
    let by_user = page("who=cust-77");
    assert!(by_user.contains("console.jump") && !by_user.contains("request.refused"), "{by_user}");
    let refusals = page("kind=request.");
    assert!(refusals.contains("token_malformed") && refusals.contains("token_replayed"), "{refusals}");
    assert!(page("kind=request.refused&since=2999-01-01").contains("id=\"no-events\""));
    assert!(page("kind=request.refused&since=1h").contains("token_replayed"));
    // A bad search is refused with the field named.
    let r = admin.get(g.url("/admin/audit?since=yesterday")).header("accept", "application/json").send().unwrap();
    assert_eq!(r.status(), 400);
    let j: serde_json::Value = r.json().unwrap();
    assert_eq!(j["error"], "audit_search");
    assert!(j["message"].as_str().unwrap().starts_with("since:"), "{j}");

    // The same search as CSV and JSON Lines.
    let r = admin.get(g.url("/admin/audit.csv?kind=request.refused")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("samlgate-audit.csv"));
    let csv = r.text().unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "id,at,at_unix,kind,actor,subject,correlation_id,detail");
    // Refusals of this test: the broken link, the replay and the admin's bad search.
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[1].contains("audit_search"), "newest first: {csv}");
    assert!(lines.iter().any(|l| l.contains(&cid) && l.contains("token_malformed")), "{csv}");
    let r = admin.get(g.url(&format!("/admin/audit.jsonl?correlation_id={cid2}"))).send().unwrap();
    assert_eq!(r.headers()["content-type"], "application/x-ndjson; charset=utf-8");
    let body = r.text().unwrap();
    let events: Vec<serde_json::Value> = body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), 1, "{body}");
    assert_eq!(events[0]["detail"]["reason"], "token_replayed");
    assert_eq!(events[0]["correlation_id"], cid2.as_str());
    // The export needs an admin session.
    let r = client().get(g.url("/admin/audit.csv")).send().unwrap();
    assert_eq!(r.status(), 303);

    // From the shell: the same search, the same columns.
    let o = run(tmp.path(), &["audit", "export", "--kind", "request.", "--since", "1h", "--format", "jsonl"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let cli: Vec<serde_json::Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(cli.len(), 3, "{}", stdout(&o));
    assert_eq!(cli[1]["correlation_id"], cid2.as_str(), "newest first");
    let out = tmp.path().join("audit.csv");
    let o = run(tmp.path(), &["audit", "export", "--who", "cust-77", "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.starts_with("id,at,") && csv.contains("console.jump"), "{csv}");
    let o = run(tmp.path(), &["audit", "export", "--since", "last tuesday"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--since"), "{}", stderr(&o));
}
