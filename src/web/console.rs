//! `GET /console?token=…&service=…[&region=…][&return_to=…]`: the customer's "go to console" click.
//!
//! Checks the partner's hand-off token (HS256, short-lived, single-use `jti`), opens a gateway session
//! (cookie), and sends the browser to Huawei's SSO entry link with `isFirstLogin` from the binding
//! table. With `return_to` pointing at our own `/saml/sso?…` (a pending AuthnRequest that found no
//! session), the browser goes back there instead.

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};

use super::{AppState, CorrelationId, Internal, Refusal, now_unix, query_params};
use crate::handoff;
use crate::huawei;
use crate::store::{NewAuditEvent, Session};

pub const SESSION_COOKIE: &str = "samlgate_session";

/// What a gateway session remembers about the customer (JSON in the store).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, Default)]
pub struct SessionUser {
    pub sub: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub mobile: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Transient NameIDs and SessionIndexes issued to SPs in this session (for logout).
    #[serde(default)]
    pub issued: Vec<(String, String)>,
}

/// 256-bit random session id.
pub fn new_session_id() -> String {
    let mut b = [0u8; 32];
    let _ = openssl::rand::rand_bytes(&mut b);
    hex::encode(b)
}

pub fn session_cookie(state: &AppState, id: String) -> Cookie<'static> {
    let secure = state.settings.config.server.base_url.starts_with("https://");
    Cookie::build((SESSION_COOKIE, id))
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(time::Duration::seconds(state.settings.config.handoff.session_lifetime_secs as i64))
        .build()
}

/// Is `u` our own SSO endpoint (same scheme, host, port and path)? Used to allow `return_to`.
fn is_own_sso_url(state: &AppState, u: &str) -> bool {
    let sso = state.settings.sso_url();
    match (url::Url::parse(u), url::Url::parse(&sso)) {
        (Ok(a), Ok(b)) => {
            a.scheme() == b.scheme()
                && a.host_str() == b.host_str()
                && a.port_or_known_default() == b.port_or_known_default()
                && a.path() == b.path()
                && a.username().is_empty()
                && a.password().is_none()
                && a.fragment().is_none()
                && !u.contains('\\')
        }
        _ => false,
    }
}

pub async fn console(
    State(state): State<AppState>,
    Extension(cid): Extension<CorrelationId>,
    jar: CookieJar,
    RawQuery(raw): RawQuery,
) -> Result<Response, Response> {
    let q = query_params(raw.as_deref().unwrap_or(""), &["token", "service", "region", "return_to"])
        .map_err(IntoResponse::into_response)?;
    let cfg = &state.settings.config;
    let now = now_unix();
    let token = q.get("token").map(String::as_str).unwrap_or("");
    let claims = handoff::verify(
        &cfg.handoff.secret,
        token,
        now,
        cfg.handoff.token_max_age_secs,
        cfg.idp.clock_skew_secs as i64,
    )
    .map_err(|e| Refusal::new(StatusCode::UNAUTHORIZED, e.reason(), e.to_string()).into_response())?;
    // Huawei's rules for name, mobile and email, checked now rather than after the trip to Huawei (and
    // before the jti is spent, so the partner can send a corrected token).
    let customer = huawei::Customer {
        sub: &claims.sub,
        name: claims.name.as_deref(),
        mobile: claims.mobile.as_deref(),
        email: claims.email.as_deref(),
    };
    huawei::check_customer(&customer).map_err(|e| Refusal::bad_request("claim", e.to_string()).into_response())?;

    // Where to go next: our own pending SSO request, or Huawei's entry link for the service.
    let target = match q.get("return_to") {
        Some(rt) => {
            if !is_own_sso_url(&state, rt) {
                return Err(
                    Refusal::bad_request("return_to", "return_to must be this gateway's /saml/sso URL").into_response()
                );
            }
            rt.clone()
        }
        None => {
            let service = huawei::resolve_service(
                cfg.huawei.site,
                q.get("service").map(String::as_str),
                q.get("region").map(String::as_str),
                &cfg.huawei.extra_console_hosts,
            )
            .map_err(|e| Refusal::bad_request("service", e.to_string()).into_response())?;
            let bound = state.store.get_binding(&claims.sub).await.map_err(|e| Internal::from(e).into_response())?;
            huawei::sso_login_url(
                &huawei::auth_base(cfg.huawei.site, cfg.huawei.auth_base_url.as_deref()),
                &cfg.huawei.x_account_type,
                bound.is_none(),
                &service,
            )
        }
    };

    // Single use: spend the jti only once everything else checked out.
    let first = state
        .store
        .use_once("jti", &claims.jti, claims.exp + cfg.idp.clock_skew_secs as i64)
        .await
        .map_err(|e| Internal::from(e).into_response())?;
    if !first {
        let e = handoff::TokenError::Replayed;
        return Err(Refusal::new(StatusCode::UNAUTHORIZED, e.reason(), e.to_string()).into_response());
    }

    let user = SessionUser {
        sub: claims.sub.clone(),
        name: claims.name.clone(),
        mobile: claims.mobile.clone(),
        email: claims.email.clone(),
        issued: Vec::new(),
    };
    let id = new_session_id();
    let session = Session {
        id: id.clone(),
        user_id: claims.sub.clone(),
        attributes_json: serde_json::to_string(&user).map_err(|e| Internal::from(e).into_response())?,
        created_at: now,
        expires_at: now + cfg.handoff.session_lifetime_secs as i64,
    };
    state.store.put_session(&session).await.map_err(|e| Internal::from(e).into_response())?;
    // A previous session in this browser is replaced.
    if let Some(old) = jar.get(SESSION_COOKIE) {
        let _ = state.store.delete_session(old.value()).await;
    }
    state
        .store
        .append_audit(&NewAuditEvent {
            at: now,
            kind: "console.jump".into(),
            actor: claims.sub.clone(),
            subject: claims.sub.clone(),
            detail_json: serde_json::json!({"target": target}).to_string(),
            correlation_id: cid.0.clone(),
        })
        .await
        .map_err(|e| Internal::from(e).into_response())?;
    tracing::info!(user = %claims.sub, "session opened; redirecting");

    let jar = jar.add(session_cookie(&state, id));
    let mut resp = (jar, StatusCode::FOUND).into_response();
    let loc = HeaderValue::from_str(&target).map_err(|e| Internal::from(e).into_response())?;
    resp.headers_mut().insert(header::LOCATION, loc);
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}
