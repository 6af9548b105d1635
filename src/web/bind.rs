//! `POST /huawei/bind`: Huawei's binding-result notification ("通知结果绑定地址", huawei-partner-sso.md
//! §1a step 6). After a first login Huawei sends the customer's *browser* here with the form fields
//! `bindRequest` (base64 JSON), `SigAlg` and `Signature`. We verify the signature with the certificates
//! of Huawei's SP metadata, store xUserId ↔ domainId durably before answering, and show a small page.
//!
//! Which octets `Signature` covers is not documented: [`bind_signed_octets`] is the one place that
//! decides (today `bindRequest=<raw>&SigAlg=<raw>`, as in the Redirect binding).
//!
//! Replay. The notification carries no timestamp or nonce, and RSA PKCS#1 v1.5 signatures are
//! deterministic, so "the same binding again" and "a captured notification replayed" are the same
//! bytes. The rule:
//! - a notification that agrees with what is stored is answered 200 "already linked", whenever it
//!   comes (a reload, Huawei retrying, a replay: none of them changes anything);
//! - a notification that would *create* a binding is spent with `use_once("bind", sha256(signed
//!   octets ‖ Signature))` for [`BIND_REPLAY_WINDOW_SECS`]: the same bytes cannot re-create a binding
//!   an operator removed in that window (refused as `replay`);
//! - a notification for an xUserId bound to another domainId is refused `binding_conflict` (409) and
//!   audited; the stored binding is never overwritten.

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;

use super::sp_cache::SpEntry;
use super::{AppState, CorrelationId, Internal, Refusal, now_unix};
use crate::saml::dsig::DsigError;
use crate::saml::redirect::{form_decode, verify_redirect_signature};
use crate::saml::response::{HuaweiAttribute, check_huawei_attribute};
use crate::store::{BindOutcome, Binding, NewAuditEvent};

/// Largest notification body accepted (the JSON is a few hundred bytes).
pub const MAX_BIND_BODY: usize = 16 * 1024;
/// How long a notification that created a binding is remembered (see the module comment).
pub const BIND_REPLAY_WINDOW_SECS: i64 = 24 * 3600;

const FIELDS: [&str; 3] = ["bindRequest", "SigAlg", "Signature"];

/// The three form fields as received (still percent-encoded) and the octets the signature covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindForm<'a> {
    pub bind_request_raw: &'a str,
    pub sig_alg_raw: &'a str,
    pub signature_raw: &'a str,
    /// What Huawei signed: `bindRequest=<raw>&SigAlg=<raw>`.
    pub signed_octets: String,
}

/// Splits the raw `application/x-www-form-urlencoded` body without re-encoding anything and builds
/// the signed octets. This is the single place that knows the (undocumented) signing rule.
/// Refuses duplicates of the three fields, field names written with percent-escapes, and a missing
/// field (`missing_signature` when both SigAlg and Signature are absent). Other fields are ignored.
pub fn bind_signed_octets(raw_body: &str) -> Result<BindForm<'_>, DsigError> {
    let mut found: [Option<&str>; 3] = [None; 3];
    for part in raw_body.split('&') {
        if part.is_empty() {
            continue;
        }
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        let idx = match FIELDS.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                if let Ok(decoded) = form_decode(key, "field name")
                    && let Some(k) = FIELDS.iter().find(|k| **k == decoded)
                {
                    return Err(DsigError::BadEncoding(k));
                }
                continue;
            }
        };
        if found[idx].is_some() {
            return Err(DsigError::DuplicateParameter(FIELDS[idx].to_owned()));
        }
        found[idx] = Some(value);
    }
    let [bind_request, sig_alg, signature] = found;
    let bind_request_raw = bind_request.ok_or(DsigError::MissingParameter("bindRequest"))?;
    let (sig_alg_raw, signature_raw) = match (sig_alg, signature) {
        (None, None) => return Err(DsigError::MissingSignature),
        (Some(_), None) => return Err(DsigError::MissingParameter("Signature")),
        (None, Some(_)) => return Err(DsigError::MissingParameter("SigAlg")),
        (Some(a), Some(s)) => (a, s),
    };
    let signed_octets = format!("bindRequest={bind_request_raw}&SigAlg={sig_alg_raw}");
    Ok(BindForm { bind_request_raw, sig_alg_raw, signature_raw, signed_octets })
}

/// The decoded `bindRequest` JSON. Unknown fields are ignored; a repeated field is refused by serde.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BindRequest {
    pub x_user_id: String,
    pub domain_id: String,
    #[serde(default)]
    pub domain_name: Option<String>,
    #[serde(default)]
    pub user_name: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
}

fn bad(reason: &'static str, message: impl Into<String>) -> Response {
    Refusal::bad_request(reason, message).into_response()
}

/// Base64 (standard alphabet, padding optional, whitespace such as Java's MIME line breaks ignored)
/// then strict JSON with size and character checks.
pub fn decode_bind_request(b64: &str) -> Result<BindRequest, Refusal> {
    let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let json = engine
        .decode(compact.as_bytes())
        .map_err(|_| Refusal::bad_request("bad_base64", "bindRequest is not valid base64"))?;
    let req: BindRequest = serde_json::from_slice(&json)
        .map_err(|e| Refusal::bad_request("bad_bind_request", format!("bindRequest is not the expected JSON: {e}")))?;
    check_huawei_attribute(HuaweiAttribute::XUserId, &req.x_user_id)
        .map_err(|e| Refusal::bad_request("bad_bind_request", e.to_string()))?;
    let field = |name: &str, v: &str, max: usize, required: bool| -> Result<(), Refusal> {
        if required && v.is_empty() {
            return Err(Refusal::bad_request("bad_bind_request", format!("{name} is empty")));
        }
        if v.chars().count() > max || v.chars().any(char::is_control) {
            return Err(Refusal::bad_request(
                "bad_bind_request",
                format!("{name} is longer than {max} characters or contains control characters"),
            ));
        }
        Ok(())
    };
    field("xUserId", &req.x_user_id, 128, true)?;
    field("domainId", &req.domain_id, 64, true)?;
    if req.domain_id.chars().any(char::is_whitespace) {
        return Err(Refusal::bad_request("bad_bind_request", "domainId contains whitespace"));
    }
    field("domainName", req.domain_name.as_deref().unwrap_or(""), 128, false)?;
    field("userName", req.user_name.as_deref().unwrap_or(""), 128, false)?;
    field("userId", req.user_id.as_deref().unwrap_or(""), 128, false)?;
    Ok(req)
}

/// The imported SP that is Huawei's: the one whose entityID is Huawei's (`huawei.sp_entity_id`, by
/// default the site's `https://auth…/`), whatever other SPs are imported.
pub async fn huawei_sp(state: &AppState) -> Result<std::sync::Arc<SpEntry>, Response> {
    let entity = crate::huawei::sp_entity_id(&state.settings.config.huawei);
    if state.store.get_sp(&entity).await.map_err(|e| Internal::from(e).into_response())?.is_none() {
        return Err(Refusal::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "huawei_sp_missing",
            format!(
                "Huawei's SP metadata (entityID {entity}) is not imported, so the notification cannot be verified; \
                 the operator must run `samlgate sp import` with Huawei's SP Metadata.xml"
            ),
        )
        .into_response());
    }
    state.sp_cache.get(state, &entity).await
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
        .unwrap_or(false)
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// Key under which a notification is spent: the signed octets and the signature as received.
fn replay_key(form: &BindForm<'_>) -> String {
    let mut h = openssl::sha::Sha256::new();
    h.update(form.signed_octets.as_bytes());
    h.update(b"\x1f");
    h.update(form.signature_raw.as_bytes());
    hex::encode(h.finish())
}

pub async fn bind(
    State(state): State<AppState>,
    Extension(cid): Extension<CorrelationId>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Response> {
    if body.len() > MAX_BIND_BODY {
        return Err(Refusal::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the notification body is too large")
            .into_response());
    }
    if !is_form(&headers) {
        return Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content_type",
            "the binding notification must be an application/x-www-form-urlencoded form",
        )
        .into_response());
    }
    let raw = std::str::from_utf8(&body).map_err(|_| bad("bad_encoding", "the form body is not UTF-8"))?;
    let form = bind_signed_octets(raw).map_err(super::sso::refuse_dsig)?;
    let sp = huawei_sp(&state).await?;
    let sig_alg = form_decode(form.sig_alg_raw, "SigAlg").map_err(super::sso::refuse_dsig)?;
    let signature = form_decode(form.signature_raw, "Signature").map_err(super::sso::refuse_dsig)?;
    verify_redirect_signature(
        form.signed_octets.as_bytes(),
        &sig_alg,
        &signature,
        &sp.certs,
        state.settings.config.huawei.allow_sha1,
    )
    .map_err(super::sso::refuse_dsig)?;
    // Only now, from the verified field, read the content.
    let b64 = form_decode(form.bind_request_raw, "bindRequest").map_err(super::sso::refuse_dsig)?;
    let req = decode_bind_request(&b64).map_err(IntoResponse::into_response)?;

    let now = now_unix();
    let binding = Binding {
        x_user_id: req.x_user_id.clone(),
        domain_id: req.domain_id.clone(),
        domain_name: req.domain_name.clone().unwrap_or_default(),
        user_name: req.user_name.clone(),
        user_id: req.user_id.clone(),
        created_at: now,
    };
    let store = &state.store;
    let internal = |e: crate::store::StoreError| Internal::from(e).into_response();
    let existing = store.get_binding(&binding.x_user_id).await.map_err(internal)?;
    let mut replayed = false;
    let outcome = match existing {
        Some(b) if b.domain_id == binding.domain_id => BindOutcome::AlreadySame,
        // Recorded by the partner without its account (`bindings add`): Huawei's notification fills
        // it in.
        Some(b) if b.domain_id.is_empty() => {
            if store.complete_binding(&binding).await.map_err(internal)? {
                BindOutcome::Created
            } else {
                BindOutcome::Conflict { existing_domain_id: b.domain_id }
            }
        }
        Some(b) => BindOutcome::Conflict { existing_domain_id: b.domain_id },
        None => {
            let first =
                store.use_once("bind", &replay_key(&form), now + BIND_REPLAY_WINDOW_SECS).await.map_err(internal)?;
            if first {
                // put_binding commits (SQLite synchronous=FULL) before we answer.
                store.put_binding(&binding).await.map_err(internal)?
            } else {
                // Spent before: fine only if a concurrent copy has just stored the same binding.
                replayed = true;
                match store.get_binding(&binding.x_user_id).await.map_err(internal)? {
                    Some(b) if b.domain_id == binding.domain_id => BindOutcome::AlreadySame,
                    Some(b) => BindOutcome::Conflict { existing_domain_id: b.domain_id },
                    None => {
                        audit(&state, &cid, "bind.replay", &binding, serde_json::json!({})).await?;
                        return Err(Refusal::new(
                            StatusCode::CONFLICT,
                            "replay",
                            "this binding notification was already used, and the binding it created has since been \
                             removed; a replayed notification cannot re-create it",
                        )
                        .into_response());
                    }
                }
            }
        }
    };
    match outcome {
        BindOutcome::Created => {
            audit(&state, &cid, "bind.created", &binding, serde_json::json!({})).await?;
            tracing::info!(x_user_id = %binding.x_user_id, domain_id = %binding.domain_id, "binding stored");
            Ok(bound_page(&state, &headers, &binding, false).await)
        }
        BindOutcome::AlreadySame => {
            audit(&state, &cid, "bind.repeated", &binding, serde_json::json!({"replayed": replayed})).await?;
            tracing::info!(x_user_id = %binding.x_user_id, "binding notification repeated; already bound");
            Ok(bound_page(&state, &headers, &binding, true).await)
        }
        BindOutcome::Conflict { existing_domain_id } => {
            audit(
                &state,
                &cid,
                "bind.conflict",
                &binding,
                serde_json::json!({"existing_domain_id": existing_domain_id}),
            )
            .await?;
            tracing::warn!(
                x_user_id = %binding.x_user_id,
                domain_id = %binding.domain_id,
                existing = %existing_domain_id,
                "binding conflict: kept the existing binding"
            );
            Err(Refusal::new(
                StatusCode::CONFLICT,
                "binding_conflict",
                format!(
                    "partner account {} is already linked to another HUAWEI CLOUD account; the existing link was kept",
                    binding.x_user_id
                ),
            )
            .into_response())
        }
    }
}

async fn audit(
    state: &AppState,
    cid: &CorrelationId,
    kind: &str,
    b: &Binding,
    extra: serde_json::Value,
) -> Result<(), Response> {
    let mut detail = serde_json::json!({
        "domain_id": b.domain_id,
        "domain_name": b.domain_name,
        "user_name": b.user_name,
        "user_id": b.user_id,
    });
    if let (Some(d), serde_json::Value::Object(e)) = (detail.as_object_mut(), extra) {
        d.extend(e);
    }
    state
        .store
        .append_audit(&NewAuditEvent {
            at: now_unix(),
            kind: kind.into(),
            actor: "huawei".into(),
            subject: b.x_user_id.clone(),
            detail_json: detail.to_string(),
            correlation_id: cid.0.clone(),
        })
        .await
        .map(|_| ())
        .map_err(|e| Internal::from(e).into_response())
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

async fn bound_page(state: &AppState, headers: &HeaderMap, b: &Binding, already: bool) -> Response {
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
        let cfg = &state.settings.config;
        let partner_url = match super::return_url(state, super::ReturnKind::AfterLogout).await {
            Ok(u) => u,
            Err(e) => return e.into_response(),
        };
        let page = BoundPage {
            already,
            x_user_id: &b.x_user_id,
            domain_id: &b.domain_id,
            domain_name: &b.domain_name,
            console_url: format!("https://{}/", crate::huawei::site_hosts(cfg.huawei.site).console),
            partner_url: partner_url.as_deref(),
        };
        match askama::Template::render(&page) {
            Ok(html) => Html(html).into_response(),
            Err(e) => return Internal::from(e).into_response(),
        }
    };
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_octets_are_the_raw_fields() {
        let f = bind_signed_octets("Signature=c2ln%2B&bindRequest=eyJ4%3D&x=1&SigAlg=http%3A%2F%2Fa").unwrap();
        assert_eq!(f.signed_octets, "bindRequest=eyJ4%3D&SigAlg=http%3A%2F%2Fa");
        assert_eq!(f.signature_raw, "c2ln%2B");
        // Percent-encoding case is kept as received.
        let f = bind_signed_octets("bindRequest=eyJ4%3d&SigAlg=a&Signature=s").unwrap();
        assert_eq!(f.signed_octets, "bindRequest=eyJ4%3d&SigAlg=a");
    }

    #[test]
    fn refusals() {
        let reason = |b: &str| bind_signed_octets(b).unwrap_err().reason();
        assert_eq!(reason("bindRequest=a&SigAlg=b&Signature=c&bindRequest=d"), "duplicate_parameter");
        assert_eq!(reason("bindRequest=a&SigAlg=b&Signature=c&Sig%41lg=d"), "bad_encoding");
        assert_eq!(reason("bindRequest=a"), "missing_signature");
        assert_eq!(reason("bindRequest=a&SigAlg=b"), "missing_parameter");
        assert_eq!(reason("bindRequest=a&Signature=b"), "missing_parameter");
        assert_eq!(reason("SigAlg=b&Signature=c"), "missing_parameter");
        assert_eq!(reason(""), "missing_parameter");
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn bind_request_json() {
        let r = decode_bind_request(&b64(
            r#"{"xUserId":"cust-1","domainName":"acme","domainId":"0a1b","userName":"u","userId":"9","extra":1}"#,
        ))
        .unwrap();
        assert_eq!((r.x_user_id.as_str(), r.domain_id.as_str()), ("cust-1", "0a1b"));
        assert_eq!(r.domain_name.as_deref(), Some("acme"));
        // Unpadded and line-broken base64 is accepted.
        let s = b64(r#"{"xUserId":"c","domainId":"d"}"#);
        let wrapped = format!("{}\r\n{}", &s[..10], s[10..].trim_end_matches('='));
        assert_eq!(decode_bind_request(&wrapped).unwrap().domain_id, "d");
        let reason = |j: &str| decode_bind_request(&b64(j)).unwrap_err().reason;
        assert_eq!(reason(r#"{"domainId":"d"}"#), "bad_bind_request");
        assert_eq!(reason(r#"{"xUserId":"c"}"#), "bad_bind_request");
        assert_eq!(reason(r#"{"xUserId":"","domainId":"d"}"#), "bad_bind_request");
        assert_eq!(reason(r#"{"xUserId":"c","domainId":""}"#), "bad_bind_request");
        assert_eq!(reason(r#"{"xUserId":"c","domainId":"d d"}"#), "bad_bind_request");
        assert_eq!(reason(r#"{"xUserId":"c","domainId":"d","domainId":"e"}"#), "bad_bind_request");
        assert_eq!(reason(r#"{"xUserId":"c","domainId":1}"#), "bad_bind_request");
        assert_eq!(reason(&format!(r#"{{"xUserId":"{}","domainId":"d"}}"#, "x".repeat(129))), "bad_bind_request");
        assert_eq!(reason(r#"{"xUserId":"c","domainId":"d","userName":"a\u0000b"}"#), "bad_bind_request");
        assert_eq!(decode_bind_request("***").unwrap_err().reason, "bad_base64");
    }
}
