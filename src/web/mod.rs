//! The HTTP room: it only maps HTTP. Each handler extracts what the request carries, calls one use
//! case of the [`gateway`](crate::gateway) layer and renders its answer; refusals become responses in
//! one place ([`error`]). Nothing below this room knows axum.
//!
//! * [`router`] — the routes and the layers around them (limits, security headers, correlation id);
//! * [`serve`] — start-up and graceful shutdown;
//! * [`AppState`] — the shared [`Gateway`] plus the metrics handle;
//! * [`params`] — query and form parsing (also used by the mock SP); [`cookies`] — the session cookie.

use std::ops::Deref;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::config::Settings;
use crate::gateway::Gateway;

pub mod admin;
mod bind;
mod console;
pub mod cookies;
mod error;
mod health;
pub mod limits;
pub mod params;
mod slo;
mod sso;
pub mod ui;

pub use cookies::SESSION_COOKIE;
pub use error::{Answer, Caller, Failure, Internal, Refusal, status_of, wants_json};
pub use params::{MAX_QUERY_BYTES, form_fields, query_params};
pub use sso::post_form_html;

/// Everything a request handler needs; cheap to clone. It derefs to the [`Gateway`].
#[derive(Clone)]
pub struct AppState {
    pub gateway: Arc<Gateway>,
    pub metrics: PrometheusHandle,
    /// The pages' brand, stylesheet and CSP (config `[ui]`).
    pub ui: Arc<ui::Ui>,
}

impl Deref for AppState {
    type Target = Gateway;
    fn deref(&self) -> &Gateway {
        &self.gateway
    }
}

impl AppState {
    /// Builds the gateway (see [`Gateway::build`]) and attaches the metrics recorder.
    pub async fn build(settings: Settings) -> anyhow::Result<AppState> {
        Ok(AppState::new(Arc::new(Gateway::build(settings).await?)))
    }

    pub fn new(gateway: Arc<Gateway>) -> AppState {
        let ui = Arc::new(ui::Ui::from_config(&gateway.settings.config));
        AppState { gateway, metrics: metrics_handle(), ui }
    }
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

async fn metadata_xml(State(state): State<AppState>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/samlmetadata+xml; charset=utf-8")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"IDP Metadata.xml\"")),
        ],
        state.idp().metadata.clone(),
    )
        .into_response()
}

/// Marks a response whose CSP lets named origins frame it (no X-Frame-Options then).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Framable;

/// Security headers on every response (the pages' CSP: [`ui::Ui::csp`]).
/// What [`security_headers`] adds: the CSP, and HSTS when the public URL is https.
#[derive(Clone)]
struct SecurityHeaders {
    csp: HeaderValue,
    hsts: bool,
}

/// One year; no `includeSubDomains` (the partner's other hosts are not ours to pin).
const HSTS: &str = "max-age=31536000";

async fn security_headers(State(sh): State<SecurityHeaders>, req: Request, next: Next) -> Response {
    let SecurityHeaders { csp, hsts } = sh;
    let mut resp = next.run(req).await;
    if hsts {
        resp.headers_mut().entry(header::STRICT_TRANSPORT_SECURITY).or_insert(HeaderValue::from_static(HSTS));
    }
    resp.headers_mut().entry("x-content-type-options").or_insert(HeaderValue::from_static("nosniff"));
    // A route that lets named origins frame it (`/huawei/bind`) sets its own CSP and marks the
    // response [`Framable`]; X-Frame-Options cannot name origins, so it is sent everywhere else.
    if resp.extensions().get::<Framable>().is_none() {
        let h = resp.headers_mut();
        h.entry("x-frame-options").or_insert(HeaderValue::from_static("DENY"));
    }
    let h = resp.headers_mut();
    h.entry("referrer-policy").or_insert(HeaderValue::from_static("no-referrer"));
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(csp);
    resp
}

/// A 302 to `location` (a value the gateway built or the partner configured, never one from the
/// request), not cached.
pub(crate) fn found(location: &str) -> Answer {
    let loc = HeaderValue::from_str(location).map_err(Internal::from)?;
    let mut r = StatusCode::FOUND.into_response();
    r.headers_mut().insert(header::LOCATION, loc);
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let cfg = &state.settings.config.server;
    let body_limit = cfg.max_body_bytes;
    let timeout = Duration::from_secs(cfg.request_timeout_secs);
    let concurrency = cfg.max_concurrent_requests;
    let limiter = Arc::new(limits::RateLimiter::new(cfg.rate_limit_per_minute));
    // Validated with the config (`server.trusted_proxies[n]`); an invalid entry cannot reach here.
    let setup = Arc::new(error::RequestSetup {
        rule: crate::util::net::ClientAddrRule::new(&cfg.trusted_proxies, cfg.trust_forwarded_for).unwrap_or_default(),
        ui: state.ui.clone(),
        gateway: Some(state.gateway.clone()),
        max_body_bytes: body_limit,
    });
    // Built from validated config values (an origin, quoted keywords): always a valid header value.
    let csp = HeaderValue::from_str(&state.ui.csp(None)).unwrap_or(HeaderValue::from_static("default-src 'none'"));
    // Served over https (here, with server.tls_cert, or by the proxy in front): browsers keep to it.
    let https = cfg.base_url.starts_with("https://");
    let mut routes = health_routes();
    // With an internal metrics listener, /metrics is not served to customers.
    if cfg.metrics_bind.is_none() {
        routes = routes.route("/metrics", get(health::metrics));
    }
    routes
        .route("/saml/metadata", get(metadata_xml))
        .route("/console", get(console::console))
        .route("/saml/sso", get(sso::sso_redirect).post(sso::sso_post))
        .route("/saml/init", get(sso::sso_init))
        .route("/saml/slo", get(slo::slo))
        .route("/logout", get(slo::logout))
        .route(
            "/huawei/bind",
            axum::routing::post(bind::bind).layer(middleware::from_fn_with_state(state.clone(), bind::frame_policy)),
        )
        .route("/return/order-paid", get(slo::order_paid))
        .route("/return/recharge", get(slo::recharge))
        .merge(admin::routes())
        .merge(ui::routes())
        .with_state(state)
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(limiter, limits::limit))
        .layer(middleware::from_fn_with_state(body_limit, limits::read_body_first))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(error::panicked))
        .layer(middleware::from_fn_with_state(setup, error::around_request))
        .layer(middleware::from_fn_with_state(SecurityHeaders { csp, hsts: https }, security_headers))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, timeout))
        .layer(tower::limit::ConcurrencyLimitLayer::new(concurrency))
}

/// `/healthz` (the store answers), `/healthz/live` and `/healthz/ready`, on both listeners.
fn health_routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/healthz/live", get(health::live))
        .route("/healthz/ready", get(health::ready))
}

/// The internal listener's application (`server.metrics_bind`): `/metrics` and the health endpoints.
pub fn metrics_router(state: AppState) -> Router {
    health_routes()
        .route("/metrics", get(health::metrics))
        .with_state(state)
        .layer(middleware::from_fn_with_state(Arc::new(error::RequestSetup::default()), error::around_request))
}

/// Serves `app` on `listener` until SIGTERM or Ctrl-C, finishing open requests.
pub async fn serve_on(listener: tokio::net::TcpListener, app: Router) -> anyhow::Result<()> {
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(crate::util::shutdown_signal())
        .await?;
    Ok(())
}

/// `server.tls_cert` and `server.tls_key`, resolved, when the gateway serves TLS itself.
fn tls_files(s: &Settings) -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    match (&s.config.server.tls_cert, &s.config.server.tls_key) {
        (Some(c), Some(k)) => Some((s.resolve(c), s.resolve(k))),
        _ => None,
    }
}

/// How often the TLS files are looked at for a change (besides SIGHUP).
const TLS_POLL: Duration = Duration::from_secs(5);

/// Serves `app` over HTTPS (rustls) on `listener` until SIGTERM or Ctrl-C. The certificate and key
/// are re-read on SIGHUP and when either file changes (a renewed certificate is used for new
/// connections without a restart); a pair that does not load is logged and the old one kept.
async fn serve_tls(
    listener: tokio::net::TcpListener,
    app: Router,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
) -> anyhow::Result<()> {
    if let Some(mode) =
        crate::util::fs::loose_mode(&key).with_context(|| format!("server.tls_key {}", key.display()))?
    {
        anyhow::bail!(
            "server.tls_key {} is readable by group or others (mode {mode:o}); run `chmod 600 {}`",
            key.display(),
            key.display()
        );
    }
    let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
        .await
        .with_context(|| format!("server.tls_cert {} / server.tls_key {}", cert.display(), key.display()))?;
    let reloader = tokio::spawn(reload_tls(config.clone(), cert, key));
    let handle = axum_server::Handle::<std::net::SocketAddr>::new();
    let on_signal = handle.clone();
    tokio::spawn(async move {
        crate::util::shutdown_signal().await;
        on_signal.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "samlgate listening on https://{addr}");
    axum_server::from_tcp_rustls(listener.into_std()?, config)?
        .handle(handle)
        .serve(app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .await?;
    reloader.abort();
    Ok(())
}

/// The files' modification times and lengths, to notice a change.
fn tls_stamp(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Option<(std::time::SystemTime, u64, std::time::SystemTime, u64)> {
    let c = std::fs::metadata(cert).ok()?;
    let k = std::fs::metadata(key).ok()?;
    Some((c.modified().ok()?, c.len(), k.modified().ok()?, k.len()))
}

async fn reload_tls(config: axum_server::tls_rustls::RustlsConfig, cert: std::path::PathBuf, key: std::path::PathBuf) {
    let mut hup = crate::gateway::housekeeping::hangups();
    let mut seen = tls_stamp(&cert, &key);
    loop {
        let by_signal = tokio::select! {
            _ = crate::gateway::housekeeping::hangup(&mut hup) => true,
            _ = tokio::time::sleep(TLS_POLL) => false,
        };
        let now = tls_stamp(&cert, &key);
        if !by_signal && now == seen {
            continue;
        }
        seen = now;
        if let Ok(Some(mode)) = crate::util::fs::loose_mode(&key) {
            tracing::error!(key = %key.display(), "server.tls_key is readable by group or others (mode {mode:o}): kept the old certificate");
            continue;
        }
        match config.reload_from_pem_file(&cert, &key).await {
            Ok(()) => tracing::info!(cert = %cert.display(), "re-read the TLS certificate and key"),
            Err(e) => {
                tracing::error!(cert = %cert.display(), error = %e, "the TLS certificate or key does not load: kept the old one");
            }
        }
    }
}

/// Runs the gateway until SIGTERM or Ctrl-C.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let bind = settings.config.server.bind.clone();
    for w in crate::gateway::setup::init_warnings(&settings.config) {
        tracing::warn!("{w}");
    }
    let state = AppState::build(settings).await?;
    let housekeeping = crate::gateway::housekeeping::spawn(state.gateway.clone());
    let internal = match state.settings.config.server.metrics_bind.clone() {
        Some(mbind) => {
            let l = tokio::net::TcpListener::bind(&mbind).await.with_context(|| format!("cannot listen on {mbind}"))?;
            tracing::info!(addr = %l.local_addr()?, "metrics and health on the internal listener");
            Some(tokio::spawn(serve_on(l, metrics_router(state.clone()))))
        }
        None => None,
    };
    let tls = tls_files(&state.settings);
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(&bind).await.with_context(|| format!("cannot listen on {bind}"))?;
    let addr = listener.local_addr()?;
    match tls {
        None => {
            tracing::info!(%addr, "samlgate listening on http://{addr}");
            serve_on(listener, app).await?;
        }
        Some((cert, key)) => serve_tls(listener, app, cert, key).await?,
    }
    if let Some(i) = internal {
        i.abort();
    }
    housekeeping.abort();
    tracing::info!("stopped");
    Ok(())
}
