//! `GET /admin/preview?x_user_id=&name=&mobile=&email=`: what Huawei would receive for a customer —
//! the NameID and the attributes with Huawei's value rules applied, and the jump's isFirstLogin.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::auth::{Admin, Nav};
use super::html;
use crate::gateway::preview::Preview;
use crate::huawei::Customer;
use crate::web::ui::Page;
use crate::web::{AppState, Failure, query_params};

#[derive(askama::Template)]
#[template(path = "admin_preview.html")]
struct PreviewPage {
    t: Page,
    nav: Nav,
    form: [String; 4],
    preview: Option<Preview>,
    error: Option<String>,
}

pub async fn page(State(state): State<AppState>, admin: Admin, RawQuery(raw): RawQuery) -> Response {
    let q = match query_params(raw.as_deref().unwrap_or(""), &["x_user_id", "name", "mobile", "email"]) {
        Ok(q) => q,
        Err(r) => return r.into_response(),
    };
    let get = |k: &str| q.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let form = [get("x_user_id"), get("name"), get("mobile"), get("email")];
    let t = &admin.page;
    let (mut preview, mut error, mut status) = (None, None, StatusCode::OK);
    if !form[0].is_empty() {
        fn opt(s: &str) -> Option<&str> {
            (!s.is_empty()).then_some(s)
        }
        let c = Customer { sub: &form[0], name: opt(&form[1]), mobile: opt(&form[2]), email: opt(&form[3]) };
        match state.preview(&c).await {
            Ok(Ok(p)) => preview = Some(p),
            Ok(Err(e)) => {
                error = Some(t.t2("admin-preview-refused", "attribute", e.attribute, "rule", &e.rule));
                status = StatusCode::BAD_REQUEST;
            }
            Err(e) => return Failure::from(e).into_response(),
        }
    }
    html(status, t, &PreviewPage { t: t.clone(), nav: admin.nav("preview"), form, preview, error })
}
