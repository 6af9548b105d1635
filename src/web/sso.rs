//! `GET /saml/sso` (HTTP-Redirect binding, what Huawei sends) and `POST /saml/sso` (HTTP-POST binding,
//! enveloped signature). The decisions are in [`crate::gateway::sso`]: check the AuthnRequest, find the
//! browser's gateway session (none: to the partner's login page and back), prepare and commit the
//! signed Response. This file renders the auto-submitting form that posts it to the SP's ACS.

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;

use super::cookies::browser_session;
use super::ui::{Page, render};
use super::{Answer, AppState, Caller, Internal, form_fields, found, params, wants_json};
use crate::gateway::sso::{CheckedAuthnRequest, Demand, PostForm};

/// Redirect binding.
pub async fn sso_redirect(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(page): Extension<Page>,
    headers: HeaderMap,
    jar: CookieJar,
    RawQuery(raw): RawQuery,
) -> Answer {
    let raw = raw.unwrap_or_default();
    params::check_query_len(&raw)?;
    let checked = match state.check_redirect_authn_request(&raw).await {
        Ok(c) => c,
        // Back after a while onto the auto-post page: the request has expired, but this browser's
        // session answered it — offer the console rather than a dead end.
        Err(e) if matches!(e.reason(), "expired" | "not_yet_valid") => {
            if let Some((_, user)) = browser_session(&state, &jar).await?
                && let Some(console_url) = state.stale_request_answered(&raw, &user).await
            {
                return already_answered(&page, &headers, console_url);
            }
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    // Without a session the browser comes back to this very request after logging in.
    let pending = format!("{}?{}", state.settings.sso_url(), raw);
    answer(&state, &caller, &page, &headers, &jar, checked, Some(&pending)).await
}

/// `GET /saml/init?sp=ENTITYID[&RelayState=…]`: IdP-initiated SSO for an SP that allows it — the
/// auto-post form with an unsolicited Response for this browser's customer; without a session, the
/// partner's login page and back here (as the hop does).
pub async fn sso_init(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(page): Extension<Page>,
    jar: CookieJar,
    RawQuery(raw): RawQuery,
) -> Answer {
    let raw = raw.unwrap_or_default();
    params::check_query_len(&raw)?;
    let q = params::query_params(&raw, &["sp", "RelayState"])?;
    let checked = state.check_idp_initiated(q.get("sp").map(String::as_str), q.get("RelayState").cloned()).await?;
    let Some((session, user)) = browser_session(&state, &jar).await? else {
        tracing::info!(sp = %checked.sp.metadata.entity_id, "no gateway session: sending to login");
        return found(&state.login_redirect_to(Some(&state.init_url(&checked)))?);
    };
    let form = state.answer_idp_initiated(checked, session, user, &caller).await?;
    post_form_response(&state, &page, &form)
}

/// POST binding: form fields `SAMLRequest` (base64, not deflated) and `RelayState`.
pub async fn sso_post(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(page): Extension<Page>,
    headers: HeaderMap,
    jar: CookieJar,
    body: axum::body::Bytes,
) -> Answer {
    let mut fields = form_fields(&body, &["SAMLRequest", "RelayState"])?;
    let relay_state = fields.remove("RelayState");
    let checked = state.check_post_authn_request(fields.get("SAMLRequest").map(String::as_str), relay_state).await?;
    // A POST-bound request cannot come back through a login redirect; without a session, refuse.
    answer(&state, &caller, &page, &headers, &jar, checked, None).await
}

#[derive(askama::Template)]
#[template(path = "already_answered.html")]
struct AlreadyAnsweredPage<'a> {
    t: &'a Page,
    console_url: String,
}

/// "You are already signed in" (JSON for API clients), with the way on to the console.
fn already_answered(page: &Page, headers: &HeaderMap, console_url: String) -> Answer {
    if wants_json(headers) {
        let body = serde_json::json!({"status": "already_answered", "continue": console_url});
        let mut r = axum::Json(body).into_response();
        r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(r);
    }
    render(page, &AlreadyAnsweredPage { t: page, console_url })
}

async fn answer(
    state: &AppState,
    caller: &Caller,
    page: &Page,
    headers: &HeaderMap,
    jar: &CookieJar,
    checked: CheckedAuthnRequest,
    pending_url: Option<&str>,
) -> Answer {
    let session = browser_session(state, jar).await?;
    // Back or Reload on the auto-post page: this browser's session already answered this request.
    if let Some((_, user)) = &session
        && state.answered_in_session(&checked, user)
    {
        tracing::info!(request_id = %checked.req.id, "request already answered in this session (Back or Reload)");
        return already_answered(page, headers, state.continue_url(&checked));
    }
    let can_login = state.settings.config.handoff.partner_login_url.is_some() && pending_url.is_some();
    let (session, user) =
        match (state.check_demands(&checked, session.as_ref().map(|(s, u)| (s, u)), can_login), session) {
            (Demand::Unmet { second, message }, _) => {
                return post_form_response(
                    state,
                    page,
                    &state.answer_with_status(checked, second, &message, caller).await?,
                );
            }
            (Demand::Met, Some(found_session)) => found_session,
            // No session, or ForceAuthn on one older than the request.
            _ => return found(&state.login_redirect(&checked, pending_url)?),
        };
    let prepared = state.prepare_response(checked, session, user, caller)?;
    let form = state.commit_response(prepared).await?;
    post_form_response(state, page, &form)
}

#[derive(askama::Template)]
#[template(path = "post_form.html")]
struct PostFormPage<'a> {
    t: &'a Page,
    action: &'a str,
    field: &'a str,
    message: &'a str,
    relay_state: Option<&'a str>,
    nonce: &'a str,
}

/// The auto-submitting form's HTML (its script carries `nonce`); also what `samlgate assert --format
/// form` prints.
pub fn post_form_html(t: &Page, form: &PostForm, nonce: &str) -> anyhow::Result<String> {
    // The template writes the message unescaped (it is base64); refuse anything else outright.
    if !crate::util::is_base64_text(&form.message) {
        anyhow::bail!("post form message is not base64");
    }
    let page = PostFormPage {
        t,
        action: &form.action,
        field: form.field,
        message: &form.message,
        relay_state: form.relay_state.as_deref(),
        nonce,
    };
    // Sized for the message at once: the page is the message plus about 2 KB of markup.
    let mut html = String::with_capacity(form.message.len() + form.action.len() + 4096);
    askama::Template::render_into(&page, &mut html)?;
    Ok(html)
}

/// The auto-submitting form, with a strict CSP that allows only its own script (by nonce).
pub fn post_form_response(state: &AppState, t: &Page, form: &PostForm) -> Answer {
    let mut n = [0u8; 16];
    let _ = openssl::rand::rand_bytes(&mut n);
    let nonce = hex::encode(n);
    let mut r: Response = super::ui::html_page(t, post_form_html(t, form, &nonce).map_err(Internal)?);
    let h = r.headers_mut();
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&state.ui.csp(Some(&nonce))) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::i18n::{Brand, Lang, Page};
    use std::sync::Arc;

    fn form(message: &str) -> PostForm {
        PostForm {
            action: "https://sp.example/acs".into(),
            field: "SAMLResponse",
            message: message.into(),
            relay_state: Some("a&b".into()),
        }
    }

    #[test]
    fn post_form_carries_base64_and_refuses_anything_else() {
        let page = Page::new(Lang::En, Arc::new(Brand::default()));
        let html = post_form_html(&page, &form("PHNhbWxwOlJlc3BvbnNlLz4+/w=="), "n1").unwrap();
        assert!(html.contains(r#"name="SAMLResponse" value="PHNhbWxwOlJlc3BvbnNlLz4+/w==""#), "{html}");
        assert!(
            html.contains(r#"name="RelayState" value="a&#38;b""#)
                || html.contains(r#"name="RelayState" value="a&amp;b""#),
            "{html}"
        );
        for bad in ["\"><script>", "abc def", "abc\u{e9}", "a<b"] {
            assert!(post_form_html(&page, &form(bad), "n1").is_err(), "{bad:?}");
        }
    }
}
