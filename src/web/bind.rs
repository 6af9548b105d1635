//! `POST /huawei/bind`: Huawei's binding-result notification ("通知结果绑定地址",
//! `docs/huawei-partner-sso.md` §1a step 6). The checks, the replay rule and the store commit are in
//! [`crate::gateway::bind`]; this file reads the form and renders the page (or JSON) the customer's
//! browser shows.

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse};

use super::{Answer, AppState, Caller, Internal, wants_json};
use crate::gateway::ReturnKind;
use crate::store::Binding;

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
        .unwrap_or(false)
}

pub async fn bind(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Answer {
    let checked = state.check_bind_notification(&body, is_form(&headers)).await?;
    let result = state.commit_bind_notification(checked, &caller).await?;
    bound_page(&state, &headers, &result.binding, result.already).await
}

#[derive(askama::Template)]
#[template(
    ext = "html",
    source = r#"{% extends "base.html" %}
{% block title %}Account linked · samlgate{% endblock %}
{% block content %}
<h1>{% if already %}Your account was already linked{% else %}Your account is linked{% endif %}</h1>
<p id="bound">Your partner account <code>{{ x_user_id }}</code> is linked to the HUAWEI CLOUD account
{% if domain_name.is_empty() %}<code>{{ domain_id }}</code>{% else %}<strong>{{ domain_name }}</strong>{% endif %}.
Next time you go to the console from the partner platform you will not be asked to bind again.</p>
<p><a href="{{ console_url }}">Continue to the HUAWEI CLOUD console</a></p>
{% if let Some(home) = partner_url %}<p><a href="{{ home }}">Back to the partner platform</a></p>{% endif %}
{% endblock %}"#
)]
struct BoundPage<'a> {
    already: bool,
    x_user_id: &'a str,
    domain_id: &'a str,
    domain_name: &'a str,
    console_url: String,
    partner_url: Option<&'a str>,
}

async fn bound_page(state: &AppState, headers: &HeaderMap, b: &Binding, already: bool) -> Answer {
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
            already,
            x_user_id: &b.x_user_id,
            domain_id: &b.domain_id,
            domain_name: &b.domain_name,
            console_url: crate::huawei::console_home(state.settings.config.huawei.site),
            partner_url: partner_url.as_deref(),
        };
        Html(askama::Template::render(&page).map_err(Internal::from)?).into_response()
    };
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}
