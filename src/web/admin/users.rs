//! `/admin/users`: the users of the admin pages — list (store and config file), add or set a new
//! password, remove (with confirmation). Changes live in the store: every replica applies them at
//! once. Audited `admin.user_added`, `admin.password_changed`, `admin.user_removed`.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::auth::{Admin, AdminForm, Nav};
use super::html;
use crate::gateway::admin::{UserError, UserSource, list_users, put_user, remove_user};
use crate::gateway::api_tokens::{Scope, list_tokens};
use crate::web::ui::Page;
use crate::web::{AppState, Failure, Internal, query_params};

pub struct TokenRow {
    pub name: String,
    pub scopes: String,
    pub created_by: String,
    pub created: String,
    pub last_used: String,
    /// When it was revoked (empty: not revoked).
    pub revoked: String,
    /// When it expires (empty: never).
    pub expires: String,
    /// Neither revoked nor expired (only a live token can be revoked).
    pub live: bool,
}

pub struct UserRow {
    pub name: String,
    pub in_config: bool,
    pub updated: String,
    pub is_me: bool,
}

#[derive(askama::Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    t: Page,
    nav: Nav,
    rows: Vec<UserRow>,
    tokens: Vec<TokenRow>,
    /// A token just created: (name, the token) — shown on this page only, once.
    new_token: Option<(String, String)>,
    done: Option<String>,
    error: Option<String>,
    form_name: String,
}

#[derive(askama::Template)]
#[template(path = "admin_user_remove.html")]
struct RemovePage {
    t: Page,
    nav: Nav,
    name: String,
}

async fn users_page(
    state: &AppState,
    admin: &Admin,
    status: StatusCode,
    done: Option<String>,
    error: Option<String>,
    form_name: &str,
) -> Response {
    users_page_with(state, admin, status, done, error, form_name, None).await
}

async fn users_page_with(
    state: &AppState,
    admin: &Admin,
    status: StatusCode,
    done: Option<String>,
    error: Option<String>,
    form_name: &str,
    new_token: Option<(String, String)>,
) -> Response {
    let users = match list_users(state.store.as_ref(), &state.settings.config.admin.users).await {
        Ok(u) => u,
        Err(e) => return Internal::from(e).into_response(),
    };
    let tokens = match list_tokens(state.store.as_ref()).await {
        Ok(t) => t,
        Err(e) => return Failure::from(e).into_response(),
    };
    let t = &admin.page;
    let now = crate::util::now_unix();
    let rows = users
        .into_iter()
        .map(|u| UserRow {
            is_me: u.user.name == admin.name,
            in_config: u.source == UserSource::Config,
            updated: u.updated_at.map(|at| t.time(at)).unwrap_or_default(),
            name: u.user.name,
        })
        .collect();
    let tokens = tokens
        .into_iter()
        .map(|k| TokenRow {
            live: k.is_live(now),
            expires: k.expires_at.map(|at| t.time(at)).unwrap_or_else(|| t.t("admin-tokens-never")),
            scopes: k.scopes.join(" "),
            created_by: k.created_by,
            created: t.time(k.created_at),
            last_used: k.last_used_at.map(|at| t.time(at)).unwrap_or_default(),
            revoked: k.revoked_at.map(|at| t.time(at)).unwrap_or_default(),
            name: k.name,
        })
        .collect();
    let page = UsersPage {
        t: t.clone(),
        nav: admin.nav("users"),
        rows,
        tokens,
        new_token,
        done,
        error,
        form_name: form_name.to_owned(),
    };
    html(status, t, &page)
}

/// `GET /admin/users[?added=NAME|changed=NAME|removed=NAME]`.
pub async fn page(State(state): State<AppState>, admin: Admin, RawQuery(raw): RawQuery) -> Response {
    let q = match query_params(raw.as_deref().unwrap_or(""), &["added", "changed", "removed", "revoked"]) {
        Ok(q) => q,
        Err(r) => return r.into_response(),
    };
    let t = &admin.page;
    let short = |k: &str| q.get(k).filter(|v| v.chars().count() <= 64);
    let done = short("added")
        .map(|n| t.t1("admin-users-added", "name", n))
        .or_else(|| short("changed").map(|n| t.t1("admin-users-changed", "name", n)))
        .or_else(|| short("removed").map(|n| t.t1("admin-users-removed", "name", n)))
        .or_else(|| short("revoked").map(|n| t.t1("admin-tokens-revoked", "name", n)));
    users_page(&state, &admin, StatusCode::OK, done, None, "").await
}

/// Why a change was refused, in the page's language.
fn user_error(t: &Page, e: &UserError) -> String {
    match e {
        UserError::Invalid(m) => t.t1("admin-users-invalid", "reason", m),
        UserError::NotFound(n) => t.t1("admin-users-not-found", "name", n),
        UserError::InConfig(n) => t.t1("admin-users-in-config", "name", n),
        UserError::Last(n) => t.t1("admin-users-last", "name", n),
        UserError::Store(e) => e.to_string(),
    }
}

/// `POST /admin/users` (`name`, `password`, `password2`): adds the user or sets its new password.
pub async fn save(State(state): State<AppState>, form: AdminForm) -> Response {
    let admin = &form.admin;
    let t = &admin.page;
    let name = form.fields.get("name").map(|s| s.trim().to_owned()).unwrap_or_default();
    let password = form.fields.get("password").cloned().unwrap_or_default();
    if form.fields.get("password2") != Some(&password) {
        let msg = t.t("admin-users-mismatch");
        return users_page(&state, admin, StatusCode::BAD_REQUEST, None, Some(msg), &name).await;
    }
    let config_users = &state.settings.config.admin.users;
    match put_user(state.store.as_ref(), config_users, &name, &password, &admin.name, &admin.caller).await {
        Ok(existed) => super::see_other_with("/admin/users", if existed { "changed" } else { "added" }, &name),
        Err(UserError::Store(e)) => Internal::from(e).into_response(),
        Err(e) => users_page(&state, admin, StatusCode::BAD_REQUEST, None, Some(user_error(t, &e)), &name).await,
    }
}

/// `GET /admin/users/remove?name=N`: the confirmation.
pub async fn remove_form(admin: Admin, RawQuery(raw): RawQuery) -> Response {
    let q = match query_params(raw.as_deref().unwrap_or(""), &["name"]) {
        Ok(q) => q,
        Err(r) => return r.into_response(),
    };
    let name = q.get("name").cloned().unwrap_or_default();
    html(StatusCode::OK, &admin.page, &RemovePage { t: admin.page.clone(), nav: admin.nav("users"), name })
}

/// `POST /admin/users/remove` (`name`): removes a store user (never the last one).
pub async fn remove(State(state): State<AppState>, form: AdminForm) -> Response {
    let admin = &form.admin;
    let name = form.fields.get("name").map(|s| s.trim().to_owned()).unwrap_or_default();
    match remove_user(state.store.as_ref(), &state.settings.config.admin.users, &name, &admin.name, &admin.caller).await
    {
        Ok(()) => super::see_other_with("/admin/users", "removed", &name),
        Err(UserError::Store(e)) => Internal::from(e).into_response(),
        Err(e) => {
            let msg = user_error(&admin.page, &e);
            users_page(&state, admin, StatusCode::BAD_REQUEST, None, Some(msg), "").await
        }
    }
}

/// Why a token change was refused, in the page's language.
fn token_error(t: &Page, e: &crate::gateway::Error) -> Option<String> {
    match e.reason() {
        "token_name" => Some(t.t("admin-tokens-bad-name")),
        "token_exists" => Some(t.t("admin-tokens-exists")),
        "no_token" => Some(t.t("admin-tokens-not-found")),
        _ => None,
    }
}

/// The lifetimes the page offers, in days (`never`: no expiry); the first is the default.
const TOKEN_LIFETIMES: [&str; 4] = ["90", "30", "365", "never"];

/// `POST /admin/users/tokens` (`name`, `scope_admin`, `scope_assertions`, `days`, `password`):
/// creates an API token and shows it on the answer — the only time it is seen (the page is not
/// cached, and the token is not in any URL). The admin's own password is asked again (under the
/// sign-in lockout): a token outlives the session, so a borrowed or stolen session alone must not
/// mint one. At least one scope must be chosen.
pub async fn create_token(State(state): State<AppState>, form: AdminForm) -> Response {
    let admin = &form.admin;
    let t = &admin.page;
    let name = form.fields.get("name").map(|s| s.trim().to_owned()).unwrap_or_default();
    let scopes: Vec<Scope> = Scope::ALL
        .into_iter()
        .filter(|s| form.fields.get(&format!("scope_{}", s.as_str())).is_some_and(|v| !v.is_empty()))
        .collect();
    let st = &state;
    let refuse = |status, key: &str| {
        let msg = t.t(key);
        async move { users_page(st, admin, status, None, Some(msg), "").await }
    };
    if scopes.is_empty() {
        return refuse(StatusCode::BAD_REQUEST, "admin-tokens-no-scope").await;
    }
    let days = form.fields.get("days").map(|s| s.trim()).unwrap_or(TOKEN_LIFETIMES[0]);
    let days = match days {
        "never" => None,
        d if TOKEN_LIFETIMES.contains(&d) => d.parse::<u32>().ok(),
        _ => return refuse(StatusCode::BAD_REQUEST, "admin-tokens-bad-days").await,
    };
    let password = form.fields.get("password").map(String::as_str).unwrap_or("");
    match super::auth::confirm_password(&state, admin, password).await {
        Err(r) => return r,
        Ok(Err(super::auth::PasswordRefused::Locked(_))) => {
            return refuse(StatusCode::TOO_MANY_REQUESTS, "admin-tokens-locked").await;
        }
        Ok(Err(super::auth::PasswordRefused::Wrong(_))) => {
            return refuse(StatusCode::FORBIDDEN, "admin-tokens-wrong-password").await;
        }
        Ok(Ok(())) => {}
    }
    let expires_at = match crate::gateway::api_tokens::expiry(crate::util::now_unix(), days) {
        Ok(e) => e,
        Err(e) => return Failure::from(e).into_response(),
    };
    let store = state.store.as_ref();
    match crate::gateway::api_tokens::create_token(store, &name, &scopes, expires_at, &admin.name, &admin.caller).await
    {
        Ok((token, info)) => {
            let done = Some(t.t1("admin-tokens-done-created", "name", &info.name));
            users_page_with(&state, admin, StatusCode::OK, done, None, "", Some((info.name, token))).await
        }
        Err(e) => match token_error(t, &e) {
            Some(msg) => users_page(&state, admin, StatusCode::BAD_REQUEST, None, Some(msg), "").await,
            None => Failure::from(e).into_response(),
        },
    }
}

/// `POST /admin/users/tokens/revoke` (`name`): revokes an API token (its next request gets 401).
pub async fn revoke_token(State(state): State<AppState>, form: AdminForm) -> Response {
    let admin = &form.admin;
    let name = form.fields.get("name").map(|s| s.trim().to_owned()).unwrap_or_default();
    match crate::gateway::api_tokens::revoke_token(state.store.as_ref(), &name, &admin.name, &admin.caller).await {
        Ok(()) => super::see_other_with("/admin/users", "revoked", &name),
        Err(e) => match token_error(&admin.page, &e) {
            Some(msg) => users_page(&state, admin, StatusCode::NOT_FOUND, None, Some(msg), "").await,
            None => Failure::from(e).into_response(),
        },
    }
}
