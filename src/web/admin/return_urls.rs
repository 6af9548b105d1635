//! `/admin/return-urls`: the page that edits the partner return URLs ("回跳地址"). Which value wins
//! and how each is checked is [`crate::gateway::return_urls`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::auth::{Admin, AdminForm, Nav};
use super::pages::{return_help, return_label};
use super::{audit, html, redirect_see_other};
use crate::gateway::return_urls::{Source, check_submitted};
use crate::gateway::{AuditKind, ReturnKind};
use crate::util::url::MAX_URL_LEN;
use crate::web::ui::Page;
use crate::web::{AppState, Failure};

pub struct UrlRow {
    pub field: &'static str,
    pub label: String,
    pub help: String,
    /// What the input shows: the saved value, or what was just submitted.
    pub value: String,
    pub config_value: String,
    pub effective: String,
    pub source: String,
    pub gateway_url: String,
    pub error: String,
}

#[derive(askama::Template)]
#[template(path = "admin_return_urls.html")]
struct ReturnUrlsPage {
    t: Page,
    nav: Nav,
    rows: Vec<UrlRow>,
    saved: bool,
    has_errors: bool,
}

async fn rows(state: &AppState, t: &Page, submitted: Option<&[(String, String)]>) -> Result<Vec<UrlRow>, Failure> {
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
            label: return_label(t, kind),
            help: return_help(t, kind),
            value,
            config_value: kind.config_value(&state.settings.config).unwrap_or("").to_owned(),
            effective: eff.unwrap_or_default(),
            source: match source {
                Source::Admin => t.t("admin-source-saved"),
                Source::Config => t.t("admin-source-config"),
                Source::Unset => t.t("admin-source-unset"),
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
    let t = &admin.page;
    match rows(&state, t, None).await {
        Ok(rows) => html(
            StatusCode::OK,
            t,
            &ReturnUrlsPage { t: t.clone(), nav: admin.nav("return-urls"), rows, saved, has_errors: false },
        ),
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
    let t = &form.admin.page;
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
                let reason = url_error(t, &v, reason);
                submitted.push((v, reason));
            }
        }
    }
    if bad {
        let rows = rows(state, t, Some(&submitted)).await?;
        let page =
            ReturnUrlsPage { t: t.clone(), nav: form.admin.nav("return-urls"), rows, saved: false, has_errors: true };
        return Ok(html(StatusCode::BAD_REQUEST, t, &page));
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

/// Why [`check_submitted`] refused `value`, in the page's language: the rule is found again in the
/// order [`crate::util::url::redirect_target`] checks them; `reason` (its English text) when none
/// matches.
fn url_error(t: &Page, value: &str, reason: String) -> String {
    if value.len() > MAX_URL_LEN {
        return t.t1("admin-url-too-long", "max", &MAX_URL_LEN.to_string());
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
        return t.t("admin-url-whitespace");
    }
    let parsed = match url::Url::parse(value) {
        Ok(u) => u,
        Err(e) => return t.t2("admin-url-not-absolute", "url", value, "error", &e.to_string()),
    };
    match parsed.scheme() {
        "https" => {}
        "http" if matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")) => {}
        "http" => return t.t1("admin-url-needs-https", "url", value),
        other => return t.t1("admin-url-scheme", "scheme", other),
    }
    if parsed.host_str().unwrap_or("").is_empty() {
        return t.t("admin-url-no-host");
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return t.t("admin-url-credentials");
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::i18n::Lang;

    /// Each refusal of the return URL rule has its message, the English one as the rule words it.
    #[test]
    fn refused_urls_are_explained_in_both_languages() {
        let en = Page::new(Lang::En, Default::default());
        let zh = Page::new(Lang::ZhCn, Default::default());
        let long = format!("https://a.example/{}", "x".repeat(MAX_URL_LEN));
        for bad in [
            "javascript:alert(1)",
            "http://evil.example/",
            "https://u:p@x.example/",
            "data:text/html,hi",
            "not a url",
            "relative/path",
            "file:///etc/passwd",
            long.as_str(),
        ] {
            let reason = check_submitted(bad).expect_err(bad);
            assert_eq!(url_error(&en, bad, reason.clone()), reason, "{bad}");
            let zh_text = url_error(&zh, bad, reason.clone());
            assert_ne!(zh_text, reason, "{bad}: no Chinese message");
        }
    }
}
