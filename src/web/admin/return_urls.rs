//! `/admin/return-urls`: the page that edits the partner return URLs ("回跳地址"). Which value wins
//! and how each is checked is [`crate::gateway::return_urls`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::auth::{Admin, AdminForm, Nav};
use super::{audit, html, redirect_see_other};
use crate::gateway::return_urls::{Source, check_submitted};
use crate::gateway::{AuditKind, ReturnKind};
use crate::web::{AppState, Failure};

pub struct UrlRow {
    pub field: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    /// What the input shows: the saved value, or what was just submitted.
    pub value: String,
    pub config_value: String,
    pub effective: String,
    pub source: &'static str,
    pub gateway_url: String,
    pub error: String,
}

#[derive(askama::Template)]
#[template(path = "admin_return_urls.html")]
struct ReturnUrlsPage {
    nav: Nav,
    rows: Vec<UrlRow>,
    saved: bool,
    has_errors: bool,
}

async fn rows(state: &AppState, submitted: Option<&[(String, String)]>) -> Result<Vec<UrlRow>, Failure> {
    let base = &state.settings.config.server.base_url;
    let mut out = Vec::new();
    for (i, kind) in ReturnKind::ALL.into_iter().enumerate() {
        let (eff, source) = state.return_url_source(kind).await?;
        let saved = state.store.get_setting(kind.key()).await?;
        let (value, error) = match submitted {
            Some(s) => s[i].clone(),
            None => (saved.unwrap_or_default(), String::new()),
        };
        out.push(UrlRow {
            field: kind.field(),
            label: kind.label(),
            help: kind.help(),
            value,
            config_value: kind.config_value(&state.settings.config).unwrap_or("").to_owned(),
            effective: eff.unwrap_or_default(),
            source: match source {
                Source::Admin => "saved here",
                Source::Config => "config file",
                Source::Unset => "not set",
            },
            gateway_url: kind.gateway_path().map(|p| format!("{base}{p}")).unwrap_or_default(),
            error,
        });
    }
    Ok(out)
}

/// `GET /admin/return-urls`.
pub async fn page(State(state): State<AppState>, admin: Admin, raw: axum::extract::RawQuery) -> Response {
    let saved = raw.0.as_deref().is_some_and(|q| q.split('&').any(|p| p == "saved=1"));
    match rows(&state, None).await {
        Ok(rows) => {
            html(StatusCode::OK, &ReturnUrlsPage { nav: admin.nav("return-urls"), rows, saved, has_errors: false })
        }
        Err(e) => e.into_response(),
    }
}

/// `POST /admin/return-urls`: all three fields at once; nothing is saved when one of them is invalid.
pub async fn save(State(state): State<AppState>, form: AdminForm) -> Response {
    match save_inner(&state, form).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn save_inner(state: &AppState, form: AdminForm) -> Result<Response, Failure> {
    let mut submitted = Vec::new();
    let mut checked: Vec<Option<String>> = Vec::new();
    let mut bad = false;
    for kind in ReturnKind::ALL {
        let v = form.fields.get(kind.field()).map(|s| s.trim().to_owned()).unwrap_or_default();
        if v.is_empty() {
            checked.push(None);
            submitted.push((v, String::new()));
            continue;
        }
        match check_submitted(&v) {
            Ok(u) => {
                checked.push(Some(u));
                submitted.push((v, String::new()));
            }
            Err(reason) => {
                bad = true;
                checked.push(None);
                submitted.push((v, reason));
            }
        }
    }
    if bad {
        let rows = rows(state, Some(&submitted)).await?;
        let page = ReturnUrlsPage { nav: form.admin.nav("return-urls"), rows, saved: false, has_errors: true };
        return Ok(html(StatusCode::BAD_REQUEST, &page));
    }
    let mut changes = serde_json::Map::new();
    for (kind, new) in ReturnKind::ALL.into_iter().zip(checked) {
        if state.store.get_setting(kind.key()).await? == new {
            continue;
        }
        let old = state.save_return_url(kind, new.as_deref()).await?;
        changes.insert(kind.key().to_owned(), serde_json::json!({"from": old, "to": new}));
    }
    if !changes.is_empty() {
        let subject = changes.keys().cloned().collect::<Vec<_>>().join(",");
        audit(state, &form.admin, AuditKind::AdminReturnUrls, &subject, serde_json::Value::Object(changes)).await?;
    }
    Ok(redirect_see_other("/admin/return-urls?saved=1"))
}
