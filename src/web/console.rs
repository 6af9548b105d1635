//! `GET /console?token=…&service=…[&region=…][&return_to=…]`: the customer's "go to console" click.
//! [`crate::gateway::console`] checks the hand-off and opens the session; this file sets the cookie
//! and sends the browser on (to Huawei's SSO entry link, or back to our own pending `/saml/sso` or
//! `/saml/init`). With `sp=ENTITYID[&RelayState=…]` instead (IdP-initiated SSO, for an SP that allows
//! it) the answer is the auto-post form with an unsolicited Response for the new session.

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;

use super::cookies::{session_cookie, session_id};
use super::sso::post_form_response;
use super::ui::Page;
use super::{Answer, AppState, Caller, Internal, found, query_params};
use crate::gateway::console::HandoffParams;

pub async fn console(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(page): Extension<Page>,
    jar: CookieJar,
    RawQuery(raw): RawQuery,
) -> Answer {
    let q =
        query_params(raw.as_deref().unwrap_or(""), &["token", "service", "region", "return_to", "sp", "RelayState"])?;
    let get = |k: &str| q.get(k).map(String::as_str);
    let params = HandoffParams {
        token: get("token"),
        service: get("service"),
        region: get("region"),
        return_to: get("return_to"),
        sp: get("sp"),
        relay_state: get("RelayState"),
    };
    let checked = state.check_handoff(params).await?;
    let id = state.open_session(&checked, session_id(&jar), &caller).await?;
    let resp = match checked.idp_initiated {
        // IdP-initiated SSO: the new session's customer signs in at the SP at once.
        Some(init) => {
            let Some((session, user)) = state.session(Some(&id)).await? else {
                return Err(Internal(anyhow::anyhow!("the session just opened is gone")).into());
            };
            let form = state.answer_idp_initiated(init, session, user, &caller).await?;
            post_form_response(&state, &page, &form)?
        }
        None => found(&checked.target)?,
    };
    Ok((jar.add(session_cookie(&state, id)), resp).into_response())
}
