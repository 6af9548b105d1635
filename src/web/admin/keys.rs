//! `/admin/keys`: the IdP keys with their states and the zero-downtime rollover — *prepare* (a next
//! key, published beside the current one) → upload `IDP Metadata.xml` in Partner Center →
//! *activate* (sign with it) → *retire* (stop publishing the old one). Each step is a POST form (CSRF
//! token and Origin checked by [`AdminForm`]) running [`run_step`], refused out of order with the way
//! on; the use case, the key directory and its replicas are [`crate::gateway::rollover`].

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::auth::{Admin, AdminForm, Nav};
use super::{html, redirect_see_other, zoned_rfc3339};
use crate::gateway::rollover::{IdpState, PrepareOptions, algorithm_change, run_step};
use crate::gateway::{Error, Kind};
use crate::keys::KeyAlgorithm;
use crate::keys::rollover::{KeyState, Stage, Step};
use crate::web::ui::Page;
use crate::web::{AppState, Failure, query_params};

/// Certificates closer than this to expiry get the overview's warning to start a rollover.
const EXPIRY_WARN_DAYS: i64 = 30;

/// The algorithms the prepare form offers (besides "same as the current key").
const ALGORITHMS: [&str; 4] = ["rsa2048", "rsa3072", "rsa4096", "ecdsa-p256"];

/// One key of the table.
pub struct KeyRow {
    /// `current`, `next`, `previous` (also the row's class).
    pub state: &'static str,
    pub state_text: String,
    pub badge: &'static str,
    pub subject: String,
    pub fingerprint: String,
    pub not_after: String,
    pub days_left: String,
    pub key: String,
    pub since: String,
}

#[derive(askama::Template)]
#[template(path = "admin_keys.html")]
struct KeysPage {
    t: Page,
    nav: Nav,
    rows: Vec<KeyRow>,
    /// `single`, `prepared`, `activated`.
    stage: &'static str,
    stage_text: String,
    done: Option<String>,
    error: Option<String>,
    algorithm_note: Option<String>,
    signing: String,
    algorithms: [&'static str; 4],
}

fn state_text(t: &Page, s: KeyState) -> String {
    match s {
        KeyState::Current => t.t("admin-keys-state-current"),
        KeyState::Next => t.t("admin-keys-state-next"),
        KeyState::Previous => t.t("admin-keys-state-previous"),
    }
}

fn stage_text(t: &Page, s: Stage) -> String {
    match s {
        Stage::Single => t.t("admin-keys-stage-single"),
        Stage::Prepared => t.t("admin-keys-stage-prepared"),
        Stage::Activated => t.t("admin-keys-stage-activated"),
    }
}

fn done_text(t: &Page, step: Step) -> String {
    match step {
        Step::Prepare => t.t("admin-keys-done-prepare"),
        Step::Activate => t.t("admin-keys-done-activate"),
        Step::Retire => t.t("admin-keys-done-retire"),
    }
}

/// A refusal of a step, in the page's language (by its reason; the message as a fallback).
fn refusal_text(t: &Page, reason: &str, message: &str) -> String {
    match reason {
        "next_key_exists" => t.t("admin-keys-error-next-key-exists"),
        "previous_key_published" => t.t("admin-keys-error-previous-key-published"),
        "no_next_key" => t.t("admin-keys-error-no-next-key"),
        "already_activated" => t.t("admin-keys-error-already-activated"),
        "no_previous_key" => t.t("admin-keys-error-no-previous-key"),
        "not_activated" => t.t("admin-keys-error-not-activated"),
        _ => t.t1("admin-keys-error-other", "message", message),
    }
}

fn rows(t: &Page, idp: &IdpState) -> Vec<KeyRow> {
    idp.keys
        .rows()
        .into_iter()
        .map(|r| KeyRow {
            state: r.state.as_str(),
            state_text: state_text(t, r.state),
            badge: match r.state {
                KeyState::Current if r.info.days_left < 0 => "bad",
                KeyState::Current if r.info.days_left < EXPIRY_WARN_DAYS => "warn",
                KeyState::Current => "ok",
                _ => "warn",
            },
            subject: r.info.subject.clone(),
            fingerprint: r.info.sha256_fingerprint.clone(),
            not_after: zoned_rfc3339(t, &r.info.not_after),
            days_left: if r.info.days_left < 0 {
                t.t1("admin-keys-expired", "days", &(-r.info.days_left).to_string())
            } else {
                r.info.days_left.to_string()
            },
            key: r.info.key_description.clone(),
            since: r.since.map(|s| t.time(s)).unwrap_or_default(),
        })
        .collect()
}

async fn render(
    state: &AppState,
    admin: &Admin,
    status: StatusCode,
    done: Option<String>,
    mut error: Option<String>,
) -> Response {
    let t = &admin.page;
    // Read the key directory now: the page shows what a step on another replica or the CLI did, and
    // this gateway signs with it from now on.
    if let Err(e) = state.reload_keys().await
        && error.is_none()
    {
        tracing::warn!(error = %e, "re-reading the IdP key directory failed");
        error = Some(t.t1("admin-keys-error-unreadable", "message", &e.to_string()));
    }
    let idp = state.idp();
    let stage = idp.keys.stage();
    let algorithm_note = idp.keys.next.as_ref().and_then(|next| {
        algorithm_change(next, &state.settings).map(|(configured, used)| {
            t.lang.text_with(
                "admin-keys-algorithm-note",
                &[("key", &next.info().key_description), ("configured", configured.name()), ("used", used.name())],
            )
        })
    });
    let page = KeysPage {
        t: t.clone(),
        nav: admin.nav("keys"),
        rows: rows(t, &idp),
        stage: stage.as_str(),
        stage_text: stage_text(t, stage),
        done,
        error,
        algorithm_note,
        signing: t.t1("admin-keys-signing", "fingerprint", &idp.current_fingerprint()),
        algorithms: ALGORITHMS,
    };
    html(status, t, &page)
}

/// `GET /admin/keys[?done=prepare|activate|retire]`.
pub async fn page(State(state): State<AppState>, admin: Admin, RawQuery(raw): RawQuery) -> Response {
    let q = match query_params(raw.as_deref().unwrap_or(""), &["done"]) {
        Ok(q) => q,
        Err(r) => return r.into_response(),
    };
    let done = match q.get("done").map(String::as_str) {
        Some("prepare") => Some(Step::Prepare),
        Some("activate") => Some(Step::Activate),
        Some("retire") => Some(Step::Retire),
        _ => None,
    };
    let done = done.map(|s| done_text(&admin.page, s));
    render(&state, &admin, StatusCode::OK, done, None).await
}

/// `POST /admin/keys/prepare` (optional field `algorithm`: empty = the current key's).
pub async fn prepare(State(state): State<AppState>, form: AdminForm) -> Response {
    let algorithm = match form.fields.get("algorithm").map(|a| a.trim()).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) if ALGORITHMS.contains(&a) => a.parse::<KeyAlgorithm>().ok(),
        Some(_) => {
            let msg = form.admin.page.t("admin-keys-error-algorithm");
            return render(&state, &form.admin, StatusCode::BAD_REQUEST, None, Some(msg)).await;
        }
    };
    step(&state, &form.admin, Step::Prepare, PrepareOptions { algorithm, ..PrepareOptions::default() }).await
}

/// `POST /admin/keys/activate`.
pub async fn activate(State(state): State<AppState>, form: AdminForm) -> Response {
    step(&state, &form.admin, Step::Activate, PrepareOptions::default()).await
}

/// `POST /admin/keys/retire`.
pub async fn retire(State(state): State<AppState>, form: AdminForm) -> Response {
    step(&state, &form.admin, Step::Retire, PrepareOptions::default()).await
}

/// Runs the step (audited with the admin as actor), makes this gateway use its keys at once, and
/// shows the page with what to do next; a step out of order is shown refused (409), nothing changed.
async fn step(state: &AppState, admin: &Admin, step: Step, opts: PrepareOptions) -> Response {
    match run_step(&state.settings, state.store.as_ref(), step, &opts, &admin.name, "admin", &admin.caller).await {
        Ok(_) => {
            if let Err(e) = state.reload_keys().await {
                tracing::warn!(error = %e, "re-reading the IdP key directory after {step} failed");
            }
            redirect_see_other(match step {
                Step::Prepare => "/admin/keys?done=prepare",
                Step::Activate => "/admin/keys?done=activate",
                Step::Retire => "/admin/keys?done=retire",
            })
        }
        Err(Error::Refused { kind, reason, message }) => {
            let status = if kind == Kind::Conflict { StatusCode::CONFLICT } else { StatusCode::BAD_REQUEST };
            let msg = refusal_text(&admin.page, reason, &message);
            render(state, admin, status, None, Some(msg)).await
        }
        Err(e) => Failure::from(e).into_response(),
    }
}

/// The overview's status line about the keys: a rollover under way (what to do next), or the
/// current certificate expiring within 30 days without one (start it). None when all is well.
pub fn overview_check(t: &Page, idp: &IdpState) -> Option<(&'static str, String, String)> {
    match idp.keys.stage() {
        Stage::Prepared => Some(("warn", t.t("admin-keys-check-prepared"), t.t("admin-keys-check-prepared-detail"))),
        Stage::Activated => Some(("warn", t.t("admin-keys-check-activated"), t.t("admin-keys-check-activated-detail"))),
        Stage::Single => {
            let days = idp.current_info().days_left;
            (days < EXPIRY_WARN_DAYS).then(|| {
                let level = if days < 0 { "bad" } else { "warn" };
                (
                    level,
                    t.t1("admin-keys-check-expiring", "days", &days.to_string()),
                    t.t("admin-keys-check-expiring-detail"),
                )
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::i18n::Lang;

    /// Every refusal of a step has its sentence in both languages (none falls back to the English
    /// message of the gateway).
    #[test]
    fn every_refusal_is_explained_in_both_languages() {
        for lang in Lang::ALL {
            let t = Page::new(lang, Default::default());
            for reason in [
                "next_key_exists",
                "previous_key_published",
                "no_next_key",
                "already_activated",
                "no_previous_key",
                "not_activated",
            ] {
                let text = refusal_text(&t, reason, "MESSAGE");
                assert!(!text.contains("MESSAGE") && !text.starts_with("admin-keys-"), "{lang:?} {reason}: {text}");
            }
        }
    }
}
