//! The one place where refusals and internal failures become HTTP responses: a handler answers
//! [`Answer`]; its error side ([`Failure`]) comes from a [`gateway::Error`] (one `From`, mapping the
//! refusal [`Kind`] to a status), a [`Refusal`] made here, or an [`Internal`] failure. The
//! [`around_request`] middleware renders them as an HTML page or JSON, always with the correlation id
//! that is also in the log line and the audit event.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ui::{Page, Ui};
use crate::gateway::{self, Kind};
use crate::util::net::ClientAddrRule;

/// What a handler returns.
pub type Answer = Result<Response, Failure>;

/// The error side of an [`Answer`]: a response already marked as a refusal or an internal failure.
#[derive(Debug)]
pub struct Failure(Response);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        self.0
    }
}

impl From<Refusal> for Failure {
    fn from(r: Refusal) -> Self {
        Failure(r.into_response())
    }
}

impl From<Internal> for Failure {
    fn from(i: Internal) -> Self {
        Failure(i.into_response())
    }
}

/// A store failure met while rendering (an admin page's listing): internal.
impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Self {
        Internal::from(e).into()
    }
}

/// The HTTP status of a refusal kind.
pub fn status_of(kind: Kind) -> StatusCode {
    match kind {
        Kind::Invalid => StatusCode::BAD_REQUEST,
        Kind::Unauthenticated => StatusCode::UNAUTHORIZED,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Kind::QueryTooLong => StatusCode::URI_TOO_LONG,
        Kind::UnsupportedMedia => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl From<gateway::Error> for Failure {
    fn from(e: gateway::Error) -> Self {
        match e {
            gateway::Error::Refused { kind, reason, message } => Refusal::new(status_of(kind), reason, message).into(),
            gateway::Error::Internal(e) => Internal(e).into(),
        }
    }
}

/// A request refused for a reason the client can fix; rendered by [`around_request`].
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

/// The answer to a handler that panicked (`tower_http::catch_panic`): rendered by
/// [`around_request`] as every internal error — the correlation id on the page and in the log, the
/// panic's message only in the log — instead of a reset connection. A panic is always a bug.
pub fn panicked(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    metrics::counter!("samlgate_panics_total").increment(1);
    Internal(anyhow::anyhow!("a handler panicked: {what}")).into_response()
}

/// Who sent the current request: its correlation id (also in the `x-correlation-id` response
/// header and every log line) and client address, as a request extension for the handlers.
pub use crate::gateway::Caller;

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: &'a Page,
    headline: String,
    what: String,
    back: Option<&'a str>,
    back_label: String,
    status: u16,
    reason: &'a str,
    message: &'a str,
    correlation_id: &'a str,
}

/// What a refusal page explains to a customer: each cause has `refusal-<id>-title` and `-what` in
/// both catalogs (a test goes over [`Cause::ALL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    LinkExpired,
    LinkUsed,
    LinkInvalid,
    NotSignedIn,
    AlreadyAnswered,
    RequestExpired,
    RequestEarly,
    Destination,
    Logout,
    Bind,
    NotConfigured,
    Rejected,
    Busy,
    NotFound,
    Unavailable,
    Internal,
    Admin,
    /// IdP-initiated SSO to an SP that does not take it, or is not known.
    SpNotAllowed,
}

impl Cause {
    #[cfg(test)]
    pub const ALL: [Cause; 18] = [
        Cause::LinkExpired,
        Cause::LinkUsed,
        Cause::LinkInvalid,
        Cause::NotSignedIn,
        Cause::AlreadyAnswered,
        Cause::RequestExpired,
        Cause::RequestEarly,
        Cause::Destination,
        Cause::Logout,
        Cause::Bind,
        Cause::NotConfigured,
        Cause::Rejected,
        Cause::Busy,
        Cause::NotFound,
        Cause::Unavailable,
        Cause::Internal,
        Cause::Admin,
        Cause::SpNotAllowed,
    ];

    /// The middle of its message ids.
    pub fn id(self) -> &'static str {
        match self {
            Cause::LinkExpired => "link-expired",
            Cause::LinkUsed => "link-used",
            Cause::LinkInvalid => "link-invalid",
            Cause::NotSignedIn => "not-signed-in",
            Cause::AlreadyAnswered => "already-answered",
            Cause::RequestExpired => "request-expired",
            Cause::RequestEarly => "request-early",
            Cause::Destination => "destination",
            Cause::Logout => "logout",
            Cause::Bind => "bind",
            Cause::NotConfigured => "not-configured",
            Cause::Rejected => "rejected",
            Cause::Busy => "busy",
            Cause::NotFound => "not-found",
            Cause::Unavailable => "unavailable",
            Cause::Internal => "internal",
            Cause::Admin => "admin",
            Cause::SpNotAllowed => "sp-not-allowed",
        }
    }

    /// The cause of a refusal, from its stable reason code and the route it happened on.
    pub fn of(status: StatusCode, reason: &str, route: &str) -> Cause {
        match (reason, route) {
            ("rate_limited", _) => Cause::Busy,
            ("not_found" | "method_not_allowed", _) => Cause::NotFound,
            ("internal", _) => Cause::Internal,
            ("not_configured", _) => Cause::NotConfigured,
            (_, r) if r.starts_with("/admin") => Cause::Admin,
            (_, "/saml/slo" | "/logout") => Cause::Logout,
            (_, "/huawei/bind") => Cause::Bind,
            ("token_expired" | "token_not_yet_valid", _) => Cause::LinkExpired,
            ("token_replayed", _) => Cause::LinkUsed,
            (r, _) if r.starts_with("token_") || r == "claim" => Cause::LinkInvalid,
            ("no_session", _) => Cause::NotSignedIn,
            ("replay", _) => Cause::AlreadyAnswered,
            ("expired", _) => Cause::RequestExpired,
            ("not_yet_valid", _) => Cause::RequestEarly,
            ("service" | "return_to", _) => Cause::Destination,
            ("unknown_sp" | "idp_initiated_off" | "missing_sp", _) => Cause::SpNotAllowed,
            _ if status == StatusCode::SERVICE_UNAVAILABLE => Cause::Unavailable,
            _ => Cause::Rejected,
        }
    }
}

/// Whether the client asked for JSON rather than a page.
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// The client address of `req`: the TCP peer, or behind trusted proxies the nearest untrusted
/// `X-Forwarded-For` entry (see [`ClientAddrRule`]). None without a socket (in-process tests).
fn client_addr(rule: &ClientAddrRule, req: &Request) -> Option<IpAddr> {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>()?.0.ip();
    // Lossy: bytes a client wrote to the left of a proxy's entry must not hide that entry.
    let lines: Vec<String> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    Some(rule.resolve(peer, lines.iter().map(String::as_str)))
}

/// What [`around_request`] needs: how to find the client address, and the pages' brand.
#[derive(Default)]
pub struct RequestSetup {
    pub rule: ClientAddrRule,
    pub ui: Arc<Ui>,
    /// Where refusals are audited (none on the internal metrics listener).
    pub gateway: Option<Arc<gateway::Gateway>>,
    /// `server.max_body_bytes`, named when a body is refused for its size.
    pub max_body_bytes: usize,
}

/// Appends the `request.refused` audit event of a refusal: its reason, status, route, method, client
/// address and correlation id, and the message naming the failed check (cut to 300 characters; the
/// messages never carry secrets). Rate-limited requests, refusals beyond a client's budget per minute,
/// and refusals while the writes in flight are at their cap are only counted
/// (`samlgate_refusals_total`, `samlgate_audit_dropped_total{why}`): auditing a flood would hand the
/// store to whoever floods. A store that does not answer within 2 s is not waited for.
async fn audit_refusal(gw: &gateway::Gateway, caller: &Caller, method: &str, route: &str, r: &Refusal) {
    if r.reason == "rate_limited" {
        return;
    }
    let dropped = |why: &'static str| metrics::counter!("samlgate_audit_dropped_total", "why" => why).increment(1);
    if !gw.refusal_audit.admit(caller.client, crate::util::now_unix()) {
        return dropped("client_limit");
    }
    let Some(_slot) = gw.refusal_audit.slot() else { return dropped("busy") };
    let message: String = r.message.chars().take(300).collect();
    let detail = serde_json::json!({
        "reason": r.reason,
        "status": r.status.as_u16(),
        "route": route,
        "method": method,
        "message": message,
    });
    let event = gateway::audit::event(gateway::AuditKind::Refused, "", route, detail, caller);
    match tokio::time::timeout(gateway::audit::REFUSAL_WRITE_TIMEOUT, gw.audit(event)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!("cannot audit the refusal: {e}"),
        Err(_) => {
            tracing::error!("the store did not take the refusal's audit event in time");
            dropped("timeout");
        }
    }
}

/// Middleware: correlation id and client address (the [`Caller`] extension), the request's language
/// and brand (the [`Page`] extension), request metrics, and rendering of refusals and internal errors.
/// A request's correlation id: 16 hex digits, the time in milliseconds (11 digits) then 20 random
/// bits. Time first, so each SSO hop's audit event lands at the right edge of the correlation-id index
/// (one page written per commit, not one per hop), and the ids of a moment sort together in logs.
pub fn correlation_id(now_millis: u64) -> String {
    let mut r = [0u8; 4];
    let _ = openssl::rand::rand_bytes(&mut r);
    let random = u32::from_le_bytes(r) & 0xF_FFFF;
    format!("{:011x}{random:05x}", now_millis & 0xFFF_FFFF_FFFF)
}

pub async fn around_request(State(setup): State<Arc<RequestSetup>>, mut req: Request, next: Next) -> Response {
    let rule = &setup.rule;
    let cid = correlation_id(crate::util::now_unix_millis());
    let client = client_addr(rule, &req);
    let caller = Caller::new(cid.clone(), client);
    req.extensions_mut().insert(caller.clone());
    let page = setup.ui.page(req.headers());
    req.extensions_mut().insert(page.clone());
    // The JSON admin API answers JSON whatever the client accepts.
    let json = wants_json(req.headers()) || req.uri().path().starts_with("/admin/api/");
    let route =
        req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned()).unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().clone();
    let client = client.map(|ip| ip.to_string()).unwrap_or_default();
    let span = tracing::info_span!("request", correlation_id = %cid, %client, %method, route = %route);
    let mut resp = {
        use tracing::Instrument;
        next.run(req).instrument(span.clone()).await
    };
    let status = resp.status();
    if let Some(refusal) = resp.extensions_mut().remove::<Refusal>() {
        tracing::warn!(parent: &span, reason = refusal.reason, status = refusal.status.as_u16(), "refused: {}", refusal.message);
        metrics::counter!("samlgate_refusals_total", "reason" => refusal.reason).increment(1);
        if let Some(gw) = &setup.gateway {
            audit_refusal(gw, &caller, method.as_str(), &route, &refusal).await;
        }
        // Headers that belong to the refusal survive its rendering.
        let keep: Vec<_> = [header::RETRY_AFTER, header::WWW_AUTHENTICATE, header::CONTENT_SECURITY_POLICY]
            .into_iter()
            .filter_map(|h| resp.headers().get(&h).cloned().map(|v| (h, v)))
            .collect();
        let framable = resp.extensions().get::<super::Framable>().copied();
        resp = render_problem(&page, &route, refusal.status, refusal.reason, &refusal.message, &cid, json);
        for (h, v) in keep {
            resp.headers_mut().insert(h, v);
        }
        if let Some(f) = framable {
            resp.extensions_mut().insert(f);
        }
    } else if let Some(InternalDetail(msg)) = resp.extensions_mut().remove::<InternalDetail>() {
        tracing::error!(parent: &span, "internal error: {msg}");
        resp = render_problem(
            &page,
            &route,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the gateway could not complete this request",
            &cid,
            json,
        );
    } else if status == StatusCode::NOT_FOUND && resp.headers().get(header::CONTENT_TYPE).is_none() {
        resp = render_problem(&page, &route, status, "not_found", "no such page", &cid, json);
    } else if status == StatusCode::METHOD_NOT_ALLOWED && resp.headers().get(header::CONTENT_TYPE).is_none() {
        let allow = resp.headers().get(header::ALLOW).cloned();
        resp = render_problem(
            &page,
            &route,
            status,
            "method_not_allowed",
            "this address does not take that method",
            &cid,
            json,
        );
        if let Some(a) = allow {
            resp.headers_mut().insert(header::ALLOW, a);
        }
    } else if status == StatusCode::PAYLOAD_TOO_LARGE {
        metrics::counter!("samlgate_refusals_total", "reason" => "too_large").increment(1);
        let msg = format!("the request body is larger than {} bytes (server.max_body_bytes)", setup.max_body_bytes);
        resp = render_problem(&page, &route, status, "too_large", &msg, &cid, json);
    }
    metrics::counter!("samlgate_http_requests_total", "route" => route, "status" => resp.status().as_u16().to_string())
        .increment(1);
    if let Ok(v) = HeaderValue::from_str(&cid) {
        resp.headers_mut().insert("x-correlation-id", v);
    }
    resp
}

fn render_problem(
    page: &Page,
    route: &str,
    status: StatusCode,
    reason: &str,
    message: &str,
    cid: &str,
    json: bool,
) -> Response {
    let mut resp = if json {
        (status, axum::Json(serde_json::json!({"error": reason, "message": message, "correlation_id": cid})))
            .into_response()
    } else {
        let cause = Cause::of(status, reason, route);
        let admin = cause == Cause::Admin;
        let cause = cause.id();
        let error_page = ErrorPage {
            t: page,
            headline: page.t(&format!("refusal-{cause}-title")),
            what: page.tp(&format!("refusal-{cause}-what")),
            back: if admin { Some("/admin") } else { page.partner_home() },
            back_label: if admin { page.t("continue") } else { page.tp("back-to-partner") },
            status: status.as_u16(),
            reason,
            message,
            correlation_id: cid,
        };
        match askama::Template::render(&error_page) {
            Ok(html) => {
                let mut r = super::ui::html_page(page, html);
                *r.status_mut() = status;
                r
            }
            Err(_) => (status, format!("{reason}: {message} (correlation id {cid})")).into_response(),
        }
    };
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_ids_are_16_hex_digits_in_time_order() {
        let a = correlation_id(1_765_000_000_000);
        let b = correlation_id(1_765_000_000_001);
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{a}");
        assert!(a.starts_with(&format!("{:011x}", 1_765_000_000_000u64)), "{a}");
        assert!(a < b, "{a} {b}");
        // The random part differs between ids of the same millisecond (20 bits: equal once in a million).
        let same: std::collections::HashSet<_> = (0..50).map(|_| correlation_id(7)).collect();
        assert!(same.len() > 45);
    }

    #[test]
    fn a_panic_becomes_an_internal_error_with_its_message_kept_for_the_log() {
        for payload in [Box::new("boom &str") as Box<dyn std::any::Any + Send>, Box::new(String::from("boom String"))] {
            let r = panicked(payload);
            assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
            let InternalDetail(msg) = r.extensions().get::<InternalDetail>().unwrap();
            assert!(msg.starts_with("a handler panicked: boom"), "{msg}");
        }
        let r = panicked(Box::new(7u8));
        assert!(r.extensions().get::<InternalDetail>().unwrap().0.contains("(no message)"));
    }

    #[test]
    fn every_refusal_kind_has_its_status() {
        let cases = [
            (Kind::Invalid, 400),
            (Kind::Unauthenticated, 401),
            (Kind::Forbidden, 403),
            (Kind::NotFound, 404),
            (Kind::Conflict, 409),
            (Kind::TooLarge, 413),
            (Kind::QueryTooLong, 414),
            (Kind::UnsupportedMedia, 415),
            (Kind::Unavailable, 503),
        ];
        for (kind, status) in cases {
            let Failure(r) = gateway::Error::refused(kind, "r", "m").into();
            assert_eq!(r.status().as_u16(), status, "{kind:?}");
            let refusal = r.extensions().get::<Refusal>().expect("marked as a refusal");
            assert_eq!((refusal.reason, refusal.message.as_str()), ("r", "m"));
        }
        let Failure(r) = gateway::Error::internal(anyhow::anyhow!("disk")).into();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(r.extensions().get::<InternalDetail>().is_some());
    }

    #[test]
    fn every_cause_is_explained_in_both_languages() {
        for lang in crate::util::i18n::Lang::ALL {
            let ids = lang.message_ids();
            for cause in Cause::ALL {
                for part in ["title", "what"] {
                    let id = format!("refusal-{}-{part}", cause.id());
                    assert!(ids.contains(&id), "{} has no {id}", lang.tag());
                }
            }
        }
        let (bad, unauth) = (StatusCode::BAD_REQUEST, StatusCode::UNAUTHORIZED);
        let cases = [
            (unauth, "token_expired", "/console", Cause::LinkExpired),
            (unauth, "token_signature", "/console", Cause::LinkInvalid),
            (unauth, "token_replayed", "/console", Cause::LinkUsed),
            (bad, "signature", "/saml/sso", Cause::Rejected),
            (bad, "replay", "/saml/sso", Cause::AlreadyAnswered),
            (bad, "expired", "/saml/sso", Cause::RequestExpired),
            (bad, "not_yet_valid", "/saml/sso", Cause::RequestEarly),
            // The same reasons on logout and on the binding notification say what those are about.
            (bad, "replay", "/saml/slo", Cause::Logout),
            (bad, "expired", "/saml/slo", Cause::Logout),
            (bad, "replay", "/huawei/bind", Cause::Bind),
            (StatusCode::NOT_FOUND, "not_configured", "/return/order-paid", Cause::NotConfigured),
            (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "/huawei/bind", Cause::NotFound),
            (bad, "csrf", "/admin/login", Cause::Admin),
            (StatusCode::SERVICE_UNAVAILABLE, "huawei_sp_missing", "/saml/sso", Cause::Unavailable),
            (StatusCode::TOO_MANY_REQUESTS, "rate_limited", "/console", Cause::Busy),
            (StatusCode::FORBIDDEN, "idp_initiated_off", "/saml/init", Cause::SpNotAllowed),
            (StatusCode::NOT_FOUND, "unknown_sp", "/console", Cause::SpNotAllowed),
        ];
        for (status, reason, route, want) in cases {
            assert_eq!(Cause::of(status, reason, route), want, "{reason} on {route}");
        }
    }
}
