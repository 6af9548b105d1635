//! The customers' session cookie `samlgate_session`: HttpOnly, `SameSite=Lax` (Huawei's AuthnRequest
//! and LogoutRequest arrive as top-level GETs, which carry it), Secure on https, as long as the session.

use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};

use super::{AppState, Failure};
use crate::gateway::SessionUser;
use crate::store::Session;

pub const SESSION_COOKIE: &str = "samlgate_session";

/// The cookie that carries a new session id.
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

/// The cookie that removes ours.
pub fn removal_cookie() -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, "")).path("/").build()
}

/// The session id this browser names, if any (unchecked; the gateway ignores malformed ones).
pub fn session_id(jar: &CookieJar) -> Option<&str> {
    jar.get(SESSION_COOKIE).map(|c| c.value())
}

/// The live gateway session of this browser, if any.
pub async fn browser_session(state: &AppState, jar: &CookieJar) -> Result<Option<(Session, SessionUser)>, Failure> {
    Ok(state.session(session_id(jar)).await?)
}
