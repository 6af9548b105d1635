//! Faults: the gateway is killed (SIGKILL) in the middle of a stream of SSO hops and binding
//! notifications. After a restart, every binding and audit row it acknowledged is there, and no
//! AuthnRequest it answered can be replayed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;
use base64::Engine as _;
use openssl::hash::MessageDigest;
use samlgate::saml::dsig::{SignatureAlgorithm, SigningKey};
use samlgate::saml::redirect::{MessageParam, encode_redirect_query, url_encode};

const SP: &str = "https://sp.faults.test/";
const ACS: &str = "https://sp.faults.test/acs";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

fn now_text() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap()
}

#[derive(Clone)]
enum Job {
    Hop { url: String },
    Bind { body: String, x_user_id: String },
}

#[test]
fn sigkill_loses_nothing_acknowledged() {
    let tmp = tempfile::tempdir().unwrap();
    let md_path = tmp.path().join("sp.xml");
    let (pkey, cert) = write_test_sp("sp.faults.test", &md_path);
    let dir = tmp.path().join("gw");
    std::fs::create_dir(&dir).unwrap();
    let env = [
        ("SAMLGATE_HUAWEI_SP_METADATA", md_path.to_str().unwrap()),
        ("SAMLGATE_HUAWEI_SP_ENTITY_ID", "https://sp.faults.test/"),
        ("SAMLGATE_SERVER_RATE_LIMIT_PER_MINUTE", "0"),
    ];
    let g = Gateway::start(&dir, &env);
    let port = g.port;
    let key = SigningKey::new(pkey.clone(), cert.to_der().unwrap(), SignatureAlgorithm::RsaSha256).unwrap();

    // Prepare a long stream of signed requests: hops and bindings, interleaved.
    let mut jobs = Vec::new();
    for i in 0..400 {
        if i % 2 == 0 {
            let xml = format!(
                "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
                 xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_fault{i}x{}\" Version=\"2.0\" \
                 IssueInstant=\"{}\" Destination=\"{}\" AssertionConsumerServiceURL=\"{ACS}\">\
                 <saml:Issuer>{SP}</saml:Issuer></samlp:AuthnRequest>",
                uuid::Uuid::new_v4().simple(),
                now_text(),
                g.url("/saml/sso")
            );
            let q = encode_redirect_query(MessageParam::SamlRequest, &xml, None, Some(&key)).unwrap();
            jobs.push(Job::Hop { url: g.url(&format!("/saml/sso?{q}")) });
        } else {
            let x_user_id = format!("cust-fault-{i}");
            let json = serde_json::json!({
                "xUserId": x_user_id, "domainId": format!("dom{i}"), "domainName": format!("acct{i}"),
                "userName": "u", "userId": "id"
            });
            let b64 = base64::engine::general_purpose::STANDARD.encode(json.to_string());
            let octets = format!("bindRequest={}&SigAlg={}", url_encode(&b64), url_encode(RSA_SHA256));
            let mut s = openssl::sign::Signer::new(MessageDigest::sha256(), &pkey).unwrap();
            s.update(octets.as_bytes()).unwrap();
            let sig = base64::engine::general_purpose::STANDARD.encode(s.sign_to_vec().unwrap());
            jobs.push(Job::Bind { body: format!("{octets}&Signature={}", url_encode(&sig)), x_user_id });
        }
    }

    let c = client();
    let o = run(&dir, &["token", "--user", "cust-stream", "--raw"]);
    let token = stdout(&o).trim().to_owned();
    assert_eq!(c.get(g.url(&format!("/console?token={token}"))).send().unwrap().status(), 302);

    // Stream them until the gateway dies; remember what it acknowledged.
    let acked: Arc<Mutex<Vec<Job>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let (acked, stop, c, bind_url) = (acked.clone(), stop.clone(), c.clone(), g.url("/huawei/bind"));
        std::thread::spawn(move || {
            for job in jobs {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let ok = match &job {
                    Job::Hop { url } => {
                        c.get(url).send().ok().filter(|r| r.status() == 200).and_then(|r| r.text().ok())
                    }
                    Job::Bind { body, .. } => c
                        .post(&bind_url)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(body.clone())
                        .send()
                        .ok()
                        .filter(|r| r.status() == 200)
                        .and_then(|r| r.text().ok()),
                };
                match ok {
                    Some(_) => acked.lock().unwrap().push(job),
                    None => break,
                }
            }
        })
    };
    // Let the stream run, then kill mid-flight.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while acked.lock().unwrap().len() < 40 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut g = g;
    g.child.kill().unwrap(); // SIGKILL
    let _ = g.child.wait();
    stop.store(true, Ordering::SeqCst);
    worker.join().unwrap();
    drop(g);
    let acked = acked.lock().unwrap().clone();
    let hops: Vec<&String> =
        acked.iter().filter_map(|j| if let Job::Hop { url } = j { Some(url) } else { None }).collect();
    let binds: Vec<&String> =
        acked.iter().filter_map(|j| if let Job::Bind { x_user_id, .. } = j { Some(x_user_id) } else { None }).collect();
    assert!(hops.len() >= 10 && binds.len() >= 10, "the stream ran: {} hops, {} bindings", hops.len(), binds.len());

    // Restart on the same files.
    let g = Gateway::start_on(&dir, port, &env);
    let listed = stdout(&run_env(&dir, &["bindings", "list"], &env));
    for x in &binds {
        assert!(listed.contains(x.as_str()), "acknowledged binding {x} lost after SIGKILL");
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (created, responses) = rt.block_on(async {
        let store = samlgate::store::open("sqlite://data/samlgate.db", &dir).await.unwrap();
        (
            store.list_audit(10_000, Some("bind.created")).await.unwrap().len(),
            store.list_audit(10_000, Some("sso.response")).await.unwrap().len(),
        )
    });
    assert!(created >= binds.len(), "audit rows for bindings: {created} < {}", binds.len());
    assert!(responses >= hops.len(), "audit rows for responses: {responses} < {}", hops.len());
    // No answered request can be replayed.
    let c2 = client();
    let o = run(&dir, &["token", "--user", "cust-stream", "--raw"]);
    let token = stdout(&o).trim().to_owned();
    assert_eq!(c2.get(g.url(&format!("/console?token={token}"))).send().unwrap().status(), 302);
    for url in &hops {
        let r = c2.get(url.as_str()).header("accept", "application/json").send().unwrap();
        assert_eq!(r.status(), 400, "an answered AuthnRequest was accepted again after SIGKILL");
        assert_eq!(r.json::<serde_json::Value>().unwrap()["error"], "replay");
    }
}
