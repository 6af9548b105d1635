//! Logout and the partner return URLs.
//!
//! - `GET /saml/slo?SAMLRequest=…` — a Redirect-bound LogoutRequest from the SP, checked exactly like
//!   an AuthnRequest (signature over the raw query octets with the SP's metadata certificates, required
//!   when the SP signs its requests; Issuer; Destination = our SLO URL; IssueInstant window; ID used
//!   once). The session it names is ended and the SP gets a signed Redirect-bound LogoutResponse at
//!   its SingleLogoutService ResponseLocation (or Location), with the RelayState unchanged.
//! - `GET /saml/slo` without a SAML message, and `GET /logout`: end this browser's session and go to
//!   `return_urls.after_logout` (or a "signed out" page).
//! - `GET /return/order-paid`, `GET /return/recharge`: stable gateway URLs for Partner Center that
//!   redirect to the configured `return_urls.order_paid` / `return_urls.recharge`.
//!
//! The return URLs are the effective ones from [`super::return_url`]: a value saved on the admin
//! page overrides the config file's.
//!
//! Redirects only ever go to SP metadata endpoints or configured return URLs, never to a URL taken
//! from the request.
//!
//! Finding the session: the browser that carries the LogoutRequest carries our session cookie (a
//! top-level GET, so the `SameSite=Lax` cookie is sent). That session is ended only when its record
//! of issued assertions (`SessionUser.issued`) holds the NameID (and one of the SessionIndexes, when
//! the request names any); otherwise the SP gets a `Requester` status and nothing is ended. The store
//! has no index from NameID to session, so a LogoutRequest arriving without the cookie cannot end the
//! session (answered `Requester` too).

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;

use super::{AppState, CorrelationId, Internal, Refusal, ReturnKind, SESSION_COOKIE, SessionUser, now_unix};
use crate::saml::dsig::DsigError;
use crate::saml::metadata::BINDING_REDIRECT;
use crate::saml::redirect::{self, MessageParam};
use crate::saml::request::{self, LogoutRequest};
use crate::saml::response::{self, STATUS_REQUESTER, STATUS_SUCCESS};
use crate::store::{NewAuditEvent, Session};

fn refuse(reason: &'static str, message: impl Into<String>) -> Response {
    Refusal::bad_request(reason, message).into_response()
}

fn internal<E: Into<anyhow::Error>>(e: E) -> Response {
    Internal::from(e).into_response()
}

/// A 302 to `location` (a value we built or configured, never one from the request).
fn found(location: &str) -> Response {
    let loc = match HeaderValue::from_str(location) {
        Ok(v) => v,
        Err(e) => return internal(e),
    };
    let mut r = StatusCode::FOUND.into_response();
    r.headers_mut().insert(header::LOCATION, loc);
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The gateway session named by this browser's cookie, if any.
async fn cookie_session(state: &AppState, jar: &CookieJar) -> Result<Option<(Session, SessionUser)>, Response> {
    let Some(c) = jar.get(SESSION_COOKIE) else { return Ok(None) };
    let id = c.value();
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let Some(s) = state.store.get_session(id).await.map_err(internal)? else { return Ok(None) };
    let user: SessionUser = serde_json::from_str(&s.attributes_json).map_err(internal)?;
    Ok(Some((s, user)))
}

/// Does this session's record of issued assertions name the principal of the LogoutRequest?
fn names_session(user: &SessionUser, lr: &LogoutRequest) -> bool {
    user.issued.iter().any(|(name_id, session_index)| {
        *name_id == lr.name_id && (lr.session_indexes.is_empty() || lr.session_indexes.contains(session_index))
    })
}

/// The cookie that removes ours.
fn removal_cookie() -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, "")).path("/").build()
}

/// `GET /saml/slo`.
pub async fn slo(
    State(state): State<AppState>,
    Extension(cid): Extension<CorrelationId>,
    jar: CookieJar,
    RawQuery(raw): RawQuery,
) -> Result<Response, Response> {
    let raw = raw.unwrap_or_default();
    if raw.len() > super::MAX_QUERY_BYTES {
        return Err(Refusal::new(StatusCode::URI_TOO_LONG, "too_large", "the query string is too long").into_response());
    }
    let q = match redirect::parse_redirect_query(&raw) {
        Ok(q) => q,
        // No SAML message at all: a plain "sign me out".
        Err(DsigError::MissingParameter("SAMLRequest")) => return local_logout(&state, &cid, jar).await,
        Err(e) => return Err(super::sso::refuse_dsig(e)),
    };
    if q.param != MessageParam::SamlRequest {
        return Err(refuse(
            "unsolicited_response",
            "samlgate does not send LogoutRequests, so it expects no LogoutResponse",
        ));
    }
    let xml = q.decode_message(super::sso::MAX_MESSAGE_BYTES).map_err(super::sso::refuse_dsig)?;
    let lr = request::parse_logout_request(&xml).map_err(|e| refuse(e.reason(), e.to_string()))?;
    let sp = state.sp_cache.get(&state, &lr.issuer).await?;
    let cfg = &state.settings.config;
    // Verify whenever a signature is present; require one when the SP signs its requests (fail closed).
    if q.is_signed() || sp.metadata.authn_requests_signed {
        if sp.certs.is_empty() {
            return Err(refuse(
                "no_certificate",
                format!("SP {} has no signing certificate in its metadata", sp.metadata.entity_id),
            ));
        }
        q.verify(&sp.certs, cfg.huawei.allow_sha1).map_err(super::sso::refuse_dsig)?;
    }
    let relay_state = q.relay_state().map_err(super::sso::refuse_dsig)?;
    if relay_state.as_ref().is_some_and(|r| r.len() > super::sso::MAX_RELAY_STATE) {
        return Err(refuse("relay_state", "RelayState is too long"));
    }
    let now = now_unix();
    let skew = cfg.idp.clock_skew_secs as i64;
    let max_age = cfg.idp.request_max_age_secs as i64;
    request::check_logout_request(&lr, &sp.metadata, &state.settings.slo_url(), now, skew, max_age)
        .map_err(|e| refuse(e.reason(), e.to_string()))?;
    // Where the answer goes: only the SP's metadata.
    let endpoint = sp.metadata.slo.iter().find(|e| e.binding == BINDING_REDIRECT).ok_or_else(|| {
        refuse(
            "no_slo_endpoint",
            format!("SP {} has no HTTP-Redirect SingleLogoutService in its metadata", sp.metadata.entity_id),
        )
    })?;
    let destination = endpoint.response_location.clone().unwrap_or_else(|| endpoint.location.clone());

    // Single use, durable, shared by replicas.
    let expires = lr.issue_instant.unix + max_age + 2 * skew;
    let first = state
        .store
        .use_once("logout", &format!("{}\u{1f}{}", sp.metadata.entity_id, lr.id), expires.max(now + 60))
        .await
        .map_err(internal)?;
    if !first {
        return Err(refuse("replay", format!("LogoutRequest {} was already answered", lr.id)));
    }

    let mut jar = jar;
    let (status, user) = match cookie_session(&state, &jar).await? {
        Some((session, user)) if names_session(&user, &lr) => {
            state.store.delete_session(&session.id).await.map_err(internal)?;
            jar = jar.remove(removal_cookie());
            (STATUS_SUCCESS, Some(user.sub))
        }
        _ => (STATUS_REQUESTER, None),
    };
    let (xml, response_id) =
        response::build_logout_response(&cfg.idp.entity_id, &destination, &lr.id, status, now).map_err(internal)?;
    let query = redirect::encode_redirect_query(
        MessageParam::SamlResponse,
        &xml,
        relay_state.as_deref(),
        Some(&state.signing_key),
    )
    .map_err(internal)?;
    state
        .store
        .append_audit(&NewAuditEvent {
            at: now,
            kind: "slo.logout".into(),
            actor: user.clone().unwrap_or_default(),
            subject: sp.metadata.entity_id.clone(),
            detail_json: serde_json::json!({
                "request_id": lr.id,
                "response_id": response_id,
                "name_id": lr.name_id,
                "session_indexes": lr.session_indexes,
                "status": status,
                "session_ended": user.is_some(),
            })
            .to_string(),
            correlation_id: cid.0.clone(),
        })
        .await
        .map_err(internal)?;
    if user.is_some() {
        tracing::info!(sp = %sp.metadata.entity_id, request_id = %lr.id, "single logout: session ended");
    } else {
        tracing::warn!(sp = %sp.metadata.entity_id, request_id = %lr.id, "single logout: no session holds this NameID");
    }
    let sep = if destination.contains('?') { '&' } else { '?' };
    let resp = found(&format!("{destination}{sep}{query}"));
    Ok((jar, resp).into_response())
}

/// `GET /logout`.
pub async fn logout(
    State(state): State<AppState>,
    Extension(cid): Extension<CorrelationId>,
    jar: CookieJar,
) -> Result<Response, Response> {
    local_logout(&state, &cid, jar).await
}

#[derive(askama::Template)]
#[template(
    ext = "html",
    source = r#"{% extends "base.html" %}
{% block title %}Signed out · samlgate{% endblock %}
{% block content %}
<h1>You are signed out</h1>
<p id="signed-out">Your session at the partner's HUAWEI CLOUD gateway has ended. To go to the console again,
start from the partner platform.</p>
{% endblock %}"#
)]
struct SignedOutPage;

async fn local_logout(state: &AppState, cid: &CorrelationId, jar: CookieJar) -> Result<Response, Response> {
    let ended = match cookie_session(state, &jar).await? {
        Some((session, user)) => {
            state.store.delete_session(&session.id).await.map_err(internal)?;
            state
                .store
                .append_audit(&NewAuditEvent {
                    at: now_unix(),
                    kind: "logout".into(),
                    actor: user.sub.clone(),
                    subject: user.sub.clone(),
                    detail_json: serde_json::json!({"issued": user.issued.len()}).to_string(),
                    correlation_id: cid.0.clone(),
                })
                .await
                .map_err(internal)?;
            tracing::info!(user = %user.sub, "signed out");
            true
        }
        None => false,
    };
    let jar = if jar.get(SESSION_COOKIE).is_some() { jar.remove(removal_cookie()) } else { jar };
    let after = super::return_url(state, ReturnKind::AfterLogout).await.map_err(IntoResponse::into_response)?;
    let resp = match after {
        Some(u) => found(&u),
        None => {
            let html = askama::Template::render(&SignedOutPage).map_err(internal)?;
            let mut r = Html(html).into_response();
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
    };
    tracing::debug!(ended, "logout answered");
    Ok((jar, resp).into_response())
}

/// A 302 to the effective return URL of `kind` (admin setting, else config file; re-checked on use).
async fn return_to(state: &AppState, kind: ReturnKind, label: &str) -> Response {
    match super::return_url(state, kind).await {
        Ok(Some(u)) => found(&u),
        Err(e) => e.into_response(),
        Ok(None) => Refusal::new(
            StatusCode::NOT_FOUND,
            "not_configured",
            format!("the partner has not configured a {label} page ({})", kind.key()),
        )
        .into_response(),
    }
}

/// `GET /return/order-paid` (订单支付成功跳转地址).
pub async fn order_paid(State(state): State<AppState>) -> Response {
    return_to(&state, ReturnKind::OrderPaid, "order-paid").await
}

/// `GET /return/recharge` (订单充值跳转地址).
pub async fn recharge(State(state): State<AppState>) -> Response {
    return_to(&state, ReturnKind::Recharge, "recharge").await
}
