//! Health and metrics: `GET /healthz/live` (the process answers), `GET /healthz/ready` (it can serve
//! customers: store, keys, Huawei's SP metadata — see [`crate::gateway::Gateway::readiness`]) and
//! `GET /healthz` (kept as it was for existing balancers: the store answers). `GET /metrics` (Prometheus text)
//! requires the bearer token of `server.metrics_token[_file]` when one is set, and moves to the
//! internal listener of `server.metrics_bind` when that is set.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{AppState, Refusal};

pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.health().await {
        Ok(()) => Json(serde_json::json!({"status": "ok", "store": "ok"})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: store unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable", "store": "unreachable"})),
            )
                .into_response()
        }
    }
}

pub async fn live() -> Response {
    Json(serde_json::json!({"status": "ok"})).into_response()
}

pub async fn ready(State(state): State<AppState>) -> Response {
    let checks = state.readiness().await;
    let ok = checks.iter().all(|(_, r)| r.is_ok());
    let mut detail = serde_json::Map::new();
    for (name, r) in &checks {
        let v = match r {
            Ok(()) => "ok".to_owned(),
            // The reason goes to the log only: this answer is public on the customer port.
            Err(why) => {
                tracing::error!(check = name, "readiness: {why}");
                "failed".to_owned()
            }
        };
        detail.insert((*name).to_owned(), serde_json::Value::String(v));
    }
    detail.insert("status".into(), if ok { "ok" } else { "unavailable" }.into());
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(serde_json::Value::Object(detail))).into_response()
}

/// Whether the request carries the configured metrics token (compared in constant time).
fn token_ok(expected: Option<&str>, headers: &HeaderMap) -> bool {
    let Some(expected) = expected else { return true };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .unwrap_or("");
    given.len() == expected.len() && openssl::memcmp::eq(given.as_bytes(), expected.as_bytes())
}

pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !token_ok(state.metrics_token.as_deref(), &headers) {
        let mut r = Refusal::new(
            StatusCode::UNAUTHORIZED,
            "metrics_token",
            "/metrics needs the bearer token of server.metrics_token",
        )
        .into_response();
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"metrics\""));
        return r;
    }
    // The certificate's time left, as of this scrape.
    state.record_key_metrics();
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"))], state.metrics.render())
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_must_match_exactly() {
        let mut h = HeaderMap::new();
        assert!(token_ok(None, &h));
        assert!(!token_ok(Some("0123456789abcdef"), &h));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer 0123456789abcdef"));
        assert!(token_ok(Some("0123456789abcdef"), &h));
        assert!(!token_ok(Some("0123456789abcdeF"), &h));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("bearer 0123456789abcdef"));
        assert!(token_ok(Some("0123456789abcdef"), &h), "the scheme is case-insensitive");
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic 0123456789abcdef"));
        assert!(!token_ok(Some("0123456789abcdef"), &h));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer 0123456789abcdef0"));
        assert!(!token_ok(Some("0123456789abcdef"), &h));
    }
}
