//! `GET /saml/sso` (HTTP-Redirect binding, what Huawei sends) and `POST /saml/sso` (HTTP-POST binding,
//! enveloped signature): check the AuthnRequest, then answer with an auto-submitting form that posts a
//! signed SAMLResponse and the unchanged RelayState to the SP's ACS.
//!
//! Order of checks: decode (size caps) → strict parse → SP lookup by Issuer → signature with the SP's
//! metadata certificates only → Destination/ACS/time checks → gateway session → attribute rules → sign →
//! spend the request ID, update the session and append the audit event in one commit (`record_hop`) →
//! answer. A replayed ID is refused at that commit, before anything leaves; a request without a session
//! is fully checked before the browser is sent to log in, and its ID is spent only when it is answered.

use std::time::Instant;

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::CookieJar;
use base64::Engine as _;

use super::sp_cache::SpEntry;
use super::{AppState, CorrelationId, Internal, Refusal, SESSION_COOKIE, SessionUser, now_unix};
use crate::saml::metadata::BINDING_POST;
use crate::saml::redirect::{self, MessageParam};
use crate::saml::request::{self, AuthnRequest, RequestError};
use crate::saml::response::{self, ResponseParams};
use crate::saml::verify::{self, VerifyPolicy};
use crate::saml::xml::{self, ReadLimits};
use crate::store::{HopRecord, NewAuditEvent, Session};

/// Largest inflated or decoded SAML message accepted.
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;
/// Longest RelayState accepted (SAML asks senders for ≤ 80 bytes; SPs in the wild send more).
pub const MAX_RELAY_STATE: usize = 4096;

pub(super) fn refuse_dsig(e: crate::saml::dsig::DsigError) -> Response {
    Refusal::bad_request(e.reason(), e.to_string()).into_response()
}

fn refuse_request(e: RequestError) -> Response {
    Refusal::bad_request(e.reason(), e.to_string()).into_response()
}

/// A request that passed every protocol check.
struct CheckedRequest {
    req: AuthnRequest,
    sp: std::sync::Arc<SpEntry>,
    acs: crate::saml::metadata::Endpoint,
    relay_state: Option<String>,
}

/// Redirect binding.
pub async fn sso_redirect(
    State(state): State<AppState>,
    Extension(cid): Extension<CorrelationId>,
    jar: CookieJar,
    RawQuery(raw): RawQuery,
) -> Result<Response, Response> {
    let raw = raw.unwrap_or_default();
    if raw.len() > super::MAX_QUERY_BYTES {
        return Err(Refusal::new(StatusCode::URI_TOO_LONG, "too_large", "the query string is too long").into_response());
    }
    if raw.is_empty() {
        return Err(Refusal::bad_request(
            "missing_request",
            "this is the SAML single sign-on endpoint: it expects a SAMLRequest from Huawei Cloud",
        )
        .into_response());
    }
    let q = redirect::parse_redirect_query(&raw).map_err(refuse_dsig)?;
    if q.param != MessageParam::SamlRequest {
        return Err(Refusal::bad_request("wrong_message", "expected SAMLRequest, got SAMLResponse").into_response());
    }
    let xml_bytes = q.decode_message(MAX_MESSAGE_BYTES).map_err(refuse_dsig)?;
    let req = request::parse_authn_request(&xml_bytes).map_err(refuse_request)?;
    let sp = state.sp_cache.get(&state, &req.issuer).await.map_err(|e| e.into_response())?;
    let cfg = &state.settings.config;
    // Verify whenever a signature is present; require one when the SP says it signs (fail closed).
    if q.is_signed() || sp.metadata.authn_requests_signed {
        if sp.certs.is_empty() {
            return Err(Refusal::bad_request(
                "no_certificate",
                format!("SP {} has no signing certificate in its metadata", sp.metadata.entity_id),
            )
            .into_response());
        }
        q.verify(&sp.certs, cfg.huawei.allow_sha1).map_err(refuse_dsig)?;
    }
    let relay_state = q.relay_state().map_err(refuse_dsig)?;
    let checked = check(&state, req, sp, relay_state)?;
    answer(&state, &cid, &jar, checked, &format!("{}?{}", state.settings.sso_url(), raw)).await
}

/// POST binding: form fields `SAMLRequest` (base64, not deflated) and `RelayState`.
pub async fn sso_post(
    State(state): State<AppState>,
    Extension(cid): Extension<CorrelationId>,
    jar: CookieJar,
    body: axum::body::Bytes,
) -> Result<Response, Response> {
    let fields = super::form_fields(&body, &["SAMLRequest", "RelayState"]).map_err(IntoResponse::into_response)?;
    let b64 = fields
        .get("SAMLRequest")
        .ok_or_else(|| Refusal::bad_request("missing_request", "the form has no SAMLRequest").into_response())?;
    let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.len() > MAX_MESSAGE_BYTES * 4 / 3 + 4 {
        return Err(Refusal::bad_request("too_large", "SAMLRequest is too large").into_response());
    }
    let xml_bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| Refusal::bad_request("bad_base64", "SAMLRequest is not valid base64").into_response())?;
    let limits = ReadLimits { max_bytes: MAX_MESSAGE_BYTES, ..ReadLimits::default() };
    let doc =
        xml::parse(&xml_bytes, &limits).map_err(|e| Refusal::bad_request(e.reason(), e.to_string()).into_response())?;
    // Issuer first (to find the keys), read from the same parsed tree that is then verified.
    let issuer = doc
        .root
        .only_child(xml::ns::SAML, "Issuer")
        .ok()
        .flatten()
        .map(|e| e.text())
        .ok_or_else(|| Refusal::bad_request("issuer", "the AuthnRequest has no Issuer").into_response())?;
    let sp = state.sp_cache.get(&state, issuer.trim()).await.map_err(|e| e.into_response())?;
    let has_sig = doc.root.only_child(crate::saml::xml::ns::DS, "Signature").ok().flatten().is_some();
    if has_sig || sp.metadata.authn_requests_signed {
        let policy = VerifyPolicy { allow_sha1: state.settings.config.huawei.allow_sha1, ..VerifyPolicy::default() };
        verify::verify_enveloped(&doc.root, &doc.root, &sp.certs, &policy)
            .map_err(|e| Refusal::bad_request(e.reason(), e.to_string()).into_response())?;
    }
    // Read the request from the very element whose signature was verified.
    let req = request::authn_request_from_element(&doc.root, has_sig || sp.metadata.authn_requests_signed)
        .map_err(refuse_request)?;
    let relay_state = fields.get("RelayState").cloned();
    let checked = check(&state, req, sp, relay_state)?;
    // A POST-bound request cannot be replayed through a login redirect; without a session, refuse.
    answer(&state, &cid, &jar, checked, "").await
}

fn check(
    state: &AppState,
    req: AuthnRequest,
    sp: std::sync::Arc<SpEntry>,
    relay_state: Option<String>,
) -> Result<CheckedRequest, Response> {
    let cfg = &state.settings.config;
    if relay_state.as_ref().is_some_and(|r| r.len() > MAX_RELAY_STATE) {
        return Err(Refusal::bad_request("relay_state", "RelayState is too long").into_response());
    }
    let acs = request::check_authn_request(
        &req,
        &sp.metadata,
        &state.settings.sso_url(),
        now_unix(),
        cfg.idp.clock_skew_secs as i64,
        cfg.idp.request_max_age_secs as i64,
    )
    .map_err(refuse_request)?;
    if acs.binding != BINDING_POST {
        return Err(
            Refusal::bad_request("binding", "only the HTTP-POST binding is supported for responses").into_response()
        );
    }
    Ok(CheckedRequest { req, sp, acs, relay_state })
}

async fn current_session(state: &AppState, jar: &CookieJar) -> Result<Option<(Session, SessionUser)>, Response> {
    let Some(c) = jar.get(SESSION_COOKIE) else { return Ok(None) };
    let id = c.value();
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let Some(s) = state.store.get_session(id).await.map_err(|e| Internal::from(e).into_response())? else {
        return Ok(None);
    };
    let user: SessionUser = serde_json::from_str(&s.attributes_json).map_err(|e| Internal::from(e).into_response())?;
    Ok(Some((s, user)))
}

/// Sends a browser without a gateway session to log in at the partner, with a way back here.
fn login_redirect(state: &AppState, pending_url: &str) -> Response {
    let cfg = &state.settings.config;
    match (&cfg.handoff.partner_login_url, pending_url.is_empty()) {
        (Some(login), false) => {
            let mut u = match url::Url::parse(login) {
                Ok(u) => u,
                Err(e) => return Internal::from(e).into_response(),
            };
            u.query_pairs_mut().append_pair("return_to", pending_url);
            let mut r = StatusCode::FOUND.into_response();
            if let Ok(v) = HeaderValue::from_str(u.as_str()) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        _ => Refusal::new(
            StatusCode::UNAUTHORIZED,
            "no_session",
            "you are not signed in at the partner platform: open Huawei Cloud from the partner's \"go to console\" link",
        )
        .into_response(),
    }
}

fn attributes(state: &AppState, user: &SessionUser) -> Result<Vec<(String, Vec<String>)>, Response> {
    let customer = crate::huawei::Customer {
        sub: &user.sub,
        name: user.name.as_deref(),
        mobile: user.mobile.as_deref(),
        email: user.email.as_deref(),
    };
    crate::huawei::assertion_attributes(&state.settings.config.huawei, &customer)
        .map_err(|e| Refusal::bad_request("attribute", e.to_string()).into_response())
}

#[derive(askama::Template)]
#[template(path = "post_form.html")]
pub struct PostForm<'a> {
    pub action: &'a str,
    pub field: &'a str,
    pub message: &'a str,
    pub relay_state: Option<&'a str>,
    pub nonce: &'a str,
}

/// The auto-submitting form, with a strict CSP that allows only its own script (by nonce).
pub fn post_form_response(action: &str, field: &str, message_b64: &str, relay_state: Option<&str>) -> Response {
    // The template writes the message unescaped (it is base64); refuse anything else outright.
    if !message_b64.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')) {
        return Internal(anyhow::anyhow!("post form message is not base64")).into_response();
    }
    let mut n = [0u8; 16];
    let _ = openssl::rand::rand_bytes(&mut n);
    let nonce = hex::encode(n);
    let page = PostForm { action, field, message: message_b64, relay_state, nonce: &nonce };
    let html = match askama::Template::render(&page) {
        Ok(h) => h,
        Err(e) => return Internal::from(e).into_response(),
    };
    let mut r = Html(html).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

async fn answer(
    state: &AppState,
    cid: &CorrelationId,
    jar: &CookieJar,
    c: CheckedRequest,
    pending_url: &str,
) -> Result<Response, Response> {
    let cfg = &state.settings.config;
    let Some((session, mut user)) = current_session(state, jar).await? else {
        tracing::info!(sp = %c.sp.metadata.entity_id, request_id = %c.req.id, "no gateway session: sending to login");
        return Err(login_redirect(state, pending_url));
    };
    let now = now_unix();
    // The request ID is spent by `record_hop` below, in the same commit as the session and the audit
    // event, before the response leaves (durable and shared by all replicas: a replayed request is
    // refused, also after a restart). A replay therefore costs one signature, which is then thrown away.
    let expires = c.req.issue_instant.unix + cfg.idp.request_max_age_secs as i64 + 2 * cfg.idp.clock_skew_secs as i64;
    let attrs = attributes(state, &user)?;
    let name_id = response::new_id().map_err(|e| Internal::from(e).into_response())?;
    let session_index = response::new_id().map_err(|e| Internal::from(e).into_response())?;
    let huawei_profile = c.sp.metadata.entity_id == crate::huawei::sp_entity_id(&cfg.huawei);
    let started = Instant::now();
    let built = response::build_response(
        &state.signing_key,
        &ResponseParams {
            issuer: &cfg.idp.entity_id,
            destination: &c.acs.location,
            in_response_to: Some(&c.req.id),
            audience: &c.sp.metadata.entity_id,
            recipient: &c.acs.location,
            subject_name_id: &name_id,
            name_id_format: response::NAMEID_TRANSIENT,
            // Huawei's sample: NameQualifier and SubjectLocality@Address carry the SP entityID. Other SPs
            // get plain SAML (an Address there would have to be the client's IP address).
            name_qualifier: huawei_profile.then_some(c.sp.metadata.entity_id.as_str()),
            sp_name_qualifier: Some(&c.sp.metadata.entity_id),
            session_index: &session_index,
            subject_locality_address: huawei_profile.then_some(c.sp.metadata.entity_id.as_str()),
            authn_instant: session.created_at,
            now,
            not_before_skew_secs: cfg.idp.clock_skew_secs as i64,
            lifetime_secs: cfg.idp.assertion_lifetime_secs as i64,
            attributes: &attrs,
            authn_context_class_ref: response::AC_UNSPECIFIED,
            sign_response: cfg.huawei.sign_response,
        },
    )
    .map_err(|e| Refusal::bad_request("attribute", e.to_string()).into_response())?;
    metrics::histogram!("samlgate_signing_seconds").record(started.elapsed().as_secs_f64());

    // Remember what was issued in this session, for logout.
    user.issued.push((name_id.clone(), session_index.clone()));
    if user.issued.len() > 32 {
        user.issued.remove(0);
    }
    let attributes_json = serde_json::to_string(&user).map_err(|e| Internal::from(e).into_response())?;
    let audit = NewAuditEvent {
        at: now,
        kind: "sso.response".into(),
        actor: user.sub.clone(),
        subject: c.sp.metadata.entity_id.clone(),
        detail_json: serde_json::json!({
            "request_id": c.req.id,
            "response_id": built.response_id,
            "assertion_id": built.assertion_id,
            "acs": c.acs.location,
        })
        .to_string(),
        correlation_id: cid.0.clone(),
    };
    let hop = HopRecord {
        once_kind: "authn".into(),
        once_id: format!("{}\u{1f}{}", c.sp.metadata.entity_id, c.req.id),
        once_expires_at: expires.max(now + 60),
        session_id: session.id,
        attributes_json,
        audit,
    };
    if !state.store.record_hop(hop).await.map_err(|e| Internal::from(e).into_response())? {
        return Err(
            Refusal::bad_request("replay", format!("AuthnRequest {} was already answered", c.req.id)).into_response()
        );
    }
    tracing::info!(user = %user.sub, sp = %c.sp.metadata.entity_id, request_id = %c.req.id, "signed response issued");
    let b64 = base64::engine::general_purpose::STANDARD.encode(built.xml.as_bytes());
    Ok(post_form_response(&c.acs.location, "SAMLResponse", &b64, c.relay_state.as_deref()))
}
