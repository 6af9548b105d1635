//! The HTTP layer: axum routers, shared state, start-up, and the one place where refusals become
//! HTTP responses (an HTML page or JSON, always with a correlation id that is also in the log).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::config::Settings;
use crate::keys::IdpKeys;
use crate::saml::dsig::{SignatureAlgorithm, SigningKey};
use crate::saml::metadata::{self, IdpMetadataParams};
use crate::store::Store;

pub mod admin;
pub mod bind;
mod console;
mod health;
pub mod limits;
mod slo;
pub mod sp_cache;
pub mod sso;

pub use admin::{ReturnKind, return_url};
pub use console::{SESSION_COOKIE, SessionUser};

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub keys: Arc<IdpKeys>,
    pub store: Arc<dyn Store>,
    pub idp_metadata: Arc<str>,
    pub metrics: PrometheusHandle,
    pub signing_key: Arc<SigningKey>,
    pub sp_cache: Arc<sp_cache::SpCache>,
}

impl AppState {
    /// Opens the store (running migrations), loads the keys, renders the metadata and makes sure the
    /// configured SP metadata is imported.
    pub async fn build(settings: Settings) -> anyhow::Result<AppState> {
        let store = crate::store::open(&settings.config.store.url, &settings.dir)
            .await
            .with_context(|| format!("cannot open the store {}", settings.config.store.url))?;
        let keys = crate::cli::load_keys(&settings).map_err(|e| anyhow::anyhow!(e.message))?;
        let xml = idp_metadata(&settings, &keys)?;
        let algorithm: SignatureAlgorithm = settings
            .config
            .idp
            .signature_algorithm
            .parse()
            .map_err(|e| anyhow::anyhow!("idp.signature_algorithm: {e}"))?;
        let signing_key = SigningKey::new(keys.pkey.clone(), keys.cert_der.clone(), algorithm)
            .context("the IdP key cannot sign with idp.signature_algorithm")?;
        for w in crate::gateway::sp::sync_at_start(&settings, store.as_ref()).await? {
            tracing::warn!("{w}");
        }
        Ok(AppState {
            settings: Arc::new(settings),
            keys: Arc::new(keys),
            store,
            idp_metadata: Arc::from(xml),
            metrics: metrics_handle(),
            signing_key: Arc::new(signing_key),
            sp_cache: Arc::new(sp_cache::SpCache::default()),
        })
    }
}

/// IDP Metadata.xml for the current keys and settings.
pub fn idp_metadata(settings: &Settings, keys: &IdpKeys) -> Result<String, crate::saml::xml::XmlWriteError> {
    let sso = settings.sso_url();
    metadata::idp_metadata_xml(&IdpMetadataParams {
        entity_id: settings.config.idp.entity_id.clone(),
        sso_redirect_url: sso.clone(),
        sso_post_url: sso,
        slo_redirect_url: settings.slo_url(),
        signing_certs_der: vec![keys.cert_der.clone()],
        valid_until: None,
    })
}

pub fn now_unix() -> i64 {
    crate::util::now_unix()
}

fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0])
                .expect("static buckets are valid")
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full("samlgate_store_batch_ops".into()),
                    &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0],
                )
                .expect("static buckets are valid")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (tests that build several states): keep ours readable.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Sets up `tracing` once: text or JSON lines on stderr, filter from `SAMLGATE_LOG` (default `info`).
pub fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("SAMLGATE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

/// A request refused for a reason the client can fix; rendered by `render_refusals`.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: StatusCode,
    /// Stable machine-readable reason (`signature`, `unknown_issuer`, `replay`, …).
    pub reason: &'static str,
    /// What failed, for people.
    pub message: String,
}

impl Refusal {
    pub fn new(status: StatusCode, reason: &'static str, message: impl Into<String>) -> Self {
        Refusal { status, reason, message: message.into() }
    }
    pub fn bad_request(reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, reason, message)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut r = self.status.into_response();
        r.extensions_mut().insert(self);
        r
    }
}

/// An internal failure: logged with details, shown as a generic 500 with the correlation id.
#[derive(Debug)]
pub struct Internal(pub anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for Internal {
    fn from(e: E) -> Self {
        Internal(e.into())
    }
}

impl IntoResponse for Internal {
    fn into_response(self) -> Response {
        let msg = format!("{:#}", self.0);
        let mut r = StatusCode::INTERNAL_SERVER_ERROR.into_response();
        r.extensions_mut().insert(InternalDetail(msg));
        r
    }
}

#[derive(Debug, Clone)]
struct InternalDetail(String);

/// Correlation id of the current request (also in the `x-correlation-id` response header and every log line).
#[derive(Debug, Clone)]
pub struct CorrelationId(pub String);

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    status: u16,
    reason: &'a str,
    message: &'a str,
    correlation_id: &'a str,
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(|a| a.contains("application/json") && !a.contains("text/html"))
        .unwrap_or(false)
}

/// Middleware: correlation id, request metrics, and rendering of refusals and internal errors.
async fn around_request(mut req: Request, next: Next) -> Response {
    let cid = {
        let mut b = [0u8; 8];
        let _ = openssl::rand::rand_bytes(&mut b);
        hex::encode(b)
    };
    req.extensions_mut().insert(CorrelationId(cid.clone()));
    let json = wants_json(req.headers());
    let route =
        req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned()).unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().clone();
    let span = tracing::info_span!("request", correlation_id = %cid, %method, route = %route);
    let _entered = span.enter();
    drop(_entered);
    let mut resp = {
        use tracing::Instrument;
        next.run(req).instrument(span.clone()).await
    };
    let status = resp.status();
    if let Some(refusal) = resp.extensions_mut().remove::<Refusal>() {
        tracing::warn!(parent: &span, reason = refusal.reason, status = refusal.status.as_u16(), "refused: {}", refusal.message);
        metrics::counter!("samlgate_refusals_total", "reason" => refusal.reason).increment(1);
        let keep = resp.headers().get(header::RETRY_AFTER).cloned();
        resp = render_problem(refusal.status, refusal.reason, &refusal.message, &cid, json);
        if let Some(v) = keep {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
    } else if let Some(InternalDetail(msg)) = resp.extensions_mut().remove::<InternalDetail>() {
        tracing::error!(parent: &span, "internal error: {msg}");
        resp = render_problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the gateway could not complete this request",
            &cid,
            json,
        );
    } else if status == StatusCode::NOT_FOUND && resp.headers().get(header::CONTENT_TYPE).is_none() {
        resp = render_problem(status, "not_found", "no such page", &cid, json);
    } else if status == StatusCode::PAYLOAD_TOO_LARGE {
        metrics::counter!("samlgate_refusals_total", "reason" => "too_large").increment(1);
        resp = render_problem(status, "too_large", "the request body is too large", &cid, json);
    }
    metrics::counter!("samlgate_http_requests_total", "route" => route, "status" => resp.status().as_u16().to_string())
        .increment(1);
    if let Ok(v) = HeaderValue::from_str(&cid) {
        resp.headers_mut().insert("x-correlation-id", v);
    }
    resp
}

fn render_problem(status: StatusCode, reason: &str, message: &str, cid: &str, json: bool) -> Response {
    let mut resp = if json {
        (status, axum::Json(serde_json::json!({"error": reason, "message": message, "correlation_id": cid})))
            .into_response()
    } else {
        let page = ErrorPage {
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            reason,
            message,
            correlation_id: cid,
        };
        match askama::Template::render(&page) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, format!("{reason}: {message} (correlation id {cid})")).into_response(),
        }
    };
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn metadata_xml(State(state): State<AppState>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/samlmetadata+xml; charset=utf-8")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"IDP Metadata.xml\"")),
        ],
        state.idp_metadata.to_string(),
    )
        .into_response()
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"))], state.metrics.render())
        .into_response()
}

/// Longest query string accepted on any endpoint.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;

/// Decodes a query string into the `known` parameters, refusing duplicates of any of them (parameter
/// pollution) and oversized input. Unknown parameters are ignored.
pub fn query_params(raw: &str, known: &[&str]) -> Result<std::collections::HashMap<String, String>, Refusal> {
    if raw.len() > MAX_QUERY_BYTES {
        return Err(Refusal::new(StatusCode::URI_TOO_LONG, "too_large", "the query string is too long"));
    }
    unique_params(raw, known)
}

fn unique_params(raw: &str, known: &[&str]) -> Result<std::collections::HashMap<String, String>, Refusal> {
    let mut out = std::collections::HashMap::new();
    for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
        if let Some(name) = known.iter().find(|n| **n == k)
            && out.insert((*name).to_owned(), v.into_owned()).is_some()
        {
            return Err(Refusal::bad_request(
                "duplicate_parameter",
                format!("parameter `{name}` appears more than once"),
            ));
        }
    }
    Ok(out)
}

/// Decodes an `application/x-www-form-urlencoded` body into the `known` fields, refusing duplicates.
pub fn form_fields(body: &[u8], known: &[&str]) -> Result<std::collections::HashMap<String, String>, Refusal> {
    match std::str::from_utf8(body) {
        Ok(s) => unique_params(s, known),
        Err(_) => Err(Refusal::bad_request("bad_encoding", "the form body is not UTF-8")),
    }
}

/// Security headers on every response.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.entry("x-content-type-options").or_insert(HeaderValue::from_static("nosniff"));
    h.entry("x-frame-options").or_insert(HeaderValue::from_static("DENY"));
    h.entry("referrer-policy").or_insert(HeaderValue::from_static("no-referrer"));
    h.entry("content-security-policy").or_insert(HeaderValue::from_static(
        "default-src 'none'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    ));
    resp
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let cfg = &state.settings.config.server;
    let body_limit = cfg.max_body_bytes;
    let timeout = Duration::from_secs(cfg.request_timeout_secs);
    let concurrency = cfg.max_concurrent_requests;
    let limiter = Arc::new(limits::RateLimiter::new(cfg.rate_limit_per_minute, cfg.trust_forwarded_for));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/saml/metadata", get(metadata_xml))
        .route("/metrics", get(metrics_text))
        .route("/console", get(console::console))
        .route("/saml/sso", get(sso::sso_redirect).post(sso::sso_post))
        .route("/saml/slo", get(slo::slo))
        .route("/logout", get(slo::logout))
        .route("/huawei/bind", axum::routing::post(bind::bind))
        .route("/return/order-paid", get(slo::order_paid))
        .route("/return/recharge", get(slo::recharge))
        .merge(admin::routes())
        .with_state(state)
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(body_limit))
        .layer(middleware::from_fn_with_state(limiter, limits::limit))
        .layer(middleware::from_fn(around_request))
        .layer(middleware::from_fn(security_headers))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, timeout))
        .layer(tower::limit::ConcurrencyLimitLayer::new(concurrency))
}

/// Resolves when Ctrl-C or SIGTERM arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing open requests");
}

/// Background work of a running gateway: purge expired sessions and one-time IDs every minute, and
/// re-fetch the SP metadata from its URL every `huawei.sp_metadata_refresh_secs` (keeping the last good
/// copy when a fetch fails).
pub fn spawn_housekeeping(state: &AppState) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        let refresh = state.settings.config.huawei.sp_metadata_refresh_secs;
        let refresh_url = refresh > 0;
        let mut purge_tick = tokio::time::interval(Duration::from_secs(60));
        let mut refresh_tick = tokio::time::interval(Duration::from_secs(refresh.max(5)));
        refresh_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        refresh_tick.tick().await; // the first tick is immediate; start already loaded the metadata
        loop {
            tokio::select! {
                _ = purge_tick.tick() => {
                    if let Err(e) = state.store.purge_expired(now_unix()).await {
                        tracing::warn!(error = %e, "purging expired rows failed");
                    }
                }
                _ = refresh_tick.tick(), if refresh_url => {
                    match crate::gateway::sp::refresh_url_sources(&state.settings, state.store.as_ref()).await {
                        Ok(0) => {}
                        Ok(_) => state.sp_cache.clear(),
                        Err(e) => tracing::warn!(error = %e, "SP metadata refresh failed"),
                    }
                }
            }
        }
    })
}

/// Runs the gateway until SIGTERM or Ctrl-C.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let bind = settings.config.server.bind.clone();
    for w in crate::cli::init_warnings(&settings.config) {
        tracing::warn!("{w}");
    }
    let state = AppState::build(settings).await?;
    let housekeeping = spawn_housekeeping(&state);
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(&bind).await.with_context(|| format!("cannot listen on {bind}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "samlgate listening on http://{addr}");
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    housekeeping.abort();
    tracing::info!("stopped");
    Ok(())
}
