//! An in-process gateway for the handler tests (`handlers.rs`, on the router with
//! `tower::ServiceExt::oneshot`) and the use-case tests (`use_cases.rs`, on the gateway layer without
//! HTTP). Huawei's SP is still played by the Python harness (python3-saml): it makes the SP key and
//! metadata, signs the AuthnRequests, LogoutRequests and binding notifications, and verifies what the
//! gateway answers.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, Response};
use base64::Engine as _;
use samlgate::gateway::Gateway;
use samlgate::web::AppState;
use tower::ServiceExt as _;

use crate::common::*;

/// The partner's after-logout page in these tests.
pub const BYE: &str = "https://partner.example/bye";
/// Where the config says the gateway lives (nothing listens there: requests go to the router).
pub const BASE: &str = "http://127.0.0.1:9";

pub struct Local {
    _tmp: tempfile::TempDir,
    pub sp_dir: PathBuf,
    pub idp_md: PathBuf,
    pub work: PathBuf,
    pub state: AppState,
}

impl Local {
    /// `init` in a fresh directory, with the Python SP as Huawei's SP (its entityID is Huawei's).
    pub async fn new() -> Local {
        Local::new_with(|_| {}).await
    }

    /// [`Local::new`] with the settings changed by `f` before the gateway is built.
    pub async fn new_with(f: impl FnOnce(&mut samlgate::config::Settings)) -> Local {
        let tmp = tempfile::tempdir().unwrap();
        let sp_dir = tmp.path().join("sp");
        py_sp(&["gen-sp", "--out", sp_dir.to_str().unwrap()]);
        let dir = tmp.path().join("gw");
        std::fs::create_dir(&dir).unwrap();
        let mut settings = samlgate::gateway::setup::ensure_initialized(
            &dir.join("samlgate.toml"),
            Some(BASE),
            Some("acme_IDP"),
            None,
        )
        .unwrap();
        settings.config.huawei.sp_metadata = sp_dir.join("sp-metadata.xml").to_str().unwrap().to_owned();
        settings.config.return_urls.after_logout = Some(BYE.to_owned());
        f(&mut settings);
        let state = AppState::build(settings).await.unwrap();
        let idp_md = tmp.path().join("idp-metadata.xml");
        std::fs::write(&idp_md, &state.idp().metadata).unwrap();
        Local { _tmp: tmp, sp_dir, idp_md, work: dir, state }
    }

    pub fn gateway(&self) -> &Arc<Gateway> {
        &self.state.gateway
    }

    /// One request through the whole router (all layers), as the server would handle it.
    pub async fn send(&self, req: Request<Body>) -> Response<Body> {
        samlgate::web::router(self.state.clone()).oneshot(req).await.unwrap()
    }

    /// A hand-off token for `user`, as the partner backend makes it.
    pub fn token(&self, user: &str) -> String {
        let now = samlgate::util::now_unix();
        let claims = samlgate::handoff::Claims {
            sub: user.to_owned(),
            iat: now,
            exp: now + 60,
            jti: samlgate::handoff::new_jti(),
            name: Some("Zhang San".to_owned()),
            mobile: None,
            email: Some("zs@example.com".to_owned()),
        };
        samlgate::handoff::issue(&self.state.handoff_secrets.current, &claims)
    }

    /// A Redirect-bound AuthnRequest signed by python3-saml: (path and query, request id).
    pub fn authn_request(&self, relay_state: &str) -> (String, String) {
        self.authn_request_with(relay_state, &[])
    }

    /// [`Local::authn_request`] with more `authn-request` options (`--force-authn`, `--subject U` …).
    pub fn authn_request_with(&self, relay_state: &str, extra: &[&str]) -> (String, String) {
        let mut args = vec![
            "authn-request",
            "--sp-dir",
            self.sp_dir.to_str().unwrap(),
            "--idp-metadata",
            self.idp_md.to_str().unwrap(),
            "--relay-state",
            relay_state,
        ];
        args.extend_from_slice(extra);
        let j = py_sp(&args);
        (path_of(j["url"].as_str().unwrap()), j["request_id"].as_str().unwrap().to_owned())
    }

    /// A status-only SAMLResponse as python3-saml reads it (signature checked with our metadata).
    pub fn status_response(&self, form: &PostedForm) -> serde_json::Value {
        let f = self.work.join(format!("status-{}.b64", form.message.len()));
        std::fs::write(&f, &form.message).unwrap();
        py_sp(&[
            "status-response",
            "--sp-dir",
            self.sp_dir.to_str().unwrap(),
            "--idp-metadata",
            self.idp_md.to_str().unwrap(),
            "--saml-response",
            &format!("@{}", f.display()),
        ])
    }

    /// A LogoutRequest signed by python3-saml: (path and query, request id).
    pub fn logout_request(&self, name_id: &str, session_index: &str) -> (String, String) {
        let j = py_sp(&[
            "logout-request",
            "--sp-dir",
            self.sp_dir.to_str().unwrap(),
            "--idp-metadata",
            self.idp_md.to_str().unwrap(),
            "--name-id",
            name_id,
            "--session-index",
            session_index,
            "--relay-state",
            "lo",
        ]);
        (path_of(j["url"].as_str().unwrap()), j["request_id"].as_str().unwrap().to_owned())
    }

    /// python3-saml checks our Redirect-bound LogoutResponse.
    pub fn verify_logout_response(&self, url: &str, request_id: &str) -> (bool, serde_json::Value) {
        py_sp_raw(&[
            "verify-logout-response",
            "--sp-dir",
            self.sp_dir.to_str().unwrap(),
            "--idp-metadata",
            self.idp_md.to_str().unwrap(),
            "--url",
            url,
            "--request-id",
            request_id,
        ])
    }

    /// python3-saml consumes a posted SAMLResponse in strict mode: its JSON (`onelogin.nameid` …).
    pub fn consume(&self, request_id: &str, form: &PostedForm) -> serde_json::Value {
        let (ok, j) = py_consume(&self.sp_dir, &self.idp_md, &self.work, request_id, form, &["--verifier", "onelogin"]);
        assert!(ok, "python3-saml refused our response: {j}");
        j
    }

    /// A binding notification body signed by the Python SP (Huawei's key).
    pub fn signed_bind(&self, json: &str) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(json);
        let enc: String = url::form_urlencoded::byte_serialize(b64.as_bytes()).collect();
        let query = format!("bindRequest={enc}");
        py_sp(&["sign-query", "--sp-dir", self.sp_dir.to_str().unwrap(), "--query", &query])["query"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// `/saml/sso?…` of a URL on [`BASE`].
pub fn path_of(url: &str) -> String {
    url.strip_prefix(BASE).unwrap_or_else(|| panic!("{url} is not on {BASE}")).to_owned()
}

/// A GET with an optional session cookie, asking for JSON refusals.
pub fn get(path: &str, session: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path).header("accept", "application/json");
    if let Some(s) = session {
        b = b.header("cookie", format!("samlgate_session={s}"));
    }
    b.body(Body::empty()).unwrap()
}

pub async fn body_text(r: Response<Body>) -> String {
    String::from_utf8(axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap()
}

/// The JSON of a refusal (`error`, `message`, `correlation_id`).
pub async fn body_json(r: Response<Body>) -> serde_json::Value {
    let t = body_text(r).await;
    serde_json::from_str(&t).unwrap_or_else(|_| panic!("not JSON: {t}"))
}

pub fn location(r: &Response<Body>) -> String {
    r.headers()["location"].to_str().unwrap().to_owned()
}

/// The value of a `Set-Cookie: samlgate_session=…` (empty when it removes the cookie).
pub fn set_session_cookie(r: &Response<Body>) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("samlgate_session="))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

pub fn query_value(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url).unwrap().query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}
