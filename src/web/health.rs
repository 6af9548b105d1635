//! `GET /healthz`: the process answers and its store is reachable.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::AppState;

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
