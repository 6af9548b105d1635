//! The admin pages under `/admin`: sign-in, overview with the Partner Center access-configuration
//! checklist, IdP metadata download, the partner return URLs, bindings and the audit log.
//!
//! Every page needs an admin session (see [`auth`]); every POST carries a CSRF token; every change is
//! audited with kind `admin.*` and the admin's name as actor. Pages are askama templates
//! (`templates/admin_*.html`), so every value is HTML-escaped. They speak the browser's language
//! (Simplified Chinese or English, catalog `templates/i18n/*/admin.ftl`) and show times in the
//! configured zone (`ui.timezone`), which the column headers name.

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use super::{AppState, Failure, Internal};
use crate::gateway::{AuditKind, audit::event};
use crate::web::ui::Page;

mod api;
mod api_assertions;
mod audit;
mod auth;
mod decode;
mod keys;
mod pages;
mod preview;
mod return_urls;
mod sps;
mod users;

pub use api::{OPENAPI_PATH, api_parts};
pub use auth::{ADMIN_COOKIE, ADMIN_SESSION_SECS};

/// The admin routes (merged into the application router).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(pages::overview))
        .route("/admin/login", get(auth::login_form).post(auth::login))
        .route("/admin/logout", post(auth::logout))
        .route("/admin/metadata", get(pages::metadata))
        .route("/admin/return-urls", get(return_urls::page).post(return_urls::save))
        .route("/admin/bindings", get(pages::bindings).post(pages::add_binding))
        .route("/admin/bindings/remove", get(pages::remove_binding_form).post(pages::remove_binding))
        .route("/admin/keys", get(keys::page))
        .route("/admin/keys/prepare", post(keys::prepare))
        .route("/admin/keys/activate", post(keys::activate))
        .route("/admin/keys/retire", post(keys::retire))
        .route("/admin/sps", get(sps::page))
        .route("/admin/sps/upload", post(sps::upload))
        .route("/admin/sps/import", post(sps::import_url))
        .route("/admin/sps/refresh", post(sps::refresh))
        .route("/admin/sps/delete", get(sps::delete_form).post(sps::delete))
        .route("/admin/decode", get(decode::page).post(decode::decode))
        .route("/admin/preview", get(preview::page))
        .route("/admin/users", get(users::page).post(users::save))
        .route("/admin/users/remove", get(users::remove_form).post(users::remove))
        .route("/admin/audit", get(audit::page))
        .route("/admin/audit.csv", get(audit::export_csv))
        .route("/admin/audit.jsonl", get(audit::export_jsonl))
        .route("/admin/users/tokens", post(users::create_token))
        .route("/admin/users/tokens/revoke", post(users::revoke_token))
        .merge(api::routes())
}

/// `Cache-Control: no-store` (admin pages hold tokens and customer data), and `Referrer-Policy:
/// same-origin` instead of the global `no-referrer`: under `no-referrer` browsers send `Origin: null`
/// with form posts, and the admin forms need their real `Origin` to pass [`auth::check_origin`].
fn no_store(resp: &mut Response) {
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
}

/// Renders a page in the request's language: no-store, `Content-Language` and `Vary: Accept-Language`
/// (the same URL answers in the language the browser asks for).
fn html<T: askama::Template>(status: StatusCode, t: &Page, page: &T) -> Response {
    let mut resp = match page.render() {
        Ok(s) => (status, Html(s)).into_response(),
        Err(e) => Internal::from(e).into_response(),
    };
    no_store(&mut resp);
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(t.lang_tag()));
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    resp
}

/// A 303 to one of our own fixed paths.
fn redirect_see_other(path: &'static str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    r.headers_mut().insert(header::LOCATION, HeaderValue::from_static(path));
    no_store(&mut r);
    r
}

/// A 303 to `{path}?{key}={value}` (after a change: the page says what was done to `value`).
fn see_other_with(path: &str, key: &str, value: &str) -> Response {
    let loc = format!("{path}?{key}={}", crate::huawei::encode_component(value));
    let mut r = StatusCode::SEE_OTHER.into_response();
    match HeaderValue::from_str(&loc) {
        Ok(v) => {
            r.headers_mut().insert(header::LOCATION, v);
        }
        Err(e) => return Internal::from(e).into_response(),
    }
    no_store(&mut r);
    r
}

/// Appends an `admin.*` audit event with the admin as actor.
async fn audit(
    state: &AppState,
    admin: &auth::Admin,
    kind: AuditKind,
    subject: &str,
    detail: serde_json::Value,
) -> Result<(), Failure> {
    Ok(state.audit(event(kind, &admin.name, subject, detail, &admin.caller)).await?)
}

/// A Unix time in the configured zone, the zone named beside it (`2026-01-02 11:04:05 (Asia/Shanghai)`),
/// for times inside a sentence (table columns name the zone in their header instead).
fn zoned_time(t: &Page, unix: i64) -> String {
    t.t2("admin-time-zoned", "time", &t.time(unix), "zone", t.timezone_name())
}

/// An RFC 3339 time (a certificate's notAfter) in the configured zone with the zone named; the text
/// as given when it does not parse.
fn zoned_rfc3339(t: &Page, rfc3339: &str) -> String {
    match time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339) {
        Ok(at) => zoned_time(t, at.unix_timestamp()),
        Err(_) => rfc3339.to_owned(),
    }
}
