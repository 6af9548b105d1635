//! `GET /console?token=…&service=…[&region=…][&return_to=…]`: the customer's "go to console" click.
//! [`crate::gateway::console`] checks the hand-off and opens the session; this file sets the cookie
//! and sends the browser on (to Huawei's SSO entry link, or back to our own pending `/saml/sso`).

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;

use super::cookies::{session_cookie, session_id};
use super::{Answer, AppState, Caller, found, query_params};
use crate::gateway::console::HandoffParams;

pub async fn console(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    jar: CookieJar,
    RawQuery(raw): RawQuery,
) -> Answer {
    let q = query_params(raw.as_deref().unwrap_or(""), &["token", "service", "region", "return_to"])?;
    let get = |k: &str| q.get(k).map(String::as_str);
    let params = HandoffParams {
        token: get("token"),
        service: get("service"),
        region: get("region"),
        return_to: get("return_to"),
    };
    let checked = state.check_handoff(params).await?;
    let id = state.open_session(&checked, session_id(&jar), &caller).await?;
    let resp = found(&checked.target)?;
    Ok((jar.add(session_cookie(&state, id)), resp).into_response())
}
