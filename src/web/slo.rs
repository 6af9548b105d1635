//! Logout and the partner return URLs (the decisions: [`crate::gateway::slo`],
//! [`crate::gateway::return_urls`]).
//!
//! - `GET /saml/slo?SAMLRequest=…` — a Redirect-bound LogoutRequest from the SP; the browser goes to
//!   the SP's SingleLogoutService with the signed LogoutResponse, and loses its cookie when its
//!   session was the one named.
//! - `GET /saml/slo` without a SAML message, and `GET /logout`: end this browser's session and go to
//!   the after-logout return URL (or a "signed out" page).
//! - `GET /return/order-paid`, `GET /return/recharge`: stable gateway URLs for Partner Center that
//!   redirect to the effective `return_urls.order_paid` / `return_urls.recharge`.

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;

use super::cookies::{SESSION_COOKIE, browser_session, removal_cookie};
use super::ui::{Page, render};
use super::{Answer, AppState, Caller, found, params};
use crate::gateway::ReturnKind;

/// `GET /saml/slo`.
pub async fn slo(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(page): Extension<Page>,
    jar: CookieJar,
    RawQuery(raw): RawQuery,
) -> Answer {
    let raw = raw.unwrap_or_default();
    params::check_query_len(&raw)?;
    // No SAML message at all: a plain "sign me out".
    let Some(checked) = state.check_logout_request(&raw).await? else {
        return local_logout(&state, &caller, &page, jar).await;
    };
    let session = browser_session(&state, &jar).await?;
    let answer = state.answer_logout_request(checked, session, &caller).await?;
    let jar = if answer.session_ended { jar.remove(removal_cookie()) } else { jar };
    Ok((jar, found(&answer.redirect)?).into_response())
}

/// `GET /logout`.
pub async fn logout(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(page): Extension<Page>,
    jar: CookieJar,
) -> Answer {
    local_logout(&state, &caller, &page, jar).await
}

#[derive(askama::Template)]
#[template(path = "signed_out.html")]
struct SignedOutPage<'a> {
    t: &'a Page,
}

async fn local_logout(state: &AppState, caller: &Caller, page: &Page, jar: CookieJar) -> Answer {
    let session = browser_session(state, &jar).await?;
    let after = state.local_logout(session, caller).await?;
    let jar = if jar.get(SESSION_COOKIE).is_some() { jar.remove(removal_cookie()) } else { jar };
    let resp = match after {
        Some(u) => found(&u)?,
        None => render(page, &SignedOutPage { t: page })?,
    };
    Ok((jar, resp).into_response())
}

/// `GET /return/order-paid` (订单支付成功跳转地址).
pub async fn order_paid(State(state): State<AppState>) -> Answer {
    found(&state.return_target(ReturnKind::OrderPaid, "order-paid").await?)
}

/// `GET /return/recharge` (订单充值跳转地址).
pub async fn recharge(State(state): State<AppState>) -> Answer {
    found(&state.return_target(ReturnKind::Recharge, "recharge").await?)
}
