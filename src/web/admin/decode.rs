//! `/admin/decode`: paste a SAML message (Redirect URL, query, base64 or XML); see it as indented
//! XML with every check the gateway would run on it, passed or failed. Nothing is stored or spent.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::auth::{Admin, AdminForm, Nav};
use super::html;
use crate::gateway::decode::Decoded;
use crate::web::ui::Page;
use crate::web::{AppState, Failure};

#[derive(askama::Template)]
#[template(path = "admin_decode.html")]
struct DecodePage {
    t: Page,
    nav: Nav,
    input: String,
    decoded: Option<Decoded>,
    error: Option<String>,
}

/// `GET /admin/decode`: the form.
pub async fn page(admin: Admin) -> Response {
    let page = DecodePage {
        t: admin.page.clone(),
        nav: admin.nav("decode"),
        input: String::new(),
        decoded: None,
        error: None,
    };
    html(StatusCode::OK, &admin.page, &page)
}

/// `POST /admin/decode` (`message`): the decoded message and its checks.
pub async fn decode(State(state): State<AppState>, form: AdminForm) -> Response {
    let input = form.fields.get("message").cloned().unwrap_or_default();
    let admin = &form.admin;
    let (decoded, error, status) = match state.decode_message(&input).await {
        Ok(d) => (Some(d), None, StatusCode::OK),
        Err(e @ crate::gateway::Error::Refused { .. }) => {
            (None, Some(admin.page.t1("admin-decode-not-saml", "reason", &e.to_string())), StatusCode::BAD_REQUEST)
        }
        Err(e) => return Failure::from(e).into_response(),
    };
    let page = DecodePage { t: admin.page.clone(), nav: admin.nav("decode"), input, decoded, error };
    html(status, &admin.page, &page)
}
