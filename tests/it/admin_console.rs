//! The partner admin's console beyond the checklist: bindings search and removal with confirmation,
//! over HTTP as the admin's browser sends it (session cookie, CSRF token, Origin), and the CLI.

use crate::common::*;

#[test]
fn bindings_are_found_by_x_user_id_or_domain_id_and_removed_after_confirmation() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let g = start_with_admin(dir);
    for args in [
        &["bindings", "add", "cust-a", "--domain-id", "0a1b2c", "--domain-name", "acme-a"][..],
        &["bindings", "add", "cust-b", "--domain-id", "9f9f9f"][..],
        &["bindings", "add", "cust-c"][..],
    ] {
        let o = run(dir, args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    let c = client();
    let csrf = admin_sign_in(&g, &c);
    let page = |q: &str| c.get(g.url(&format!("/admin/bindings?{q}"))).send().unwrap().text().unwrap();
    let by_user = page("q=cust-a");
    assert!(by_user.contains("acme-a") && !by_user.contains("cust-b"), "{by_user}");
    let by_domain = page("q=9f9f9f");
    assert!(by_domain.contains("cust-b") && !by_domain.contains("cust-a"), "{by_domain}");
    assert!(page("q=nobody").contains("id=\"no-bindings\""));
    // An empty domainId never matches a search for "" (the plain list shows everything instead).
    assert!(page("q=").contains("cust-c"));

    // Remove: a confirmation page first, then the POST with the session's CSRF token.
    let confirm = c.get(g.url("/admin/bindings/remove?x_user_id=cust-b")).send().unwrap();
    assert_eq!(confirm.status(), 200);
    let confirm = confirm.text().unwrap();
    assert!(confirm.contains("id=\"confirm-remove\"") && confirm.contains("9f9f9f"), "{confirm}");
    let r = c.get(g.url("/admin/bindings/remove?x_user_id=nobody")).send().unwrap();
    assert_eq!(r.status(), 404);
    // Without the token, or with another one: refused, nothing removed.
    for token in ["", "0000000000000000000000000000000000000000000000000000000000000000"] {
        let r =
            c.post(g.url("/admin/bindings/remove")).form(&[("csrf", token), ("x_user_id", "cust-b")]).send().unwrap();
        assert_eq!(r.status(), 403, "csrf {token:?}");
    }
    // From another origin, even with the token: refused.
    let r = c
        .post(g.url("/admin/bindings/remove"))
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str()), ("x_user_id", "cust-b")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    // Without a session: refused.
    let r = client()
        .post(g.url("/admin/bindings/remove"))
        .form(&[("csrf", csrf.as_str()), ("x_user_id", "cust-b")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(page("q=cust-b").contains("9f9f9f"), "still there");
    let r = c
        .post(g.url("/admin/bindings/remove"))
        .form(&[("csrf", csrf.as_str()), ("x_user_id", "cust-b")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin/bindings?removed=cust-b");
    let after = page("removed=cust-b");
    assert!(after.contains("id=\"removed\"") && !after.contains("9f9f9f"), "{after}");
    // Audited with the admin's name and the request's client address.
    let audit = c.get(g.url("/admin/audit?kind=bind.removed")).send().unwrap().text().unwrap();
    assert!(audit.contains("cust-b") && audit.contains("\">ops</a>") && audit.contains("127.0.0.1"), "{audit}");
    // Its next jump: first login again.
    let o = run(dir, &["token", "--user", "cust-b", "--raw"]);
    let r = client().get(g.url(&format!("/console?token={}", stdout(&o).trim()))).send().unwrap();
    assert!(r.headers()["location"].to_str().unwrap().contains("isFirstLogin=true"));

    // The CLI finds the same way.
    let o = run(dir, &["bindings", "find", "0a1b2c"]);
    assert!(o.status.success() && stdout(&o).starts_with("cust-a\t0a1b2c\tacme-a"), "{}", stdout(&o));
    let o = run(dir, &["bindings", "find", "9f9f9f"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}

/// `/admin/users`: an admin adds a user who can then sign in (no restart), sets a new password,
/// removes it after confirmation; CSRF and mismatched passwords refused; the last user stays.
#[test]
fn admin_users_page_adds_changes_and_removes_users() {
    let tmp = tempfile::tempdir().unwrap();
    let g = start_with_admin(tmp.path());
    let c = client();
    let csrf = admin_sign_in(&g, &c);
    let page = c.get(g.url("/admin/users")).send().unwrap().text().unwrap();
    assert!(page.contains("id=\"users\"") && page.contains(">ops"), "{page}");
    let save = |name: &str, pw: &str, pw2: &str, token: &str| {
        c.post(g.url("/admin/users"))
            .form(&[("csrf", token), ("name", name), ("password", pw), ("password2", pw2)])
            .send()
            .unwrap()
    };
    let r = save("auditor", "a long enough password", "a long enough password", "");
    assert_eq!(r.status(), 403, "no CSRF token");
    let r = save("auditor", "a long enough password", "another password!!", &csrf);
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("id=\"error\""));
    let r = save("auditor", "short", "short", &csrf);
    assert_eq!(r.status(), 400);
    let r = save("auditor", "a long enough password", "a long enough password", &csrf);
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin/users?added=auditor");

    // The new user signs in at once.
    let other = client();
    let login = other.get(g.url("/admin/login")).send().unwrap().text().unwrap();
    let r = other
        .post(g.url("/admin/login"))
        .form(&[("csrf", csrf_field(&login).as_str()), ("name", "auditor"), ("password", "a long enough password")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(other.get(g.url("/admin")).send().unwrap().status(), 200);

    // New password; then removal (confirmation first) ends the user's session.
    let r = save("auditor", "the second long password", "the second long password", &csrf);
    assert_eq!(r.headers()["location"], "/admin/users?changed=auditor");
    // A new password ends the user's open sessions; it signs in again with the new one.
    assert_eq!(other.get(g.url("/admin")).send().unwrap().status(), 303, "the old session ended");
    let login = other.get(g.url("/admin/login")).send().unwrap().text().unwrap();
    let r = other
        .post(g.url("/admin/login"))
        .form(&[("csrf", csrf_field(&login).as_str()), ("name", "auditor"), ("password", "the second long password")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(other.get(g.url("/admin")).send().unwrap().status(), 200);
    let confirm = c.get(g.url("/admin/users/remove?name=auditor")).send().unwrap().text().unwrap();
    assert!(confirm.contains("id=\"confirm-remove\""), "{confirm}");
    let r = c.post(g.url("/admin/users/remove")).form(&[("csrf", csrf.as_str()), ("name", "auditor")]).send().unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(other.get(g.url("/admin")).send().unwrap().status(), 303, "the removed user's session ended");
    // The last user (ops) is kept.
    let r = c.post(g.url("/admin/users/remove")).form(&[("csrf", csrf.as_str()), ("name", "ops")]).send().unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("last admin user"));
    // Every page of the console needs a session.
    for path in [
        "/admin/users",
        "/admin/users/remove?name=ops",
        "/admin/bindings/remove?x_user_id=x",
        "/admin/audit.jsonl",
        "/admin/sps",
        "/admin/sps/delete?entity_id=x",
        "/admin/decode",
        "/admin/preview?x_user_id=x",
        "/admin/keys",
    ] {
        assert_eq!(client().get(g.url(path)).send().unwrap().status(), 303, "{path}");
    }
}

/// Every route of the admin pages (read from `src/web/admin/mod.rs`, so a new one is covered at once):
/// a GET without a session goes to the sign-in page, a POST without a session is refused 401, a POST
/// with a session but without (or with a wrong) CSRF token 403, and from another origin 403 — and
/// nothing is changed by any of them (no audit event is written).
#[test]
fn every_admin_route_needs_a_session_and_every_post_a_csrf_token() {
    let src = std::fs::read_to_string(repo().join("src/web/admin/mod.rs")).unwrap();
    let mut routes: Vec<(String, bool, bool)> = Vec::new();
    for line in src.lines().map(str::trim).filter(|l| l.starts_with(".route(\"/admin")) {
        let path = line.split('"').nth(1).unwrap().to_owned();
        let has_get = line.contains("get(");
        let has_post = line.contains("post(") || line.contains(".post(");
        routes.push((path, has_get, has_post));
    }
    assert!(routes.len() >= 20, "{routes:?}");
    let tmp = tempfile::tempdir().unwrap();
    let g = start_with_admin(tmp.path());
    let signed_in = client();
    let csrf = admin_sign_in(&g, &signed_in);
    let events_before = signed_in.get(g.url("/admin/audit.jsonl")).send().unwrap().text().unwrap();
    for (path, has_get, has_post) in &routes {
        if path == "/admin/login" {
            continue; // the sign-in itself
        }
        if *has_get {
            let r = client().get(g.url(path)).send().unwrap();
            assert_eq!(r.status(), 303, "GET {path} without a session");
            assert!(r.headers()["location"].to_str().unwrap().starts_with("/admin/login"), "GET {path}");
        }
        if *has_post {
            // The upload takes multipart, every other POST a urlencoded form.
            let post = |c: &reqwest::blocking::Client, token: Option<&str>, origin: Option<&str>| {
                let mut fields = vec![("name", "x"), ("x_user_id", "x"), ("entity_id", "x")];
                if let Some(t) = token {
                    fields.push(("csrf", t));
                }
                let mut req = c.post(g.url(path));
                if let Some(o) = origin {
                    req = req.header("origin", o);
                }
                if path == "/admin/sps/upload" {
                    let mut form = reqwest::blocking::multipart::Form::new();
                    for (k, v) in fields {
                        form = form.text(k, v.to_owned());
                    }
                    req.multipart(form).send().unwrap().status()
                } else {
                    req.form(&fields).send().unwrap().status()
                }
            };
            assert_eq!(post(&client(), Some(&csrf), None), 401, "POST {path} without a session");
            assert_eq!(post(&signed_in, None, None), 403, "POST {path} without the CSRF token");
            assert_eq!(post(&signed_in, Some(&"0".repeat(64)), None), 403, "POST {path} with a wrong CSRF token");
            assert_eq!(
                post(&signed_in, Some(&csrf), Some("https://evil.example")),
                403,
                "POST {path} from another origin"
            );
        }
    }
    let events_after = signed_in.get(g.url("/admin/audit.jsonl")).send().unwrap().text().unwrap();
    let changes: Vec<&str> =
        events_after.lines().filter(|l| !events_before.contains(*l) && !l.contains("request.refused")).collect();
    assert!(changes.is_empty(), "nothing changed: {changes:?}");
}

/// `/admin/sps`: Huawei's real SP Metadata.xml uploaded (its signature verified with the pinned
/// certificate), a tampered copy refused with the check named (the stored one stays), another SP
/// uploaded and deleted after confirmation; Huawei's SP cannot be deleted; CSRF required.
#[test]
fn service_providers_are_uploaded_checked_and_deleted() {
    use reqwest::blocking::multipart::{Form, Part};
    let tmp = tempfile::tempdir().unwrap();
    let g = start_with_admin(tmp.path());
    let c = client();
    let csrf = admin_sign_in(&g, &c);
    let huawei = std::fs::read(repo().join("tests/data/huawei/huawei-sp-metadata.xml")).unwrap();
    let upload = |token: &str, bytes: Vec<u8>, name: &str| {
        let form = Form::new()
            .text("csrf", token.to_owned())
            .part("file", Part::bytes(bytes).file_name(name.to_owned()).mime_str("text/xml").unwrap());
        c.post(g.url("/admin/sps/upload")).multipart(form).send().unwrap()
    };
    assert_eq!(upload("", huawei.clone(), "SP Metadata.xml").status(), 403, "no CSRF token");
    // From another origin, even with the session's token: refused before the file is read.
    let form = Form::new()
        .text("csrf", csrf.clone())
        .part("file", Part::bytes(huawei.clone()).file_name("x.xml").mime_str("text/xml").unwrap());
    let r = c.post(g.url("/admin/sps/upload")).header("origin", "https://evil.example").multipart(form).send().unwrap();
    assert_eq!(r.status(), 403);
    // Without a session: refused.
    let form = Form::new().text("csrf", csrf.clone());
    assert_eq!(client().post(g.url("/admin/sps/upload")).multipart(form).send().unwrap().status(), 401);
    let r = upload(&csrf, huawei.clone(), "SP Metadata.xml");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin/sps?imported=https%3A%2F%2Fauth.huaweicloud.com%2F");
    let page = c.get(g.url("/admin/sps")).send().unwrap().text().unwrap();
    assert!(page.contains("upload:SP Metadata.xml") && page.contains("70:14:9F:C1"), "{page}");

    // One byte changed inside the signed document: refused, the check named, nothing replaced.
    let text = String::from_utf8(huawei.clone()).unwrap();
    let tampered = text.replacen("SAMLAssertionConsumer", "SAMLAssertionConsumeR", 1);
    assert_ne!(tampered, text);
    let r = upload(&csrf, tampered.into_bytes(), "tampered.xml");
    assert_eq!(r.status(), 400);
    let page = r.text().unwrap();
    assert!(page.contains("id=\"error\"") && page.contains("digest_mismatch"), "{page}");
    assert!(!page.contains("SAMLAssertionConsumeR"), "the stored copy is still in use");

    // Another SP: uploaded, then deleted after confirmation.
    let other = std::fs::read(repo().join("tests/data/sp-metadata/ok-keydescriptor-without-use.xml")).unwrap();
    assert_eq!(upload(&csrf, other, "other.xml").status(), 303);
    let confirm = c.get(g.url("/admin/sps/delete?entity_id=https://sp.example.com/")).send().unwrap().text().unwrap();
    assert!(confirm.contains("id=\"confirm-delete\""), "{confirm}");
    let del = |entity: &str| {
        c.post(g.url("/admin/sps/delete")).form(&[("csrf", csrf.as_str()), ("entity_id", entity)]).send().unwrap()
    };
    let r = del("https://sp.example.com/");
    assert_eq!(r.status(), 303);
    assert!(!c.get(g.url("/admin/sps")).send().unwrap().text().unwrap().contains("https://sp.example.com/"));
    let r = del("https://auth.huaweicloud.com/");
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("Huawei"), "Huawei's SP stays");
    assert_eq!(del("https://nobody.example/").status(), 404);
    // A URL import needs a URL.
    let r = c.post(g.url("/admin/sps/import")).form(&[("csrf", csrf.as_str()), ("url", "ftp://x")]).send().unwrap();
    assert_eq!(r.status(), 400);
    // Audited with the admin's name.
    let o = run(tmp.path(), &["audit", "export", "--kind", "sp.", "--format", "jsonl"]);
    let kinds: Vec<String> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["actor"] == "ops")
        .inspect(|e| assert_eq!(e["correlation_id"].as_str().map(str::len), Some(16), "the page's request: {e}"))
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["sp.deleted", "sp.import", "sp.refused", "sp.import"], "{}", stdout(&o));
}

/// `/admin/decode` with a session and CSRF: the decoded message and its checks; not SAML → 400 with
/// the reason; without the token → 403.
#[test]
fn the_decoder_page_shows_a_message_and_its_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let g = start_with_admin(tmp.path());
    let c = client();
    let csrf = admin_sign_in(&g, &c);
    assert!(c.get(g.url("/admin/decode")).send().unwrap().text().unwrap().contains("id=\"decode-form\""));
    let xml = "<samlp:LogoutResponse xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_x\">\
               <samlp:Status>&amp;</samlp:Status></samlp:LogoutResponse>";
    let post = |token: &str, message: &str| {
        c.post(g.url("/admin/decode")).form(&[("csrf", token), ("message", message)]).send().unwrap()
    };
    let r = post(&csrf, xml);
    assert_eq!(r.status(), 200);
    let page = r.text().unwrap();
    assert!(page.contains("id=\"checks\"") && page.contains("samlp:LogoutResponse"), "{page}");
    assert!(page.contains("&#60;samlp:Status&#62;&#38;amp;&#60;/samlp:Status&#62;"), "escaped twice over: {page}");
    let r = post(&csrf, "not a saml message");
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("id=\"error\""));
    assert_eq!(post("", xml).status(), 403);
    // A pasted POST-binding message of tens of KiB fits (the form may be as long as
    // server.max_body_bytes); beyond, 413 names the limit.
    let big = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!(
            "<samlp:LogoutResponse xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_b\">{}</samlp:LogoutResponse>",
            "<x/>".repeat(12_000)
        ),
    );
    assert!(big.len() > 60_000);
    let r = post(&csrf, &big);
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("samlp:LogoutResponse"));
    let r = post(&csrf, &"A".repeat(300 * 1024));
    assert_eq!(r.status(), 413);
    assert!(r.text().unwrap().contains("server.max_body_bytes"));
}

/// `/admin/preview` and `samlgate preview`: the attributes Huawei would receive, in the sample's order,
/// with its rules applied (a name outside Huawei's pattern is refused with the rule named), and the
/// jump's isFirstLogin from the bindings.
#[test]
fn preview_shows_what_huawei_would_receive() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let g = start_with_admin(dir);
    let c = client();
    admin_sign_in(&g, &c);
    let r = c
        .get(g.url("/admin/preview?x_user_id=cust-9&name=Zhang+San&mobile=0086-13900000000&email=zs%40example.com"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().unwrap();
    let names: Vec<&str> = page
        .split("<td><code>")
        .skip(1)
        .filter_map(|s| s.split("</code>").next())
        .filter(|n| ["xUserId", "xAccountId", "email", "name", "mobile", "bpId"].contains(n))
        .collect();
    assert_eq!(names, ["xUserId", "xAccountId", "email", "name", "mobile"], "{page}");
    assert!(page.contains("<code>zs@example.com</code>") && page.contains("id=\"first-login\">true"), "{page}");
    assert!(page.contains("https://auth.huaweicloud.com/"), "NameQualifier: {page}");
    let r = c.get(g.url("/admin/preview?x_user_id=cust-9&name=%E5%BC%A0%E4%B8%89")).send().unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("id=\"error\""));

    let o = run(dir, &["bindings", "add", "cust-9", "--domain-id", "d9"]);
    assert!(o.status.success());
    let o = run(dir, &["preview", "--user", "cust-9", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["is_first_login"], false);
    assert_eq!(j["attributes"][0], serde_json::json!(["xUserId", ["cust-9"]]));
    assert_eq!(j["attributes"][2], serde_json::json!(["email", [""]]), "an empty email, as in Huawei's sample");
    let o = run(dir, &["preview", "--user", "cust-9", "--mobile", "13900000000"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("mobile"), "{}", stderr(&o));
}
