//! The partner return URLs ("回跳地址"): the one place that says where `/logout`, `/return/order-paid`
//! and `/return/recharge` (and the bind page's "back to the partner platform" link) send the browser,
//! and the admin page that edits them.
//!
//! Precedence: a value saved on `/admin/return-urls` (the store's `settings` table, so every replica
//! sees it) overrides the config file's `return_urls.*`; clearing the field deletes the saved value and
//! the config file's value applies again. Every value is checked with [`config::check_http_url`]
//! when saved and again when used.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::auth::{Admin, AdminForm, Nav};
use super::{audit, html, redirect_see_other};
use crate::config::{self, Config, ConfigError};
use crate::web::{AppState, Internal};

/// One of the three partner return URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnKind {
    /// Where `/logout` and a plain `/saml/slo` end up.
    AfterLogout,
    /// 订单支付成功跳转地址, behind `/return/order-paid`.
    OrderPaid,
    /// 订单充值跳转地址, behind `/return/recharge`.
    Recharge,
}

impl ReturnKind {
    pub const ALL: [ReturnKind; 3] = [ReturnKind::AfterLogout, ReturnKind::OrderPaid, ReturnKind::Recharge];

    /// The config key, also the key in the store's `settings` table.
    pub fn key(self) -> &'static str {
        match self {
            ReturnKind::AfterLogout => "return_urls.after_logout",
            ReturnKind::OrderPaid => "return_urls.order_paid",
            ReturnKind::Recharge => "return_urls.recharge",
        }
    }

    /// The form field name on the admin page.
    pub fn field(self) -> &'static str {
        match self {
            ReturnKind::AfterLogout => "after_logout",
            ReturnKind::OrderPaid => "order_paid",
            ReturnKind::Recharge => "recharge",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReturnKind::AfterLogout => "After logout",
            ReturnKind::OrderPaid => "Order paid (订单支付成功跳转地址)",
            ReturnKind::Recharge => "Recharge (订单充值跳转地址)",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            ReturnKind::AfterLogout => "The partner page a customer sees after signing out (/logout, /saml/slo)",
            ReturnKind::OrderPaid => "Huawei's \"View order details\" link after a customer pays returns here",
            ReturnKind::Recharge => "The partner's top-up page, offered by Huawei when the balance is low",
        }
    }

    /// The stable gateway URL path that Partner Center is given (none for after-logout).
    pub fn gateway_path(self) -> Option<&'static str> {
        match self {
            ReturnKind::AfterLogout => None,
            ReturnKind::OrderPaid => Some("/return/order-paid"),
            ReturnKind::Recharge => Some("/return/recharge"),
        }
    }

    /// The config file's value.
    pub fn config_value(self, c: &Config) -> Option<&str> {
        let r = &c.return_urls;
        match self {
            ReturnKind::AfterLogout => r.after_logout.as_deref(),
            ReturnKind::OrderPaid => r.order_paid.as_deref(),
            ReturnKind::Recharge => r.recharge.as_deref(),
        }
    }
}

/// Where a return URL comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Admin,
    Config,
    Unset,
}

/// The effective URL of `kind` and where it comes from.
pub async fn effective(state: &AppState, kind: ReturnKind) -> Result<(Option<String>, Source), Internal> {
    let saved = state.store.get_setting(kind.key()).await?;
    let (raw, source) = match saved.as_deref() {
        Some(s) => (Some(s), Source::Admin),
        None => match kind.config_value(&state.settings.config) {
            Some(c) => (Some(c), Source::Config),
            None => (None, Source::Unset),
        },
    };
    // Re-checked on every use and serialized by the URL parser (ASCII, ready for `Location`).
    let url = raw.map(|u| config::check_http_url(kind.key(), u, true).map(|p| p.to_string())).transpose()?;
    Ok((url, source))
}

/// The URL the browser is sent to for `kind`: the admin-saved value, else the config file's, else none.
pub async fn return_url(state: &AppState, kind: ReturnKind) -> Result<Option<String>, Internal> {
    Ok(effective(state, kind).await?.0)
}

/// Checks a submitted URL; the error names the problem (without repeating the key).
pub fn check_submitted(kind: ReturnKind, value: &str) -> Result<String, String> {
    config::check_http_url(kind.key(), value, true).map(|u| u.to_string()).map_err(|e| match e {
        ConfigError::Invalid { reason, .. } => reason,
        other => other.to_string(),
    })
}

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

async fn rows(state: &AppState, submitted: Option<&[(String, String)]>) -> Result<Vec<UrlRow>, Internal> {
    let base = &state.settings.config.server.base_url;
    let mut out = Vec::new();
    for (i, kind) in ReturnKind::ALL.into_iter().enumerate() {
        let (eff, source) = effective(state, kind).await?;
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

async fn save_inner(state: &AppState, form: AdminForm) -> Result<Response, Internal> {
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
        match check_submitted(kind, &v) {
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
        let old = state.store.get_setting(kind.key()).await?;
        if old == new {
            continue;
        }
        match &new {
            Some(u) => state.store.put_setting(kind.key(), u).await?,
            None => {
                state.store.delete_setting(kind.key()).await?;
            }
        }
        changes.insert(kind.key().to_owned(), serde_json::json!({"from": old, "to": new}));
    }
    if !changes.is_empty() {
        let subject = changes.keys().cloned().collect::<Vec<_>>().join(",");
        audit(state, &form.admin, "admin.return_urls", &subject, serde_json::Value::Object(changes)).await?;
    }
    Ok(redirect_see_other("/admin/return-urls?saved=1"))
}
