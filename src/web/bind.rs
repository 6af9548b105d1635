//! `POST /huawei/bind`: Huawei's binding-result notification ("通知结果绑定地址",
//! `docs/huawei-partner-sso.md` §1a step 6). The checks, the replay rule and the store commit are in
//! [`crate::gateway::bind`]; this file reads the form and renders the page (or JSON) the customer's
//! browser shows.

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ui::{Page, render};
use super::{Answer, AppState, Caller, wants_json};
use crate::gateway::ReturnKind;
use crate::store::Binding;

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
        .unwrap_or(false)
}

/// Middleware of `POST /huawei/bind`: Huawei's bind page posts the notification into a frame of its
/// own, so this answer may be framed by Huawei's SP origins (and only them); everything else keeps
/// `frame-ancestors 'none'`.
pub async fn frame_policy(State(state): State<AppState>, req: axum::extract::Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let origins = state.huawei_sp_origins().await;
    if origins.is_empty() {
        return resp;
    }
    let csp = state.ui.csp(None).replace("frame-ancestors 'none'", &format!("frame-ancestors {}", origins.join(" ")));
    if let Ok(v) = HeaderValue::from_str(&csp) {
        resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        resp.extensions_mut().insert(super::Framable);
    }
    resp
}

pub async fn bind(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(page): Extension<Page>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Answer {
    let checked = state.check_bind_notification(&body, is_form(&headers)).await?;
    let result = state.commit_bind_notification(checked, &caller).await?;
    bound_page(&state, &page, &headers, &result.binding, result.already).await
}

#[derive(askama::Template)]
#[template(path = "bound.html")]
struct BoundPage<'a> {
    t: &'a Page,
    already: bool,
    x_user_id: &'a str,
    account: &'a str,
    console_url: String,
    partner_url: Option<&'a str>,
}

async fn bound_page(state: &AppState, t: &Page, headers: &HeaderMap, b: &Binding, already: bool) -> Answer {
    let status = if already { "already_bound" } else { "bound" };
    let mut resp = if wants_json(headers) {
        axum::Json(serde_json::json!({
            "status": status,
            "xUserId": b.x_user_id,
            "domainId": b.domain_id,
            "domainName": b.domain_name,
        }))
        .into_response()
    } else {
        let partner_url = state.return_url(ReturnKind::AfterLogout).await?;
        let page = BoundPage {
            t,
            already,
            x_user_id: &b.x_user_id,
            account: if b.domain_name.is_empty() { &b.domain_id } else { &b.domain_name },
            console_url: crate::huawei::console_home(state.settings.config.huawei.site),
            // The partner's home (ui), else the after-logout return URL.
            partner_url: t.partner_home().or(partner_url.as_deref()),
        };
        render(t, &page)?
    };
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}
