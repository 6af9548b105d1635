//! Admin sign-in: argon2id passwords from `[[admin.users]]`, a short-lived session in the store's
//! sessions table (cookie `samlgate_admin`, path `/admin`, HttpOnly, SameSite=Strict, Secure on https),
//! and CSRF protection for every POST (a per-session token in a hidden field, compared in constant
//! time, plus the `Origin` header when the browser sends one).
//!
//! The sign-in form itself carries a token bound to a short-lived pre-login cookie (double submit), so
//! another site cannot sign a browser into an admin account either.

use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};

use super::{audit, html, no_store, redirect_see_other};
use crate::gateway::AuditKind;
use crate::gateway::admin::verify_password;
use crate::gateway::session::{is_session_id, new_session_id};
use crate::store::Session;
use crate::util::i18n::Lang;
use crate::util::now_unix;
use crate::web::ui::Page;
use crate::web::{AppState, Caller, Internal, Refusal};

/// The admin session cookie (separate from the customers' `samlgate_session`).
pub const ADMIN_COOKIE: &str = "samlgate_admin";
/// The pre-login cookie that binds the sign-in form's token.
const LOGIN_COOKIE: &str = "samlgate_admin_login";
/// Admin sessions end this long after sign-in.
pub const ADMIN_SESSION_SECS: i64 = 30 * 60;
/// The sign-in form is good for this long.
const LOGIN_FORM_SECS: i64 = 15 * 60;
/// Longest sign-in form body (the forms of signed-in admins may be as long as `server.max_body_bytes`:
/// the decoder takes a pasted POST-binding message).
const MAX_LOGIN_FORM_BYTES: usize = 16 * 1024;
/// Longest password accepted at sign-in (argon2 hashes any length; this only bounds the work).
const MAX_PASSWORD_BYTES: usize = 1024;

/// What an admin session stores (JSON in `sessions.attributes_json`). `deny_unknown_fields` keeps a
/// customer session (which has `sub`, `issued` …) from ever passing as an admin session.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AdminSessionData {
    admin: String,
    csrf: String,
}

use crate::gateway::admin::admin_session_user_id as session_user_id;

/// A signed-in admin (an axum extractor: without a session, GETs go to the sign-in page).
#[derive(Debug, Clone)]
pub struct Admin {
    pub name: String,
    pub csrf: String,
    pub session_id: String,
    pub caller: Caller,
    /// The request's language and the brand.
    pub page: Page,
}

/// What the admin pages' navigation bar needs.
pub struct Nav {
    pub admin: String,
    pub csrf: String,
    pub active: &'static str,
}

impl Admin {
    pub fn nav(&self, active: &'static str) -> Nav {
        Nav { admin: self.name.clone(), csrf: self.csrf.clone(), active }
    }
}

/// The request's [`Page`] (set by the request middleware; the default brand without it).
pub fn page_of(parts: &Parts) -> Page {
    parts.extensions.get::<Page>().cloned().unwrap_or_else(|| Page::new(Lang::En, Default::default()))
}

fn secure(state: &AppState) -> bool {
    state.settings.config.server.base_url.starts_with("https://")
}

fn cookie(state: &AppState, name: &'static str, value: String, path: &'static str, max_age: i64) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .secure(secure(state))
        .same_site(SameSite::Strict)
        .path(path)
        .max_age(time::Duration::seconds(max_age))
        .build()
}

fn removal(name: &'static str, path: &'static str) -> Cookie<'static> {
    Cookie::build((name, "")).path(path).build()
}

/// Constant-time equality of two tokens (lengths are not secret: tokens are fixed-size hex).
fn token_eq(expected: &str, given: &str) -> bool {
    expected.len() == given.len() && !expected.is_empty() && openssl::memcmp::eq(expected.as_bytes(), given.as_bytes())
}

/// The admin named by this request's admin cookie, if the session is live and the user still exists.
async fn session_admin(state: &AppState, headers: &HeaderMap) -> Result<Option<(String, String, String)>, Internal> {
    let jar = CookieJar::from_headers(headers);
    let Some(c) = jar.get(ADMIN_COOKIE) else { return Ok(None) };
    let id = c.value();
    if !is_session_id(id) {
        return Ok(None);
    }
    let Some(s) = state.store.get_session(id).await? else { return Ok(None) };
    let Ok(data) = serde_json::from_str::<AdminSessionData>(&s.attributes_json) else { return Ok(None) };
    if s.user_id != session_user_id(&data.admin) || !state.admin_users().await?.iter().any(|u| u.name == data.admin) {
        return Ok(None);
    }
    Ok(Some((data.admin, data.csrf, id.to_owned())))
}

fn caller(parts: &Parts) -> Caller {
    parts.extensions.get::<Caller>().cloned().unwrap_or_default()
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        if state.admin_users().await.map_err(|e| crate::web::Failure::from(e).into_response())?.is_empty() {
            return Err(setup_page(&page_of(parts), &parts.method));
        }
        match session_admin(state, &parts.headers).await.map_err(IntoResponse::into_response)? {
            Some((name, csrf, session_id)) => {
                Ok(Admin { name, csrf, session_id, caller: caller(parts), page: page_of(parts) })
            }
            None if parts.method == Method::GET || parts.method == Method::HEAD => {
                Err(redirect_see_other("/admin/login"))
            }
            None => Err(Refusal::new(StatusCode::UNAUTHORIZED, "admin_session", "sign in at /admin/login first")
                .into_response()),
        }
    }
}

/// A POSTed admin form: the signed-in admin, a same-origin check and a valid CSRF token, then the
/// fields (each name at most once).
pub struct AdminForm {
    pub admin: Admin,
    pub fields: HashMap<String, String>,
}

impl FromRequest<AppState> for AdminForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let admin = Admin::from_request_parts(&mut parts, state).await?;
        check_origin(state, &parts.headers).map_err(IntoResponse::into_response)?;
        let fields = read_form(body, state.settings.config.server.max_body_bytes).await?;
        let given = fields.get("csrf").map(String::as_str).unwrap_or("");
        if !token_eq(&admin.csrf, given) {
            return Err(csrf_refusal(given.is_empty()));
        }
        Ok(AdminForm { admin, fields })
    }
}

/// The CSRF check of a form read another way (a multipart upload): the session's token, compared in
/// constant time.
pub fn check_csrf(admin: &Admin, given: &str) -> Result<(), Response> {
    if token_eq(&admin.csrf, given) { Ok(()) } else { Err(csrf_refusal(given.is_empty())) }
}

fn csrf_refusal(missing: bool) -> Response {
    let msg = if missing {
        "the form has no CSRF token; reload the page and try again"
    } else {
        "the form's CSRF token is wrong or expired; reload the page and try again"
    };
    Refusal::new(StatusCode::FORBIDDEN, "csrf", msg).into_response()
}

async fn read_form(body: axum::body::Body, limit: usize) -> Result<HashMap<String, String>, Response> {
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        let msg = format!("the form is larger than {limit} bytes (server.max_body_bytes)");
        Refusal::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", msg).into_response()
    })?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Refusal::bad_request("bad_encoding", "the form body is not UTF-8").into_response())?;
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(text.as_bytes()) {
        if out.insert(k.clone().into_owned(), v.into_owned()).is_some() {
            return Err(Refusal::bad_request("duplicate_parameter", format!("field `{k}` appears more than once"))
                .into_response());
        }
    }
    Ok(out)
}

/// When the browser names the page that sent a POST (`Origin`), it must be this gateway's public origin.
pub fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), Refusal> {
    let Some(origin) = headers.get(header::ORIGIN) else { return Ok(()) };
    let expected = url::Url::parse(&state.settings.config.server.base_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    if origin.as_bytes() == expected.as_bytes() {
        Ok(())
    } else {
        Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "csrf",
            format!("cross-origin form post refused (Origin is not {expected})"),
        ))
    }
}

#[derive(askama::Template)]
#[template(path = "admin_setup.html")]
struct SetupPage<'a> {
    t: &'a Page,
}

/// Shown on every admin URL while `[[admin.users]]` is empty.
fn setup_page(t: &Page, method: &Method) -> Response {
    let status = if *method == Method::GET || *method == Method::HEAD { StatusCode::OK } else { StatusCode::FORBIDDEN };
    html(status, t, &SetupPage { t })
}

#[derive(askama::Template)]
#[template(path = "admin_login.html")]
struct LoginPage<'a> {
    t: &'a Page,
    csrf: &'a str,
    name: &'a str,
    error: &'a str,
}

fn login_page(state: &AppState, t: &Page, jar: CookieJar, status: StatusCode, name: &str, error: &str) -> Response {
    // Reuse a well-formed pre-login token, so several tabs keep working.
    let token = match jar.get(LOGIN_COOKIE).map(|c| c.value().to_owned()) {
        Some(t) if is_session_id(&t) => t,
        _ => new_session_id(),
    };
    let jar = jar.add(cookie(state, LOGIN_COOKIE, token.clone(), "/admin/login", LOGIN_FORM_SECS));
    let page = LoginPage { t, csrf: &token, name, error };
    (jar, html(status, t, &page)).into_response()
}

/// `GET /admin/login`.
pub async fn login_form(
    State(state): State<AppState>,
    axum::Extension(t): axum::Extension<Page>,
    jar: CookieJar,
    headers: HeaderMap,
) -> Response {
    match state.admin_users().await {
        Ok(users) if users.is_empty() => return setup_page(&t, &Method::GET),
        Ok(_) => {}
        Err(e) => return crate::web::Failure::from(e).into_response(),
    }
    match session_admin(&state, &headers).await {
        Ok(Some(_)) => redirect_see_other("/admin"),
        Ok(None) => login_page(&state, &t, jar, StatusCode::OK, "", ""),
        Err(e) => e.into_response(),
    }
}

/// At most this many argon2 verifications run at once (each takes ~19 MiB and a core for a while).
static VERIFY_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Audits a sign-in event about the account typed as `name` (no actor: nobody is signed in).
async fn audit_sign_in(
    state: &AppState,
    kind: AuditKind,
    name: &str,
    detail: serde_json::Value,
    caller: &Caller,
) -> Result<(), Response> {
    let event = crate::gateway::audit::event(kind, "", name, detail, caller);
    state.audit(event).await.map_err(|e| crate::web::Failure::from(e).into_response())
}

/// Why a password was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRefused {
    /// The account is locked for this many more seconds (no password work was done).
    Locked(i64),
    /// Wrong; `Some(secs)` when this failure locked the account.
    Wrong(Option<i64>),
}

/// Checks `name`'s `password` against `users` under the account lockout: the lock is checked, and a
/// failure counted, while holding a verification slot (guesses sent in parallel cannot all pass the
/// check before the first failure is counted). A success clears the failures.
async fn check_password(
    state: &AppState,
    users: Vec<crate::config::AdminUser>,
    name: &str,
    password: String,
) -> Result<Result<(), PasswordRefused>, Response> {
    let _slot = VERIFY_SLOTS.acquire().await.map_err(|e| Internal::from(e).into_response())?;
    if let Some(left) = state.admin_lockout.locked_for(name, now_unix()) {
        return Ok(Err(PasswordRefused::Locked(left)));
    }
    let n = name.to_owned();
    let ok = tokio::task::spawn_blocking(move || verify_password(&users, &n, &password))
        .await
        .map_err(|e| Internal::from(e).into_response())?;
    if ok {
        state.admin_lockout.clear(name);
        Ok(Ok(()))
    } else {
        Ok(Err(PasswordRefused::Wrong(state.admin_lockout.record_failure(name, now_unix()))))
    }
}

/// Audits a wrong password for `name` (`admin.login_failed` with `reason`, and `admin.lockout` when
/// it locked the account).
async fn audit_wrong_password(
    state: &AppState,
    name: &str,
    reason: &str,
    locks: Option<i64>,
    cid: &Caller,
) -> Result<(), Response> {
    let detail = serde_json::json!({"name": name, "reason": reason});
    audit_sign_in(state, AuditKind::AdminLoginFailed, name, detail, cid).await?;
    tracing::warn!(name = %name, reason, "admin password refused");
    if let Some(secs) = locks {
        let detail = serde_json::json!({"name": name, "seconds": secs});
        audit_sign_in(state, AuditKind::AdminLockout, name, detail, cid).await?;
        tracing::warn!(name = %name, seconds = secs, "admin account locked after repeated failed passwords");
    }
    Ok(())
}

/// Asks a signed-in admin for their password again before a sensitive change (creating an API
/// token): under the same lockout as the sign-in, audited `admin.login_failed` reason `confirm` when
/// wrong. `Ok(Err(_))` says why it was not accepted.
pub async fn confirm_password(
    state: &AppState,
    admin: &Admin,
    password: &str,
) -> Result<Result<(), PasswordRefused>, Response> {
    if password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
        return Ok(Err(PasswordRefused::Wrong(None)));
    }
    let users = state.admin_users().await.map_err(|e| crate::web::Failure::from(e).into_response())?;
    let outcome = check_password(state, users, &admin.name, password.to_owned()).await?;
    if let Err(PasswordRefused::Wrong(locks)) = outcome {
        audit_wrong_password(state, &admin.name, "confirm", locks, &admin.caller).await?;
    }
    Ok(outcome)
}

/// `POST /admin/login`.
pub async fn login(State(state): State<AppState>, jar: CookieJar, req: Request) -> Response {
    match login_inner(&state, jar, req).await {
        Ok(r) | Err(r) => r,
    }
}

async fn login_inner(state: &AppState, jar: CookieJar, req: Request) -> Result<Response, Response> {
    let (parts, body) = req.into_parts();
    let t = page_of(&parts);
    let users = state.admin_users().await.map_err(|e| crate::web::Failure::from(e).into_response())?;
    if users.is_empty() {
        return Ok(setup_page(&t, &Method::POST));
    }
    let cid = caller(&parts);
    check_origin(state, &parts.headers).map_err(IntoResponse::into_response)?;
    let fields = read_form(body, MAX_LOGIN_FORM_BYTES).await?;
    let given = fields.get("csrf").map(String::as_str).unwrap_or("");
    let expected = jar.get(LOGIN_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    if !token_eq(&expected, given) {
        return Err(csrf_refusal(given.is_empty()));
    }
    let name = fields.get("name").map(|s| s.trim().to_owned()).unwrap_or_default();
    let password = fields.get("password").cloned().unwrap_or_default();
    if name.is_empty() || name.len() > 64 || password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
        return Ok(login_page(state, &t, jar, StatusCode::UNAUTHORIZED, "", &t.t("admin-login-wrong")));
    }
    let shown: String = name.chars().take(64).collect();
    let outcome = check_password(state, users, &name, password).await?;
    let now = now_unix();
    match outcome {
        // A locked account is refused without password work, even with the right password.
        Err(PasswordRefused::Locked(left)) => {
            let detail = serde_json::json!({"name": shown, "reason": "locked", "retry_after": left});
            audit_sign_in(state, AuditKind::AdminLoginFailed, &shown, detail, &cid).await?;
            tracing::warn!(name = %shown, retry_after = left, "admin sign-in refused: account locked");
            let msg = t.t1("admin-login-locked", "seconds", &left.to_string());
            let mut r = login_page(state, &t, jar, StatusCode::TOO_MANY_REQUESTS, &shown, &msg);
            if let Ok(v) = header::HeaderValue::from_str(&left.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Ok(r);
        }
        Err(PasswordRefused::Wrong(locks)) => {
            audit_wrong_password(state, &shown, "password", locks, &cid).await?;
            return Ok(login_page(state, &t, jar, StatusCode::UNAUTHORIZED, &shown, &t.t("admin-login-wrong")));
        }
        Ok(()) => {}
    }

    // A fresh session id at every sign-in (no fixation); an earlier admin session of this browser ends.
    if let Some(old) = jar.get(ADMIN_COOKIE).map(|c| c.value().to_owned())
        && is_session_id(&old)
        && let Ok(Some(s)) = state.store.get_session(&old).await
        && serde_json::from_str::<AdminSessionData>(&s.attributes_json).is_ok()
    {
        let _ = state.store.delete_session(&old).await;
    }
    let id = new_session_id();
    let csrf = new_session_id();
    let data = AdminSessionData { admin: name.clone(), csrf: csrf.clone() };
    let session = Session {
        id: id.clone(),
        user_id: session_user_id(&name),
        attributes_json: serde_json::to_string(&data).map_err(|e| Internal::from(e).into_response())?,
        created_at: now,
        expires_at: now + ADMIN_SESSION_SECS,
    };
    state.store.put_session(&session).await.map_err(|e| Internal::from(e).into_response())?;
    let admin = Admin { name: name.clone(), csrf, session_id: id.clone(), caller: cid, page: t.clone() };
    audit(state, &admin, AuditKind::AdminLogin, &name, serde_json::json!({}))
        .await
        .map_err(IntoResponse::into_response)?;
    tracing::info!(admin = %name, "admin signed in");
    let jar = jar.remove(removal(LOGIN_COOKIE, "/admin/login")).add(cookie(
        state,
        ADMIN_COOKIE,
        id,
        "/admin",
        ADMIN_SESSION_SECS,
    ));
    Ok((jar, redirect_see_other("/admin")).into_response())
}

/// `POST /admin/logout`.
pub async fn logout(State(state): State<AppState>, jar: CookieJar, form: AdminForm) -> Response {
    let admin = form.admin;
    if let Err(e) = state.store.delete_session(&admin.session_id).await {
        return Internal::from(e).into_response();
    }
    if let Err(e) = audit(&state, &admin, AuditKind::AdminLogout, &admin.name, serde_json::json!({})).await {
        return e.into_response();
    }
    tracing::info!(admin = %admin.name, "admin signed out");
    let mut resp = (jar.remove(removal(ADMIN_COOKIE, "/admin")), redirect_see_other("/admin/login")).into_response();
    no_store(&mut resp);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(token_eq("abcd", "abcd"));
        assert!(!token_eq("abcd", "abce"));
        assert!(!token_eq("abcd", "abc"));
        assert!(!token_eq("", ""));
    }

    #[test]
    fn customer_sessions_are_not_admin_sessions() {
        let customer = r#"{"sub":"cust-1","name":null,"mobile":null,"email":null,"issued":[]}"#;
        assert!(serde_json::from_str::<AdminSessionData>(customer).is_err());
        let with_extra = r#"{"admin":"a","csrf":"b","sub":"c"}"#;
        assert!(serde_json::from_str::<AdminSessionData>(with_extra).is_err());
    }
}
