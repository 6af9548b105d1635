//! `samlgate mock-sp`: a local stand-in for Huawei Cloud's SAML service provider ("authui"), for demos
//! and tests. It has its own key and SP metadata, starts the SSO hop at
//! `/authui/saml/login?xAccountType&isFirstLogin&service` with a signed Redirect-bound AuthnRequest,
//! checks the posted Response at its ACS the way an SP must (its own code path, see [`acs`]; an
//! unsolicited Response only with `MockSpOptions::allow_unsolicited`, `--allow-unsolicited`), offers
//! the first-login "bind" page that sends the signed binding notification from the browser, shows a
//! console page, and runs single logout. An optional partner page (`/partner`) plays the partner
//! sales platform: it mints a hand-off token for the gateway's `/console`.
//!
//! Every page is in Simplified Chinese and English ([`crate::util::i18n`], catalog
//! `templates/i18n/*/mocksp.ftl`): the request's `Accept-Language`, else the language of the Huawei
//! Cloud site the mock plays (`MockSpOptions::site`; the China site, `zh-CN`, by default).
//! The pages carry no inline style or script but the nonce'd auto-post of the binding notification;
//! their look is `/assets/mocksp.css`.
//!
//! Everything is kept in memory with size caps; no input makes it panic.

pub mod acs;
pub mod idp;
pub mod messages;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};

use self::acs::{Expect, Refused, VerifiedLogin, refuse};
use self::idp::IdpInfo;
use self::messages::{BindRequest, LogoutSubject};
use crate::config::Site;
use crate::saml::dsig::{SignatureAlgorithm, SigningKey};
use crate::saml::redirect::{self, MessageParam};
use crate::util::i18n::{Brand, Lang, Page};
use crate::util::now_unix;

/// The xAccountType the mock SP answers to unless told otherwise.
pub const MOCK_X_ACCOUNT_TYPE: &str = "samlgate_mock_IDP";
/// Default public URL of the mock SP.
pub const DEFAULT_MOCK_URL: &str = "http://127.0.0.1:8081";
/// Session cookie of the mock (cookies are per host, not per port: a name apart from the gateway's).
pub const COOKIE: &str = "mocksp_session";
/// Files under the mock's directory.
pub const KEY_FILE: &str = "mock-sp.key";
pub const CERT_FILE: &str = "mock-sp.crt";
pub const METADATA_FILE: &str = "sp-metadata.xml";

/// The Huawei Cloud site the mock plays unless told otherwise: the China site
/// (`auth.huaweicloud.com`), whose pages speak Simplified Chinese.
pub const DEFAULT_SITE: Site = Site::Cn;

/// The language of the mock's pages when the browser asks for none we have: that of the Huawei
/// Cloud site it plays (the China site speaks Simplified Chinese, the others English).
pub fn site_lang(site: Site) -> Lang {
    match site {
        Site::Cn => Lang::ZhCn,
        Site::Intl | Site::Eu => Lang::En,
    }
}

/// The stylesheet of every mock page (`/assets/mocksp.css`).
const STYLESHEET: &str = include_str!("../../templates/assets/mocksp.css");

/// Allowed clock skew for the time window checks.
const SKEW_SECS: i64 = 120;
/// How long an AuthnRequest may stay unanswered.
const PENDING_SECS: i64 = 600;
/// Lifetime of a mock console session.
const SESSION_SECS: i64 = 8 * 3600;
/// Cap on every in-memory table.
const MAX_ENTRIES: usize = 10_000;
/// How long fetched IdP metadata is reused.
const IDP_TTL: Duration = Duration::from_secs(60);

/// Where the IdP metadata comes from.
#[derive(Debug, Clone)]
pub enum IdpSource {
    Url(String),
    File(PathBuf),
    /// The XML itself (demo mode: the gateway runs in the same process).
    Inline(String),
}

impl IdpSource {
    pub fn parse(s: &str) -> IdpSource {
        if s.starts_with("http://") || s.starts_with("https://") {
            IdpSource::Url(s.to_owned())
        } else {
            IdpSource::File(PathBuf::from(s))
        }
    }
}

/// The partner page's settings: the gateway's base URL and the hand-off secret shared with it.
#[derive(Clone)]
pub struct PartnerConfig {
    pub gateway_base_url: String,
    pub handoff_secret: String,
}

impl std::fmt::Debug for PartnerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartnerConfig").field("gateway_base_url", &self.gateway_base_url).finish()
    }
}

/// Everything needed to run a mock SP.
#[derive(Debug, Clone)]
pub struct MockSpOptions {
    /// Listen address.
    pub bind: String,
    /// Public base URL (no trailing slash); entityID is this plus `/`.
    pub base_url: String,
    /// Key, certificate and metadata live here.
    pub dir: PathBuf,
    pub x_account_type: String,
    pub idp_metadata: IdpSource,
    /// Binding notification URL; default `<gateway base>/huawei/bind`.
    pub notify_url: Option<String>,
    pub partner: Option<PartnerConfig>,
    /// The Huawei Cloud site the mock plays: its pages default to that site's language
    /// ([`site_lang`]) when the browser's `Accept-Language` names none we have.
    pub site: Site,
    /// Accept unsolicited Responses (IdP-initiated SSO, `samlgate assert` without
    /// `--in-response-to`); every other check of the ACS stays.
    pub allow_unsolicited: bool,
}

/// The mock SP's URLs, all derived from its base URL.
#[derive(Debug, Clone)]
pub struct Urls {
    pub base: String,
    pub entity_id: String,
    pub acs: String,
    pub slo: String,
    pub slo_response: String,
}

impl Urls {
    pub fn new(base: &str) -> Urls {
        let base = base.trim_end_matches('/').to_owned();
        Urls {
            entity_id: format!("{base}/"),
            acs: format!("{base}/authui/saml/SAMLAssertionConsumer"),
            slo: format!("{base}/authui/saml/LogoutServiceHTTPRedirect"),
            slo_response: format!("{base}/authui/saml/LogoutServiceHTTPRedirectResponse"),
            base,
        }
    }
}

/// Makes sure `dir` holds the mock's key (mode 0600) and certificate, writes its SP metadata for
/// `base_url`, and returns the signing key and the metadata.
pub fn init_files(dir: &Path, base_url: &str) -> anyhow::Result<(SigningKey, String)> {
    idp::check_http_url(base_url).map_err(|e| anyhow::anyhow!("mock SP URL: {e}"))?;
    let key_path = dir.join(KEY_FILE);
    let cert_path = dir.join(CERT_FILE);
    if !key_path.exists() && !cert_path.exists() {
        let paths = crate::keys::KeyPaths {
            key: key_path.clone(),
            cert: cert_path.clone(),
            ca_key: dir.join("mock-sp-ca.key"),
            ca_cert: dir.join("mock-sp-ca.crt"),
            chain: dir.join("mock-sp-chain.pem"),
        };
        let opts = crate::keys::GenerateOptions {
            algorithm: crate::keys::KeyAlgorithm::Rsa2048,
            subject_cn: "samlgate mock SP".into(),
            days: 3650,
            ca: None,
            key_passphrase: None,
        };
        crate::keys::generate(&paths, &opts, false).context("generating the mock SP key")?;
        tracing::info!(key = %key_path.display(), "generated the mock SP key and certificate");
    }
    crate::keys::check_private_key_file_mode(&key_path)?;
    let keys = crate::keys::IdpKeys::load(&key_path, &cert_path, None).context("loading the mock SP key")?;
    let key = SigningKey::new(keys.pkey.clone(), keys.cert_der.clone(), SignatureAlgorithm::RsaSha256)?;
    let urls = Urls::new(base_url);
    let xml = crate::saml::metadata::sp_metadata_xml(&crate::saml::metadata::SpMetadataParams {
        entity_id: urls.entity_id.clone(),
        acs_post_url: urls.acs.clone(),
        slo_redirect_url: urls.slo.clone(),
        slo_redirect_response_url: urls.slo_response.clone(),
        slo_post_url: None,
        signing_cert_der: keys.cert_der.clone(),
        authn_requests_signed: true,
        want_assertions_signed: true,
    })?;
    let md_path = dir.join(METADATA_FILE);
    if std::fs::read_to_string(&md_path).ok().as_deref() != Some(xml.as_str()) {
        crate::util::fs::write_atomic(&md_path, xml.as_bytes(), 0o644)
            .with_context(|| format!("cannot write {}", md_path.display()))?;
    }
    Ok((key, xml))
}

/// An AuthnRequest waiting for its answer.
#[derive(Debug, Clone)]
struct Pending {
    relay_key: String,
    service: String,
    first_login: bool,
    created: i64,
}

/// A signed-in mock console session.
#[derive(Debug, Clone)]
struct Session {
    login: VerifiedLogin,
    service: String,
    first_login: bool,
    bound: Option<BindRequest>,
    created: i64,
}

#[derive(Default)]
struct Tables {
    /// AuthnRequest ID → pending.
    pending: HashMap<String, Pending>,
    /// Assertion ID → remember until (unix).
    used_assertions: HashMap<String, i64>,
    sessions: HashMap<String, Session>,
    /// LogoutRequest ID → (session id, created).
    pending_logouts: HashMap<String, (String, i64)>,
}

impl Tables {
    fn purge(&mut self, now: i64) {
        self.pending.retain(|_, p| now - p.created < PENDING_SECS);
        self.used_assertions.retain(|_, until| *until > now);
        self.sessions.retain(|_, s| now - s.created < SESSION_SECS);
        self.pending_logouts.retain(|_, (_, c)| now - *c < PENDING_SECS);
    }
    fn full(&mut self, now: i64) -> bool {
        let n = |t: &Tables| {
            t.pending.len().max(t.used_assertions.len()).max(t.sessions.len()).max(t.pending_logouts.len())
        };
        if n(self) >= MAX_ENTRIES {
            self.purge(now);
        }
        n(self) >= MAX_ENTRIES
    }
}

struct Inner {
    urls: Urls,
    x_account_type: String,
    key: SigningKey,
    metadata_xml: String,
    idp_source: IdpSource,
    notify_url: Option<String>,
    partner: Option<PartnerConfig>,
    allow_unsolicited: bool,
    /// The pages' default language (from the site played) lives in here.
    brand: Arc<Brand>,
    idp: Mutex<Option<(Instant, Arc<IdpInfo>)>>,
    tables: Mutex<Tables>,
    http: reqwest::Client,
}

/// A running mock SP's state; cheap to clone.
#[derive(Clone)]
pub struct MockSp(Arc<Inner>);

impl MockSp {
    /// Loads (or creates) key, certificate and metadata in `opts.dir`; the mock plays `opts.site`.
    pub fn new(opts: &MockSpOptions) -> anyhow::Result<MockSp> {
        let site = opts.site;
        let (key, metadata_xml) = init_files(&opts.dir, &opts.base_url)?;
        if let Some(u) = &opts.notify_url {
            idp::check_http_url(u).map_err(|e| anyhow::anyhow!("--notify-url: {e}"))?;
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(MockSp(Arc::new(Inner {
            urls: Urls::new(&opts.base_url),
            x_account_type: opts.x_account_type.clone(),
            key,
            metadata_xml,
            idp_source: opts.idp_metadata.clone(),
            notify_url: opts.notify_url.clone(),
            partner: opts.partner.clone(),
            allow_unsolicited: opts.allow_unsolicited,
            brand: Arc::new(Brand {
                product_name: "samlgate mock SP".into(),
                default_lang: site_lang(site),
                ..Brand::default()
            }),
            idp: Mutex::new(None),
            tables: Mutex::new(Tables::default()),
            http,
        })))
    }

    pub fn urls(&self) -> &Urls {
        &self.0.urls
    }

    pub fn metadata_xml(&self) -> &str {
        &self.0.metadata_xml
    }

    /// The page (language) for a request: its `Accept-Language`, else the default.
    fn page(&self, headers: &HeaderMap) -> Page {
        let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        Page::negotiate(accept, self.0.brand.clone())
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.0.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The IdP metadata, fetched or read at most every `IDP_TTL`; a failed refresh keeps the last copy.
    async fn idp(&self) -> Result<Arc<IdpInfo>, Refused> {
        let cached = self.0.idp.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some((at, info)) = &cached
            && at.elapsed() < IDP_TTL
        {
            return Ok(info.clone());
        }
        match self.load_idp().await {
            Ok(info) => {
                let info = Arc::new(info);
                *self.0.idp.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), info.clone()));
                Ok(info)
            }
            Err(e) => match cached {
                Some((_, info)) => {
                    tracing::warn!("IdP metadata refresh failed, keeping the last copy: {e}");
                    Ok(info)
                }
                None => Err(refuse("idp_metadata", e)),
            },
        }
    }

    async fn load_idp(&self) -> Result<IdpInfo, String> {
        let bytes = match &self.0.idp_source {
            IdpSource::Inline(x) => x.as_bytes().to_vec(),
            IdpSource::File(p) => {
                let meta = std::fs::metadata(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
                if meta.len() > idp::MAX_IDP_METADATA_BYTES as u64 {
                    return Err(format!("{} is too large", p.display()));
                }
                std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?
            }
            IdpSource::Url(u) => {
                let mut resp =
                    self.0.http.get(u).send().await.map_err(|e| format!("cannot fetch IdP metadata {u}: {e}"))?;
                if !resp.status().is_success() {
                    return Err(format!("fetching IdP metadata {u} answered HTTP {}", resp.status()));
                }
                let mut body = Vec::new();
                while let Some(chunk) = resp.chunk().await.map_err(|e| format!("reading {u}: {e}"))? {
                    body.extend_from_slice(&chunk);
                    if body.len() > idp::MAX_IDP_METADATA_BYTES {
                        return Err(format!("IdP metadata at {u} is too large"));
                    }
                }
                body
            }
        };
        idp::parse_idp_metadata(&bytes)
    }

    async fn notify_url(&self) -> Result<String, Refused> {
        match &self.0.notify_url {
            Some(u) => Ok(u.clone()),
            None => Ok(format!("{}/huawei/bind", self.idp().await?.base_url())),
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Pages

fn new_nonce() -> String {
    messages::random_hex(16)
}

/// An HTML page in the request's language (`Content-Language`, `Vary: Accept-Language`), not cached.
fn html_response(status: StatusCode, t: &Page, html: String, csp: &str) -> Response {
    let mut r = (status, Html(html)).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(t.lang_tag()));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if let Ok(v) = HeaderValue::from_str(csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

/// The Content-Security-Policy of every page but the binding notification's ([`csp_notify`]): the
/// stylesheet is the only thing a page loads.
const CSP_STATIC: &str = "default-src 'none'; style-src 'self'; img-src data:; base-uri 'none'; frame-ancestors 'none'";

/// The binding notification page's CSP: its auto-post script (by nonce) and the hidden frame on the
/// partner gateway's origin the notification is posted into.
fn csp_notify(nonce: &str, frame_origin: &str) -> String {
    format!(
        "default-src 'none'; style-src 'self'; img-src data:; script-src 'nonce-{nonce}'; frame-src {frame_origin}; base-uri 'none'; frame-ancestors 'none'"
    )
}

fn render<T: askama::Template>(status: StatusCode, t: &Page, page: &T, csp: &str) -> Response {
    match page.render() {
        Ok(html) => html_response(status, t, html, csp),
        Err(e) => {
            tracing::error!("template: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// `GET /assets/mocksp.css`.
async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// What each named check means, for the refusal page (the message ids of the catalogs): the checks
/// of the mock ([`refuse`]) and the refusal reasons of [`crate::web::params`].
const CHECKS: &[(&str, &str)] = &[
    ("account_name", "mock-check-account-name"),
    ("assertion", "mock-check-assertion"),
    ("assertion_replay", "mock-check-assertion-replay"),
    ("assertion_signature", "mock-check-assertion-signature"),
    ("audience", "mock-check-audience"),
    ("authn_request", "mock-check-authn-request"),
    ("bad_encoding", "mock-check-bad-encoding"),
    ("base64", "mock-check-base64"),
    ("bind_signature", "mock-check-bind-signature"),
    ("busy", "mock-check-busy"),
    ("choice", "mock-check-choice"),
    ("destination", "mock-check-destination"),
    ("duplicate_parameter", "mock-check-duplicate-parameter"),
    ("idp_metadata", "mock-check-idp-metadata"),
    ("in_response_to", "mock-check-in-response-to"),
    ("is_first_login", "mock-check-is-first-login"),
    ("issuer", "mock-check-issuer"),
    ("logout_request", "mock-check-logout-request"),
    ("logout_response", "mock-check-logout-response"),
    ("message", "mock-check-message"),
    ("name", "mock-check-name"),
    ("recipient", "mock-check-recipient"),
    ("relay_state", "mock-check-relay-state"),
    ("response_signature", "mock-check-response-signature"),
    ("return_to", "mock-check-return-to"),
    ("service", "mock-check-service"),
    ("signature", "mock-check-signature"),
    ("size", "mock-check-size"),
    ("status", "mock-check-status"),
    ("subject", "mock-check-subject"),
    ("subject_confirmation", "mock-check-subject-confirmation"),
    ("time_window", "mock-check-time-window"),
    ("too_large", "mock-check-too-large"),
    ("user", "mock-check-user"),
    ("x_account_type", "mock-check-x-account-type"),
    ("xml", "mock-check-xml"),
];

/// The message id explaining `check` (a generic one for a check not listed).
fn check_message_id(check: &str) -> &'static str {
    CHECKS.iter().find(|(c, _)| *c == check).map(|(_, id)| *id).unwrap_or("mock-check-other")
}

#[derive(askama::Template)]
#[template(path = "mocksp_error.html")]
struct ErrorPage<'a> {
    t: &'a Page,
    status: &'a str,
    check: &'a str,
    /// What the check means, in the page's language.
    why: &'a str,
    /// The verifier's own words (technical, English, as in the log).
    message: &'a str,
}

/// The refusal page: `#check` names the failed check, `#why` says what it means, `#message` has
/// the technical detail.
fn refused_page(t: &Page, status: StatusCode, r: &Refused) -> Response {
    tracing::warn!(check = r.check, "mock SP refused: {}", r.message);
    let why = t.t(check_message_id(r.check));
    let code = status.as_u16().to_string();
    let page = ErrorPage { t, status: &code, check: r.check, why: &why, message: &r.message };
    let mut resp = render(status, t, &page, CSP_STATIC);
    if let Ok(v) = HeaderValue::from_str(r.check) {
        resp.headers_mut().insert("x-mocksp-check", v);
    }
    resp
}

fn bad(t: &Page, r: Refused) -> Response {
    refused_page(t, StatusCode::BAD_REQUEST, &r)
}

#[derive(askama::Template)]
#[template(path = "mocksp_message.html")]
struct MessagePage<'a> {
    t: &'a Page,
    title: &'a str,
    message: &'a str,
    link: Option<&'a str>,
    link_text: &'a str,
}

/// A page with a title (`#title`), a sentence (`#message`) and maybe a link (`#link`), all already
/// in the page's language.
fn message_page(t: &Page, status: StatusCode, title: &str, message: &str, link: Option<(&str, &str)>) -> Response {
    let (link, link_text) = match link {
        Some((href, text)) => (Some(href), text),
        None => (None, ""),
    };
    render(status, t, &MessagePage { t, title, message, link, link_text }, CSP_STATIC)
}

fn redirect(status: StatusCode, location: &str) -> Response {
    let mut r = status.into_response();
    match HeaderValue::from_str(location) {
        Ok(v) => {
            r.headers_mut().insert(header::LOCATION, v);
        }
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "bad redirect target").into_response(),
    }
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn with_query(url: &str, query: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{query}")
}

fn params(raw: Option<&str>, known: &[&str]) -> Result<HashMap<String, String>, Refused> {
    crate::web::params::query_params(raw.unwrap_or(""), known).map_err(|r| refuse(r.reason, r.message))
}

fn form(body: &[u8], known: &[&str]) -> Result<HashMap<String, String>, Refused> {
    crate::web::params::form_fields(body, known).map_err(|r| refuse(r.reason, r.message))
}

fn session_id(jar: &CookieJar) -> Option<String> {
    jar.get(COOKIE).map(|c| c.value().to_owned()).filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

// ---------------------------------------------------------------------------------------------------
// Handlers

async fn metadata(State(s): State<MockSp>) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/samlmetadata+xml; charset=utf-8"))],
        s.0.metadata_xml.clone(),
    )
        .into_response()
}

async fn index(State(s): State<MockSp>, headers: HeaderMap) -> Response {
    if s.0.partner.is_some() {
        return redirect(StatusCode::FOUND, "/partner");
    }
    let t = s.page(&headers);
    message_page(
        &t,
        StatusCode::OK,
        &t.t("mock-index-title"),
        &t.t("mock-index-what"),
        Some(("/metadata", &t.t("mock-index-metadata"))),
    )
}

async fn healthz() -> &'static str {
    "ok"
}

/// `GET /authui/saml/login?xAccountType&isFirstLogin&service`: sends a signed AuthnRequest to the IdP.
async fn login(State(s): State<MockSp>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let t = s.page(&headers);
    let q = match params(raw.as_deref(), &["xAccountType", "isFirstLogin", "service"]) {
        Ok(q) => q,
        Err(r) => return bad(&t, r),
    };
    let xat = q.get("xAccountType").map(String::as_str).unwrap_or("");
    if xat != s.0.x_account_type {
        return bad(
            &t,
            refuse(
                "x_account_type",
                format!(
                    "xAccountType `{}` is not this platform's `{}`",
                    xat.chars().take(64).collect::<String>(),
                    s.0.x_account_type
                ),
            ),
        );
    }
    let first_login = match q.get("isFirstLogin").map(String::as_str) {
        Some("true") => true,
        None | Some("") | Some("false") => false,
        Some(_) => return bad(&t, refuse("is_first_login", "isFirstLogin must be true, false or empty")),
    };
    let service = q.get("service").cloned().unwrap_or_default();
    if service.len() > 2048 {
        return bad(&t, refuse("service", "service is too long"));
    }
    let idp = match s.idp().await {
        Ok(i) => i,
        Err(r) => return refused_page(&t, StatusCode::BAD_GATEWAY, &r),
    };
    let id = messages::new_id();
    let issue_instant = messages::instant_millis(time::OffsetDateTime::now_utc());
    let u = &s.0.urls;
    let xml = match messages::authn_request(&id, &issue_instant, &idp.sso_redirect_url, &u.acs, &u.entity_id) {
        Ok(x) => x,
        Err(e) => return bad(&t, refuse("authn_request", e.to_string())),
    };
    let relay_key = messages::random_hex(16);
    let now = now_unix();
    {
        let mut tables = s.tables();
        if tables.full(now) {
            return refused_page(&t, StatusCode::SERVICE_UNAVAILABLE, &refuse("busy", "too many pending sign-ins"));
        }
        tables.pending.insert(id.clone(), Pending { relay_key: relay_key.clone(), service, first_login, created: now });
    }
    let query = match redirect::encode_redirect_query(MessageParam::SamlRequest, &xml, Some(&relay_key), Some(&s.0.key))
    {
        Ok(q) => q,
        Err(e) => return bad(&t, refuse("authn_request", e.to_string())),
    };
    tracing::info!(request_id = %id, first_login, "AuthnRequest sent to the IdP");
    redirect(StatusCode::FOUND, &with_query(&idp.sso_redirect_url, &query))
}

/// `POST /authui/saml/SAMLAssertionConsumer`.
async fn acs(State(s): State<MockSp>, headers: HeaderMap, jar: CookieJar, body: axum::body::Bytes) -> Response {
    let t = s.page(&headers);
    let f = match form(&body, &["SAMLResponse", "RelayState"]) {
        Ok(f) => f,
        Err(r) => return bad(&t, r),
    };
    let Some(b64) = f.get("SAMLResponse") else {
        return bad(&t, refuse("message", "the form has no SAMLResponse"));
    };
    let bytes = match acs::decode_form_value(b64) {
        Ok(b) => b,
        Err(r) => return bad(&t, r),
    };
    let idp = match s.idp().await {
        Ok(i) => i,
        Err(r) => return refused_page(&t, StatusCode::BAD_GATEWAY, &r),
    };
    let now = now_unix();
    let u = &s.0.urls;
    let expect = Expect {
        idp: &idp,
        acs_url: &u.acs,
        entity_id: &u.entity_id,
        now,
        skew_secs: SKEW_SECS,
        allow_unsolicited: s.0.allow_unsolicited,
    };
    let login = match acs::verify_response(&bytes, &expect) {
        Ok(l) => l,
        Err(r) => return refused_page(&t, StatusCode::FORBIDDEN, &r),
    };
    let sid = messages::random_hex(32);
    let first_login = {
        let mut tables = s.tables();
        if tables.used_assertions.get(&login.assertion_id).is_some_and(|until| *until > now - SKEW_SECS) {
            drop(tables);
            return refused_page(
                &t,
                StatusCode::FORBIDDEN,
                &refuse("assertion_replay", format!("assertion {} was already used", login.assertion_id)),
            );
        }
        let (service, first_login) = match &login.in_response_to {
            Some(irt) => {
                let Some(p) = tables.pending.remove(irt) else {
                    drop(tables);
                    return refused_page(
                        &t,
                        StatusCode::FORBIDDEN,
                        &refuse(
                            "in_response_to",
                            format!(
                                "InResponseTo `{}` is not an outstanding request of this SP (unknown, expired or already answered)",
                                irt.chars().take(80).collect::<String>()
                            ),
                        ),
                    );
                };
                if now - p.created >= PENDING_SECS {
                    drop(tables);
                    return refused_page(
                        &t,
                        StatusCode::FORBIDDEN,
                        &refuse("in_response_to", "the AuthnRequest has expired"),
                    );
                }
                if f.get("RelayState") != Some(&p.relay_key) {
                    drop(tables);
                    return refused_page(
                        &t,
                        StatusCode::FORBIDDEN,
                        &refuse("relay_state", "RelayState is not the one sent with this AuthnRequest"),
                    );
                }
                (p.service, p.first_login)
            }
            // Unsolicited (accepted only with --allow-unsolicited): no request to match; the
            // RelayState, if any, says where the customer was going.
            None => (f.get("RelayState").map(|r| r.chars().take(2048).collect()).unwrap_or_default(), false),
        };
        if tables.full(now) {
            drop(tables);
            return refused_page(&t, StatusCode::SERVICE_UNAVAILABLE, &refuse("busy", "too many sessions"));
        }
        tables
            .used_assertions
            .insert(login.assertion_id.clone(), login.not_on_or_after.saturating_add(SKEW_SECS).max(now + 60));
        tables
            .sessions
            .insert(sid.clone(), Session { login: login.clone(), service, first_login, bound: None, created: now });
        first_login
    };
    tracing::info!(assertion = %login.assertion_id, name_id = %login.name_id, "assertion accepted");
    let secure = s.0.urls.base.starts_with("https://");
    let cookie = Cookie::build((COOKIE, sid)).http_only(true).secure(secure).same_site(SameSite::Lax).path("/").build();
    let next = if first_login { "/authui/bind" } else { "/console" };
    let mut r = redirect(StatusCode::SEE_OTHER, next);
    if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    // Replace any older session of this browser.
    if let Some(old) = session_id(&jar) {
        s.tables().sessions.remove(&old);
    }
    r
}

fn not_signed_in(s: &MockSp, t: &Page) -> Response {
    let link_text = t.t("mock-partner-platform");
    let link = s.0.partner.as_ref().map(|_| ("/partner", link_text.as_str()));
    message_page(t, StatusCode::UNAUTHORIZED, &t.t("mock-not-signed-in-title"), &t.t("mock-not-signed-in-what"), link)
}

fn current(s: &MockSp, jar: &CookieJar) -> Option<(String, Session)> {
    let sid = session_id(jar)?;
    let now = now_unix();
    let t = s.tables();
    let sess = t.sessions.get(&sid).filter(|x| now - x.created < SESSION_SECS)?.clone();
    Some((sid, sess))
}

fn x_user_id(login: &VerifiedLogin) -> String {
    login.attribute("xUserId").unwrap_or(&login.name_id).to_owned()
}

#[derive(askama::Template)]
#[template(path = "mocksp_bind.html")]
struct BindPage<'a> {
    t: &'a Page,
    x_user_id: &'a str,
    name: &'a str,
    notify_url: &'a str,
}

async fn bind_page(State(s): State<MockSp>, headers: HeaderMap, jar: CookieJar) -> Response {
    let t = s.page(&headers);
    let Some((_, sess)) = current(&s, &jar) else { return not_signed_in(&s, &t) };
    if sess.bound.is_some() {
        return redirect(StatusCode::SEE_OTHER, "/console");
    }
    let notify = match s.notify_url().await {
        Ok(u) => u,
        Err(r) => return refused_page(&t, StatusCode::BAD_GATEWAY, &r),
    };
    let xu = x_user_id(&sess.login);
    let name = sess.login.attribute("name").unwrap_or("").to_owned();
    render(StatusCode::OK, &t, &BindPage { t: &t, x_user_id: &xu, name: &name, notify_url: &notify }, CSP_STATIC)
}

#[derive(askama::Template)]
#[template(path = "mocksp_notify.html")]
struct NotifyPage<'a> {
    t: &'a Page,
    action: &'a str,
    bind_request: &'a str,
    sig_alg: &'a str,
    signature: &'a str,
    domain_name: &'a str,
    domain_id: &'a str,
    nonce: &'a str,
}

fn valid_account_name(n: &str) -> bool {
    (1..=64).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// `POST /authui/bind`: makes up the HUAWEI CLOUD account and sends the signed binding notification
/// from the browser (auto-submitting form) to the partner's notification URL.
async fn bind_submit(State(s): State<MockSp>, headers: HeaderMap, jar: CookieJar, body: axum::body::Bytes) -> Response {
    let t = s.page(&headers);
    let Some((sid, sess)) = current(&s, &jar) else { return not_signed_in(&s, &t) };
    let f = match form(&body, &["choice", "account_name"]) {
        Ok(f) => f,
        Err(r) => return bad(&t, r),
    };
    let domain_name = match f.get("choice").map(String::as_str) {
        Some("existing") => {
            let n = f.get("account_name").map(|x| x.trim().to_owned()).unwrap_or_default();
            if !valid_account_name(&n) {
                return bad(
                    &t,
                    refuse("account_name", "the account name must be 1–64 letters, digits, `_`, `-` or `.`"),
                );
            }
            n
        }
        Some("new") | None => {
            let mut b = [0u8; 4];
            let _ = openssl::rand::rand_bytes(&mut b);
            format!("hwc{:08}", u32::from_be_bytes(b) % 100_000_000)
        }
        Some(_) => return bad(&t, refuse("choice", "choice must be `new` or `existing`")),
    };
    let req = BindRequest {
        x_user_id: x_user_id(&sess.login),
        domain_name: domain_name.clone(),
        domain_id: messages::random_hex(16),
        user_name: domain_name,
        user_id: messages::random_hex(16),
    };
    let bf = match messages::bind_form(&s.0.key, &req) {
        Ok(f) => f,
        Err(e) => return bad(&t, refuse("bind_signature", e.to_string())),
    };
    let notify = match s.notify_url().await {
        Ok(u) => u,
        Err(r) => return refused_page(&t, StatusCode::BAD_GATEWAY, &r),
    };
    if let Some(x) = s.tables().sessions.get_mut(&sid) {
        x.bound = Some(req.clone());
    }
    tracing::info!(x_user_id = %req.x_user_id, domain_id = %req.domain_id, "binding notification sent via the browser");
    let origin = url::Url::parse(&notify).map(|u| u.origin().ascii_serialization()).unwrap_or_default();
    let nonce = new_nonce();
    let csp = csp_notify(&nonce, &origin);
    render(
        StatusCode::OK,
        &t,
        &NotifyPage {
            t: &t,
            action: &notify,
            bind_request: &bf.bind_request,
            sig_alg: &bf.sig_alg,
            signature: &bf.signature,
            domain_name: &req.domain_name,
            domain_id: &req.domain_id,
            nonce: &nonce,
        },
        &csp,
    )
}

#[derive(askama::Template)]
#[template(path = "mocksp_console.html")]
struct ConsolePage<'a> {
    t: &'a Page,
    x_user_id: &'a str,
    name: &'a str,
    name_id: &'a str,
    session_index: &'a str,
    service: &'a str,
    first_login: bool,
    binding: Option<String>,
    idp: &'a str,
    attributes: Vec<(String, String)>,
}

async fn console(State(s): State<MockSp>, headers: HeaderMap, jar: CookieJar) -> Response {
    let t = s.page(&headers);
    let Some((_, sess)) = current(&s, &jar) else { return not_signed_in(&s, &t) };
    let idp = s.idp().await.map(|i| i.entity_id.clone()).unwrap_or_default();
    let xu = x_user_id(&sess.login);
    let page = ConsolePage {
        t: &t,
        x_user_id: &xu,
        name: sess.login.attribute("name").unwrap_or("—"),
        name_id: &sess.login.name_id,
        session_index: sess.login.session_index.as_deref().unwrap_or("—"),
        service: &sess.service,
        first_login: sess.first_login,
        binding: sess.bound.as_ref().map(|b| t.t2("mock-console-binding", "name", &b.domain_name, "id", &b.domain_id)),
        idp: &idp,
        attributes: sess.login.attributes.iter().map(|(n, v)| (n.clone(), v.join(", "))).collect(),
    };
    render(StatusCode::OK, &t, &page, CSP_STATIC)
}

/// `POST /authui/logout`: a signed Redirect-bound LogoutRequest to the IdP's SingleLogoutService.
async fn logout(State(s): State<MockSp>, headers: HeaderMap, jar: CookieJar) -> Response {
    let t = s.page(&headers);
    let Some((sid, sess)) = current(&s, &jar) else { return not_signed_in(&s, &t) };
    let idp = match s.idp().await {
        Ok(i) => i,
        Err(r) => return refused_page(&t, StatusCode::BAD_GATEWAY, &r),
    };
    let Some(slo) = idp.slo_redirect_url.clone() else {
        return bad(&t, refuse("idp_metadata", "the IdP metadata has no HTTP-Redirect SingleLogoutService"));
    };
    let id = messages::new_id();
    let subject = LogoutSubject {
        name_id: &sess.login.name_id,
        format: sess.login.name_id_format.as_deref(),
        sp_name_qualifier: sess.login.name_id_sp_name_qualifier.as_deref(),
        session_index: sess.login.session_index.as_deref(),
    };
    let instant = messages::instant_millis(time::OffsetDateTime::now_utc());
    let xml = match messages::logout_request(&id, &instant, &slo, &s.0.urls.entity_id, &subject) {
        Ok(x) => x,
        Err(e) => return bad(&t, refuse("logout_request", e.to_string())),
    };
    let query = match redirect::encode_redirect_query(MessageParam::SamlRequest, &xml, None, Some(&s.0.key)) {
        Ok(q) => q,
        Err(e) => return bad(&t, refuse("logout_request", e.to_string())),
    };
    let now = now_unix();
    {
        let mut tables = s.tables();
        if tables.full(now) {
            return refused_page(&t, StatusCode::SERVICE_UNAVAILABLE, &refuse("busy", "too many pending logouts"));
        }
        tables.pending_logouts.insert(id.clone(), (sid, now));
    }
    tracing::info!(request_id = %id, "LogoutRequest sent to the IdP");
    redirect(StatusCode::SEE_OTHER, &with_query(&slo, &query))
}

fn clear_cookie(mut r: Response) -> Response {
    let c = Cookie::build((COOKIE, "")).path("/").max_age(time::Duration::seconds(0)).build();
    if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// `GET /authui/saml/LogoutServiceHTTPRedirectResponse`: the IdP's signed LogoutResponse.
async fn logout_response(State(s): State<MockSp>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let t = s.page(&headers);
    let raw = raw.unwrap_or_default();
    if raw.len() > crate::web::params::MAX_QUERY_BYTES {
        return bad(&t, refuse("size", "the query string is too long"));
    }
    let idp = match s.idp().await {
        Ok(i) => i,
        Err(r) => return refused_page(&t, StatusCode::BAD_GATEWAY, &r),
    };
    let res = match acs::verify_logout_response(&raw, &idp, &s.0.urls.slo_response) {
        Ok(r) => r,
        Err(r) => return refused_page(&t, StatusCode::FORBIDDEN, &r),
    };
    let pending = s.tables().pending_logouts.remove(&res.in_response_to);
    let Some((sid, _)) = pending else {
        return refused_page(
            &t,
            StatusCode::FORBIDDEN,
            &refuse("in_response_to", "the LogoutResponse answers no outstanding LogoutRequest of this SP"),
        );
    };
    // The SP's own session ends whatever the IdP answered (SAML core §3.7.3.2).
    s.tables().sessions.remove(&sid);
    let back = t.t("mock-back-to-partner");
    let link = s.0.partner.as_ref().map(|_| ("/partner", back.as_str()));
    if res.status != acs::STATUS_SUCCESS {
        tracing::warn!(status = %res.status, "the IdP did not confirm the logout");
        let msg = t.t1("mock-signed-out-here-what", "status", &res.status);
        return clear_cookie(message_page(&t, StatusCode::OK, &t.t("mock-signed-out-here-title"), &msg, link));
    }
    tracing::info!("signed out");
    clear_cookie(message_page(&t, StatusCode::OK, &t.t("mock-signed-out-title"), &t.t("mock-signed-out-what"), link))
}

/// `GET /authui/saml/LogoutServiceHTTPRedirect`: an IdP-initiated LogoutRequest (answered with a
/// signed LogoutResponse); a LogoutResponse arriving here is handled like one at ResponseLocation.
async fn slo(State(s): State<MockSp>, headers: HeaderMap, raw: RawQuery) -> Response {
    let t = s.page(&headers);
    let q = raw.0.clone().unwrap_or_default();
    if q.len() > crate::web::params::MAX_QUERY_BYTES {
        return bad(&t, refuse("size", "the query string is too long"));
    }
    let parsed = match redirect::parse_redirect_query(&q) {
        Ok(p) => p,
        Err(e) => return bad(&t, refuse("message", e.to_string())),
    };
    if parsed.param == MessageParam::SamlResponse {
        return logout_response(State(s), headers, raw).await;
    }
    let idp = match s.idp().await {
        Ok(i) => i,
        Err(r) => return refused_page(&t, StatusCode::BAD_GATEWAY, &r),
    };
    if let Err(e) = parsed.verify(&idp.signing_certs, false) {
        return refused_page(&t, StatusCode::FORBIDDEN, &refuse("signature", e.to_string()));
    }
    let xml = match parsed.decode_message(64 * 1024) {
        Ok(x) => x,
        Err(e) => return bad(&t, refuse("message", e.to_string())),
    };
    let req = match crate::saml::request::parse_logout_request(&xml) {
        Ok(r) => r,
        Err(e) => return bad(&t, refuse("message", e.to_string())),
    };
    if req.issuer != idp.entity_id {
        return refused_page(&t, StatusCode::FORBIDDEN, &refuse("issuer", "the LogoutRequest is not from the IdP"));
    }
    s.tables().sessions.retain(|_, x| x.login.name_id != req.name_id);
    let Some(dest) = idp.slo_redirect_url.clone() else {
        return message_page(&t, StatusCode::OK, &t.t("mock-signed-out-title"), &t.t("mock-idp-ended-what"), None);
    };
    let built = crate::saml::response::build_logout_response(
        &s.0.urls.entity_id,
        &dest,
        &req.id,
        acs::STATUS_SUCCESS,
        now_unix(),
    );
    let query = match built.map_err(|e| e.to_string()).and_then(|(x, _)| {
        redirect::encode_redirect_query(MessageParam::SamlResponse, &x, None, Some(&s.0.key)).map_err(|e| e.to_string())
    }) {
        Ok(q) => q,
        Err(e) => return bad(&t, refuse("logout_response", e)),
    };
    clear_cookie(redirect(StatusCode::FOUND, &with_query(&dest, &query)))
}

#[derive(askama::Template)]
#[template(path = "mocksp_partner.html")]
struct PartnerPage<'a> {
    t: &'a Page,
    user: &'a str,
    name: &'a str,
    return_to: Option<&'a str>,
    gateway: &'a str,
    mock_base: &'a str,
}

fn no_partner_page(t: &Page) -> Response {
    message_page(t, StatusCode::NOT_FOUND, &t.t("mock-no-partner-title"), &t.t("mock-no-partner-what"), None)
}

/// `return_to` must be the gateway's own SSO URL — `/saml/sso` or, IdP-initiated, `/saml/init` (the
/// gateway checks it again).
fn valid_return_to(p: &PartnerConfig, rt: &str) -> bool {
    ["/saml/sso?", "/saml/init?"].iter().any(|path| rt.starts_with(&format!("{}{path}", p.gateway_base_url)))
        && rt.len() <= 8192
        && !rt.contains(['\\', '\n', '\r'])
}

/// `GET /partner[?return_to=…]`: the demo partner platform.
async fn partner(State(s): State<MockSp>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let t = s.page(&headers);
    let Some(p) = s.0.partner.as_ref() else { return no_partner_page(&t) };
    let q = match params(raw.as_deref(), &["return_to"]) {
        Ok(q) => q,
        Err(r) => return bad(&t, r),
    };
    let return_to = q.get("return_to").filter(|rt| valid_return_to(p, rt)).map(String::as_str);
    let page = PartnerPage {
        t: &t,
        user: "cust-1001",
        name: "Alice Zhang",
        return_to,
        gateway: &p.gateway_base_url,
        mock_base: &s.0.urls.base,
    };
    render(StatusCode::OK, &t, &page, CSP_STATIC)
}

/// `POST /partner/go`: mints a hand-off token server-side and sends the browser to the gateway.
async fn partner_go(State(s): State<MockSp>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let t = s.page(&headers);
    let Some(p) = s.0.partner.as_ref() else { return no_partner_page(&t) };
    let f = match form(&body, &["user", "name", "service", "return_to"]) {
        Ok(f) => f,
        Err(r) => return bad(&t, r),
    };
    let user = f.get("user").map(|u| u.trim().to_owned()).unwrap_or_default();
    if user.is_empty() || user.chars().count() > 128 || user.chars().any(char::is_control) {
        return bad(&t, refuse("user", "the customer ID must be 1–128 characters"));
    }
    let name = f.get("name").map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if let Some(n) = &name
        && let Err(e) = crate::huawei::check_huawei_attribute(crate::huawei::HuaweiAttribute::Name, n)
    {
        return bad(&t, refuse("name", e.to_string()));
    }
    let now = now_unix();
    let claims = crate::handoff::Claims {
        sub: user,
        iat: now,
        exp: now + 60,
        jti: crate::handoff::new_jti(),
        name,
        mobile: None,
        email: None,
    };
    let token = crate::handoff::issue(&p.handoff_secret, &claims);
    let enc = crate::huawei::encode_component;
    let mut target = format!("{}/console?token={}", p.gateway_base_url, enc(&token));
    match f.get("return_to").filter(|rt| !rt.is_empty()) {
        Some(rt) if valid_return_to(p, rt) => {
            target.push_str("&return_to=");
            target.push_str(&enc(rt));
        }
        Some(_) => return bad(&t, refuse("return_to", "return_to must be the gateway's /saml/sso or /saml/init URL")),
        None => {
            let service = f.get("service").map(String::as_str).unwrap_or("console");
            if service.len() > 2048 {
                return bad(&t, refuse("service", "service is too long"));
            }
            target.push_str("&service=");
            target.push_str(&enc(service));
        }
    }
    redirect(StatusCode::SEE_OTHER, &target)
}

/// The mock SP's routes.
pub fn router(s: MockSp) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/healthz", get(healthz))
        .route("/assets/mocksp.css", get(stylesheet))
        .route("/metadata", get(metadata))
        .route("/authui/saml/login", get(login))
        .route("/authui/saml/SAMLAssertionConsumer", post(acs))
        .route("/authui/bind", get(bind_page).post(bind_submit))
        .route("/console", get(console))
        .route("/authui/logout", post(logout))
        .route("/authui/saml/LogoutServiceHTTPRedirect", get(slo))
        .route("/authui/saml/LogoutServiceHTTPRedirectResponse", get(logout_response))
        .route("/partner", get(partner))
        .route("/partner/go", post(partner_go))
        .with_state(s)
        .layer(axum::extract::DefaultBodyLimit::max(512 * 1024))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(512 * 1024))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(tower::limit::ConcurrencyLimitLayer::new(256))
}

/// Runs a mock SP until `shutdown` completes.
pub async fn serve_with(
    opts: &MockSpOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let sp = MockSp::new(opts)?;
    let listener =
        tokio::net::TcpListener::bind(&opts.bind).await.with_context(|| format!("cannot listen on {}", opts.bind))?;
    tracing::info!(
        "mock SP listening on http://{} — metadata {}/metadata, entityID {}",
        listener.local_addr()?,
        sp.urls().base,
        sp.urls().entity_id
    );
    axum::serve(listener, router(sp)).with_graceful_shutdown(shutdown).await?;
    Ok(())
}

pub use crate::util::shutdown_signal;

#[cfg(test)]
mod tests {
    use super::*;
    use askama::Template as _;
    use std::collections::BTreeSet;

    #[test]
    fn the_mock_speaks_the_language_of_the_site_it_plays() {
        assert_eq!(site_lang(DEFAULT_SITE), Lang::ZhCn);
        assert_eq!(site_lang(Site::Intl), Lang::En);
        assert_eq!(site_lang(Site::Eu), Lang::En);
        // The header's word mark: "HUAWEI CLOUD", "华为云".
        assert_eq!(Lang::En.text("mock-logo-huawei") + &Lang::En.text("mock-logo-cloud"), "HUAWEI CLOUD");
        assert_eq!(Lang::ZhCn.text("mock-logo-huawei") + &Lang::ZhCn.text("mock-logo-cloud"), "华为云");
    }

    #[test]
    fn every_check_the_mock_names_is_explained_in_both_languages() {
        // Every check named by `refuse` in the mock's source, and the refusal reasons of web::params.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/mocksp");
        let mut named = BTreeSet::new();
        for e in std::fs::read_dir(&root).unwrap().flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap();
            for (at, _) in text.match_indices("refuse(") {
                let rest = text[at + "refuse(".len()..].trim_start();
                // (A check is a snake_case word; this skips the scan's own `"refuse("`.)
                if let Some(lit) = rest.strip_prefix('"').and_then(|r| r.split_once('"')).map(|(l, _)| l)
                    && !lit.is_empty()
                    && lit.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                {
                    named.insert(lit.to_owned());
                }
            }
        }
        assert!(named.len() > 20, "the scan found only {named:?}");
        named.insert(crate::web::params::query_params("a=1&a=2", &["a"]).unwrap_err().reason.to_owned());
        named.insert(crate::web::params::form_fields(&[0xff], &["a"]).unwrap_err().reason.to_owned());
        named.insert(crate::web::params::query_too_long().reason.to_owned());
        for check in &named {
            assert!(CHECKS.iter().any(|(c, _)| c == check), "check `{check}` has no entry in CHECKS");
        }
        for lang in Lang::ALL {
            let ids: BTreeSet<String> = lang.message_ids().into_iter().collect();
            for id in CHECKS.iter().map(|(_, id)| *id).chain(["mock-check-other"]) {
                assert!(ids.contains(id), "{id} is missing from catalog {}", lang.tag());
            }
        }
        assert_eq!(check_message_id("no_such_check"), "mock-check-other");
        let zh = Page::new(Lang::ZhCn, Arc::new(Brand::default()));
        assert_eq!(zh.t(check_message_id("assertion_signature")), "断言没有 IdP 的有效签名，或在签名后被篡改。");
    }

    /// Every page of the mock, rendered in both languages: `<html lang>`, no inline style, the
    /// stylesheet linked, and the page's words in its language.
    #[test]
    fn pages_render_in_both_languages_without_inline_style() {
        for lang in Lang::ALL {
            let t = Page::new(lang, Arc::new(Brand::default()));
            let t = &t;
            let binding = t.t2("mock-console-binding", "name", "acme-dev", "id", "0a1b");
            let pages = [
                ErrorPage { t, status: "403", check: "audience", why: &t.t("mock-check-audience"), message: "m" }
                    .render()
                    .unwrap(),
                MessagePage {
                    t,
                    title: &t.t("mock-signed-out-title"),
                    message: &t.t("mock-signed-out-what"),
                    link: Some("/partner"),
                    link_text: &t.t("mock-back-to-partner"),
                }
                .render()
                .unwrap(),
                BindPage { t, x_user_id: "cust-1", name: "Alice Zhang", notify_url: "http://gw/huawei/bind" }
                    .render()
                    .unwrap(),
                NotifyPage {
                    t,
                    action: "http://gw/huawei/bind",
                    bind_request: "b",
                    sig_alg: "s",
                    signature: "sig",
                    domain_name: "acme-dev",
                    domain_id: "0a1b",
                    nonce: "n0nce",
                }
                .render()
                .unwrap(),
                ConsolePage {
                    t,
                    x_user_id: "cust-1",
                    name: "Alice Zhang",
                    name_id: "_n",
                    session_index: "_s",
                    service: "https://console.huaweicloud.com/",
                    first_login: true,
                    binding: Some(binding.clone()),
                    idp: "http://gw/saml/metadata",
                    attributes: vec![("xUserId".into(), "cust-1".into())],
                }
                .render()
                .unwrap(),
                PartnerPage {
                    t,
                    user: "cust-1",
                    name: "Alice Zhang",
                    return_to: None,
                    gateway: "http://gw",
                    mock_base: "http://sp",
                }
                .render()
                .unwrap(),
            ];
            let (signed_out, bind, console, partner) = match lang {
                Lang::ZhCn => ("已退出登录", "绑定华为云账号", "欢迎使用华为云控制台（模拟）", "进入控制台"),
                Lang::En => (
                    "Signed out",
                    "Bind a HUAWEI CLOUD account",
                    "Welcome to the (mock) HUAWEI CLOUD console",
                    "Go to console",
                ),
            };
            for html in &pages {
                assert!(html.contains(&format!("<html lang=\"{}\">", lang.tag())), "{html}");
                assert!(!html.contains("style=") && !html.contains("<style"), "inline style in {html}");
                assert!(html.contains("<link rel=\"stylesheet\" href=\"/assets/mocksp.css\">"), "{html}");
            }
            assert!(pages[1].contains(&format!("id=\"title\">{signed_out}<")), "{}", pages[1]);
            assert!(pages[2].contains(&format!("id=\"heading\">{bind}<")), "{}", pages[2]);
            assert!(pages[3].contains("class=\"hidden\"") && pages[3].contains("<script nonce=\"n0nce\">"));
            assert!(pages[4].contains(&format!("id=\"heading\">{console}<")), "{}", pages[4]);
            assert!(pages[4].contains("domainId") && pages[4].contains(&binding), "{}", pages[4]);
            assert!(pages[5].contains(&format!("id=\"go-to-console\">{partner}<")), "{}", pages[5]);
            assert!(pages[5].contains("class=\"partner-demo\""), "{}", pages[5]);
        }
    }

    #[test]
    fn the_stylesheet_holds_both_looks_and_the_csp_allows_no_inline_style() {
        assert!(STYLESHEET.contains("body.mocksp") && STYLESHEET.contains("body.partner-demo"));
        assert!(STYLESHEET.contains(".hidden { display: none; }"));
        for csp in [CSP_STATIC.to_owned(), csp_notify("abc", "http://gw")] {
            assert!(csp.contains("style-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        }
        assert!(csp_notify("abc", "http://gw").contains("script-src 'nonce-abc'; frame-src http://gw;"));
    }
}
