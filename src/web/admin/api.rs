//! The JSON admin API under `/admin/api/v1/`: the operations of the admin pages (SPs, the key
//! rollover steps, bindings, audit search, the decoder, admin users) for scripts and CI, calling the
//! same gateway use cases the pages call. Authenticated only by `Authorization: Bearer sgt_…` (a token
//! from `samlgate admin token create` or `/admin/users`, scope `admin`), never by the admin cookie — so
//! there is no CSRF to defend against. Every answer is JSON, refusals included
//! (`{"error", "message", "correlation_id"}`, rendered by [`crate::web::error`]). Audit events of a
//! call name the token as actor (`token:NAME`).
//!
//! The routes and the OpenAPI 3 document (`GET /admin/api/openapi.json`, no token needed) are built
//! together from the handlers' `#[utoipa::path]` attributes by [`utoipa_axum`]'s `OpenApiRouter`,
//! so a route cannot exist without its documentation nor the other way round.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Path, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::gateway::api_tokens::{Scope, TokenUser, bearer_token, require_scope, verify_token};
use crate::gateway::rollover::{PrepareOptions, run_step};
use crate::gateway::sp::{self, Imported, SpError};
use crate::keys::KeyAlgorithm;
use crate::keys::rollover::Step;
use crate::saml::metadata::{SpMetadata, cert_summary};
use crate::web::{Answer, AppState, Caller, Failure, Refusal, query_params};

/// Where the document is served.
pub const OPENAPI_PATH: &str = "/admin/api/openapi.json";

/// Most rows a list answers at once.
const MAX_LIMIT: i64 = 500;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "samlgate admin API",
        version = "1",
        description = "The operations of samlgate's admin pages as JSON. Send `Authorization: Bearer sgt_…` \
                       (a token from `samlgate admin token create NAME`); refusals are \
                       `{\"error\", \"message\", \"correlation_id\"}`."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(ApiError))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        // Every operation can be refused for its token: say so once for all of them.
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let refusal = |what: &str| {
            let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ApiError"))).build();
            RefOr::T(ResponseBuilder::new().description(what).content("application/json", content).build())
        };
        for item in openapi.paths.paths.values_mut() {
            for op in
                [&mut item.get, &mut item.post, &mut item.delete, &mut item.put, &mut item.patch].into_iter().flatten()
            {
                let r = &mut op.responses.responses;
                r.entry("401".into()).or_insert_with(|| refusal("missing, malformed, unknown or revoked token"));
                r.entry("403".into()).or_insert_with(|| refusal("the token lacks the `admin` scope"));
            }
        }
    }
}

/// Every refusal and failure.
#[derive(serde::Serialize, ToSchema)]
pub struct ApiError {
    /// The stable reason (`api_token`, `json`, `not_found`, …).
    pub error: String,
    /// What failed, naming the check.
    pub message: String,
    /// Also in the log line and the `request.refused` audit event.
    pub correlation_id: String,
}

/// The API's routes and its OpenAPI document, built from the same handlers.
pub fn api_parts() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(list_sps, import_sp, delete_sp))
        .routes(routes!(refresh_sp))
        .routes(routes!(list_keys))
        .routes(routes!(prepare_key))
        .routes(routes!(activate_key))
        .routes(routes!(retire_key))
        .routes(routes!(list_bindings, add_binding))
        .routes(routes!(remove_binding))
        .routes(routes!(search_audit))
        .routes(routes!(decode))
        .routes(routes!(preview))
        .routes(routes!(list_users, put_user))
        .routes(routes!(remove_user))
        .routes(routes!(super::api_assertions::mint_assertion))
        .split_for_parts();
    // The derive's modifiers ran before the routes added their paths: once more over the whole document.
    utoipa::Modify::modify(&BearerAuth, &mut doc);
    (router, doc)
}

/// The API routes and `GET /admin/api/openapi.json` (merged into the application router).
pub fn routes() -> Router<AppState> {
    let (router, doc) = api_parts();
    let doc = Arc::new(doc.to_json().unwrap_or_else(|_| "{}".to_owned()));
    router.route(
        OPENAPI_PATH,
        axum::routing::get(move || {
            let doc = doc.clone();
            async move {
                (
                    [
                        (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
                        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                    ],
                    doc.as_ref().clone(),
                )
                    .into_response()
            }
        }),
    )
}

/// The token that authenticated an API request (an extractor: a missing, malformed, unknown or
/// revoked token is refused 401 `api_token`, a token without the `admin` scope 403 `api_scope`).
pub struct ApiAuth {
    pub token: TokenUser,
    pub caller: Caller,
}

impl ApiAuth {
    fn actor(&self) -> String {
        self.token.actor()
    }
}

impl FromRequestParts<AppState> for ApiAuth {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let caller = parts.extensions.get::<Caller>().cloned().unwrap_or_default();
        // Only the Authorization header counts: the admin cookie is never looked at here.
        let presented = parts.headers.get(header::AUTHORIZATION).map(|v| bearer_token(v.as_bytes()));
        let token = match verify_token(state.store.as_ref(), presented, &caller).await {
            Ok(t) => t,
            Err(e) => {
                let mut r = Failure::from(e).into_response();
                r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                return Err(r);
            }
        };
        require_scope(&token, Scope::Admin).map_err(|e| Failure::from(e).into_response())?;
        Ok(ApiAuth { token, caller })
    }
}

/// A JSON body (`Content-Type: application/json`; an empty body reads as `{}`), at most
/// `server.max_body_bytes`; a body that does not fit is refused 400 `json` naming what is wrong.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let limit = state.settings.config.server.max_body_bytes;
        let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
            Refusal::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", format!("the body is larger than {limit} bytes"))
                .into_response()
        })?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &bytes };
        let is_json = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json"));
        if !is_json && bytes != b"{}" {
            return Err(Refusal::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "content_type",
                "send the body as Content-Type: application/json",
            )
            .into_response());
        }
        serde_json::from_slice(bytes)
            .map(ApiJson)
            .map_err(|e| Refusal::bad_request("json", json_error_message(&e)).into_response())
    }
}

/// What is wrong with a JSON body, without the values it carried: serde's messages quote the value
/// of a wrong type (`invalid type: string "…"`), which may be a password or a token, and refusal
/// messages are audited. Field names (ours, or an unknown one, cut to 64 characters) stay.
fn json_error_message(e: &serde_json::Error) -> String {
    let at = format!("line {}, column {}", e.line(), e.column());
    if !e.is_data() {
        return format!("the body is not valid JSON ({at})");
    }
    let full = e.to_string();
    let text = full.split(" at line ").next().unwrap_or("");
    let what = if text.starts_with("invalid type")
        || text.starts_with("invalid value")
        || text.starts_with("invalid length")
    {
        match text.split_once(", expected ") {
            Some((_, expected)) => format!("a value of the wrong kind: expected {expected}"),
            None => "a value of the wrong kind".to_owned(),
        }
    } else if text.starts_with("missing field")
        || text.starts_with("unknown field")
        || text.starts_with("duplicate field")
    {
        text.chars().take(160).collect()
    } else {
        "a value that does not fit".to_owned()
    };
    format!("the body is not the expected JSON: {what} ({at})")
}

fn json_answer(status: StatusCode, v: Value) -> Answer {
    let mut r = (status, axum::Json(v)).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

fn ok(v: Value) -> Answer {
    json_answer(StatusCode::OK, v)
}

fn refused(status: StatusCode, reason: &'static str, message: impl Into<String>) -> Failure {
    Refusal::new(status, reason, message).into()
}

fn query(raw: Option<&str>, known: &[&str]) -> Result<std::collections::HashMap<String, String>, Failure> {
    query_params(raw.unwrap_or(""), known).map_err(Failure::from)
}

/// A non-negative number parameter, `default` when absent.
fn number(q: &std::collections::HashMap<String, String>, name: &'static str, default: i64) -> Result<i64, Failure> {
    match q.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| refused(StatusCode::BAD_REQUEST, "parameter", format!("{name}: a non-negative number"))),
    }
}

/// A path parameter as extracted (a malformed one is refused as JSON by [`path_value`], not as axum's
/// plain-text rejection).
type PathParam = Result<Path<String>, axum::extract::rejection::PathRejection>;

fn path_value(p: PathParam, name: &'static str) -> Result<String, Failure> {
    p.map(|Path(v)| v).map_err(|e| refused(StatusCode::BAD_REQUEST, "parameter", format!("{name}: {}", e.body_text())))
}

// --- Service providers ---

fn sp_json(rec: &crate::store::SpRecord, huawei: &str, now: i64) -> Value {
    let md: Option<SpMetadata> = serde_json::from_str(&rec.parsed_json).ok();
    let certs = |list: &[Vec<u8>]| -> Vec<Value> {
        list.iter()
            .map(|der| match cert_summary(der, now) {
                Some(c) => json!({
                    "subject": c.subject, "key": c.key, "sha256": c.sha256,
                    "not_after": c.not_after, "days_left": c.days_left,
                }),
                None => json!({"unreadable": true}),
            })
            .collect()
    };
    let endpoints = |list: &[crate::saml::metadata::Endpoint]| -> Vec<Value> {
        list.iter().map(|e| json!({"binding": e.binding, "location": e.location})).collect()
    };
    json!({
        "entity_id": rec.entity_id,
        "is_huawei": rec.entity_id == huawei,
        "source": rec.source,
        "origin": rec.origin,
        "imported_at": rec.imported_at,
        "updated_at": rec.updated_at,
        "signature": md.as_ref().map(|m| m.signature.describe()),
        "signing_certificates": md.as_ref().map(|m| certs(&m.signing_certs)).unwrap_or_default(),
        "encryption_certificates": md.as_ref().map(|m| certs(&m.encryption_certs)).unwrap_or_default(),
        "acs": md.as_ref().map(|m| endpoints(&m.acs)).unwrap_or_default(),
        "slo": md.as_ref().map(|m| endpoints(&m.slo)).unwrap_or_default(),
        "warnings": md.as_ref().map(|m| m.warnings.clone()).unwrap_or_default(),
    })
}

/// The imported SPs, with the details of `samlgate sp list`.
#[utoipa::path(get, path = "/admin/api/v1/sps", tag = "sps",
    responses((status = 200, description = "`{\"sps\": [...]}`", body = Object)))]
async fn list_sps(State(state): State<AppState>, _auth: ApiAuth) -> Answer {
    let huawei = state.huawei_sp_entity_id();
    let now = crate::util::now_unix();
    let sps: Vec<Value> = state.store.list_sps().await?.iter().map(|r| sp_json(r, &huawei, now)).collect();
    ok(json!({ "sps": sps }))
}

/// Import SP metadata: `url` (https, re-fetched every `huawei.sp_metadata_refresh_secs`) or `xml`
/// (the document itself).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportSpBody {
    pub url: Option<String>,
    pub xml: Option<String>,
}

async fn import_answer(state: &AppState, result: Result<Imported, SpError>) -> Answer {
    state.sps.clear();
    match result {
        Ok(i) => {
            let outcome = if matches!(i, Imported::Stored(_)) { "stored" } else { "unchanged" };
            let rec = i.record();
            ok(json!({"outcome": outcome, "sp": sp_json(rec, &state.huawei_sp_entity_id(), crate::util::now_unix())}))
        }
        Err(SpError::Store(e)) => Err(e.into()),
        Err(e) => Err(refused(StatusCode::BAD_REQUEST, e.reason(), e.to_string())),
    }
}

/// Import (or replace) an SP's metadata; a refused document names the failed check and leaves the
/// stored one in use (audited `sp.import` / `sp.refused`).
#[utoipa::path(post, path = "/admin/api/v1/sps", tag = "sps", request_body = ImportSpBody,
    responses((status = 200, description = "`{\"outcome\": \"stored\"|\"unchanged\", \"sp\": {...}}`", body = Object),
              (status = 400, description = "refused document or bad body", body = ApiError)))]
async fn import_sp(State(state): State<AppState>, auth: ApiAuth, ApiJson(body): ApiJson<ImportSpBody>) -> Answer {
    let allow_http = sp::allow_http_for(&state.settings);
    let actor = auth.actor();
    let result = match (body.url, body.xml) {
        (Some(url), None) => {
            let url = url.trim().to_owned();
            let scheme_ok = url.starts_with("https://") || (allow_http && url.starts_with("http://"));
            if !scheme_ok || url.len() > 2048 {
                return Err(refused(StatusCode::BAD_REQUEST, "url", "url: an https URL of at most 2048 characters"));
            }
            sp::import_sp_for(
                &state.settings,
                state.store.as_ref(),
                &url,
                allow_http,
                sp::ORIGIN_IMPORT,
                &actor,
                &auth.caller,
            )
            .await
        }
        (None, Some(xml)) => {
            let source = format!("upload:api:{}", auth.token.name);
            sp::import_sp_document_for(
                &state.settings,
                state.store.as_ref(),
                &source,
                xml.into_bytes(),
                allow_http,
                sp::ORIGIN_IMPORT,
                &actor,
                &auth.caller,
            )
            .await
        }
        _ => return Err(refused(StatusCode::BAD_REQUEST, "json", "give exactly one of `url` and `xml`")),
    };
    import_answer(&state, result).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntityBody {
    pub entity_id: String,
}

/// Fetch an SP imported from a URL again now.
#[utoipa::path(post, path = "/admin/api/v1/sps/refresh", tag = "sps", request_body = EntityBody,
    responses((status = 200, description = "as the import", body = Object),
              (status = 400, description = "not a URL source, or refused", body = ApiError),
              (status = 404, description = "no such SP", body = ApiError)))]
async fn refresh_sp(State(state): State<AppState>, auth: ApiAuth, ApiJson(body): ApiJson<EntityBody>) -> Answer {
    let rec = match state.store.get_sp(&body.entity_id).await? {
        Some(r) => r,
        None => {
            return Err(refused(StatusCode::NOT_FOUND, "no_sp", format!("no SP with entityID `{}`", body.entity_id)));
        }
    };
    if !sp::is_url(&rec.source) {
        return Err(refused(StatusCode::BAD_REQUEST, "refresh", "only an SP imported from a URL can be fetched again"));
    }
    let allow_http = sp::allow_http_for(&state.settings);
    let result = sp::import_sp_for(
        &state.settings,
        state.store.as_ref(),
        &rec.source,
        allow_http,
        &rec.origin,
        &auth.actor(),
        &auth.caller,
    )
    .await;
    import_answer(&state, result).await
}

/// Delete an SP other than Huawei's (audited `sp.deleted`).
#[utoipa::path(delete, path = "/admin/api/v1/sps", tag = "sps",
    params(("entity_id" = String, Query, description = "the SP's entityID")),
    responses((status = 200, description = "`{\"deleted\": entity_id}`", body = Object),
              (status = 404, description = "no such SP", body = ApiError),
              (status = 409, description = "Huawei's SP", body = ApiError)))]
async fn delete_sp(State(state): State<AppState>, auth: ApiAuth, RawQuery(raw): RawQuery) -> Answer {
    let q = query(raw.as_deref(), &["entity_id"])?;
    let entity = q.get("entity_id").cloned().unwrap_or_default();
    if entity.is_empty() {
        return Err(refused(StatusCode::BAD_REQUEST, "parameter", "entity_id: the SP's entityID"));
    }
    let result = sp::delete_sp(&state.settings, state.store.as_ref(), &entity, &auth.actor(), &auth.caller).await;
    state.sps.clear();
    match result {
        Ok(true) => ok(json!({ "deleted": entity })),
        Ok(false) => Err(refused(StatusCode::NOT_FOUND, "no_sp", format!("no SP with entityID `{entity}`"))),
        Err(SpError::Store(e)) => Err(e.into()),
        Err(e) => Err(refused(StatusCode::CONFLICT, "huawei_sp", e.to_string())),
    }
}

// --- Keys ---

fn keys_json(state: &AppState) -> Value {
    let idp = state.idp();
    let rows: Vec<Value> = idp
        .keys
        .rows()
        .into_iter()
        .map(|r| {
            json!({
                "state": r.state.as_str(),
                "subject": r.info.subject,
                "sha256": r.info.sha256_fingerprint,
                "not_after": r.info.not_after,
                "days_left": r.info.days_left,
                "key": r.info.key_description,
                "since": r.since,
            })
        })
        .collect();
    json!({"stage": idp.keys.stage().as_str(), "signing": idp.current_fingerprint(), "keys": rows})
}

/// The IdP keys with their states (`current`, `next`, `previous`) and the rollover's stage.
#[utoipa::path(get, path = "/admin/api/v1/keys", tag = "keys",
    responses((status = 200, description = "`{\"stage\", \"signing\", \"keys\": [...]}`", body = Object)))]
async fn list_keys(State(state): State<AppState>, _auth: ApiAuth) -> Answer {
    // As the page: read the key directory now (a step done elsewhere counts at once).
    if let Err(e) = state.reload_keys().await {
        tracing::warn!(error = %e, "re-reading the IdP key directory failed");
    }
    ok(keys_json(&state))
}

async fn step(state: &AppState, auth: &ApiAuth, step: Step, opts: PrepareOptions) -> Answer {
    let report =
        run_step(&state.settings, state.store.as_ref(), step, &opts, &auth.actor(), "api", &auth.caller).await?;
    if let Err(e) = state.reload_keys().await {
        tracing::warn!(error = %e, "re-reading the IdP key directory after {step} failed");
    }
    let mut v = keys_json(state);
    v["step"] = json!(step.as_str());
    v["metadata_file"] = match &report.metadata_file {
        Ok(p) => json!({"written": p.display().to_string()}),
        Err(why) => json!({"error": why}),
    };
    v["algorithm_note"] = json!(report.algorithm_note);
    ok(v)
}

/// Options of *prepare* (all optional).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PrepareBody {
    /// `rsa2048`, `rsa3072`, `rsa4096` or `ecdsa-p256`; default the current key's.
    pub algorithm: Option<String>,
    /// Subject CN; default the host of `server.base_url`.
    pub cn: Option<String>,
    /// Validity in days (default 3650).
    pub days: Option<u32>,
}

/// Rollover step 1: a next key, published beside the current one (then upload the IdP metadata in
/// Partner Center). Refused 409 out of order.
#[utoipa::path(post, path = "/admin/api/v1/keys/prepare", tag = "keys", request_body = PrepareBody,
    responses((status = 200, description = "the keys after the step", body = Object),
              (status = 409, description = "out of order", body = ApiError)))]
async fn prepare_key(State(state): State<AppState>, auth: ApiAuth, ApiJson(body): ApiJson<PrepareBody>) -> Answer {
    let algorithm = match body.algorithm.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => Some(a.parse::<KeyAlgorithm>().map_err(|_| {
            refused(StatusCode::BAD_REQUEST, "key_option", "algorithm: rsa2048, rsa3072, rsa4096 or ecdsa-p256")
        })?),
    };
    let cn = body.cn.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
    if cn.as_ref().is_some_and(|c| c.len() > 64 || c.chars().any(char::is_control)) {
        return Err(refused(StatusCode::BAD_REQUEST, "key_option", "cn: at most 64 characters, no control characters"));
    }
    let opts = PrepareOptions { algorithm, cn, days: body.days.unwrap_or(PrepareOptions::default().days) };
    step(&state, &auth, Step::Prepare, opts).await
}

/// Rollover step 3: sign with the next key (the old certificate stays published).
#[utoipa::path(post, path = "/admin/api/v1/keys/activate", tag = "keys",
    responses((status = 200, description = "the keys after the step", body = Object),
              (status = 409, description = "out of order", body = ApiError)))]
async fn activate_key(State(state): State<AppState>, auth: ApiAuth) -> Answer {
    step(&state, &auth, Step::Activate, PrepareOptions::default()).await
}

/// Rollover step 4: stop publishing the previous certificate.
#[utoipa::path(post, path = "/admin/api/v1/keys/retire", tag = "keys",
    responses((status = 200, description = "the keys after the step", body = Object),
              (status = 409, description = "out of order", body = ApiError)))]
async fn retire_key(State(state): State<AppState>, auth: ApiAuth) -> Answer {
    step(&state, &auth, Step::Retire, PrepareOptions::default()).await
}

// --- Bindings ---

fn binding_json(b: &crate::store::Binding) -> Value {
    json!({
        "x_user_id": b.x_user_id,
        "domain_id": b.domain_id,
        "domain_name": b.domain_name,
        "user_name": b.user_name,
        "user_id": b.user_id,
        "created_at": b.created_at,
    })
}

/// Bindings, newest first, or those whose xUserId or domainId is `q`.
#[utoipa::path(get, path = "/admin/api/v1/bindings", tag = "bindings",
    params(("q" = Option<String>, Query, description = "an xUserId or domainId"),
           ("limit" = Option<i64>, Query, description = "at most this many (default 50, at most 500)"),
           ("offset" = Option<i64>, Query, description = "skip this many (without q)")),
    responses((status = 200, description = "`{\"bindings\": [...], \"total\"}`", body = Object)))]
async fn list_bindings(State(state): State<AppState>, _auth: ApiAuth, RawQuery(raw): RawQuery) -> Answer {
    let q = query(raw.as_deref(), &["q", "limit", "offset"])?;
    let limit = number(&q, "limit", 50)?.clamp(1, MAX_LIMIT);
    let offset = number(&q, "offset", 0)?;
    let search = q.get("q").map(|s| s.trim().to_owned()).unwrap_or_default();
    if search.len() > 256 {
        return Err(refused(StatusCode::BAD_REQUEST, "parameter", "q: at most 256 characters"));
    }
    // `total`: every binding, or (with q) every match — an exact xUserId or domainId, so few.
    let (list, total) = if search.is_empty() {
        (state.store.list_bindings(limit, offset).await?, state.store.count_bindings().await?)
    } else {
        let mut found = state.store.find_bindings(&search, MAX_LIMIT + 1).await?;
        let total = i64::try_from(found.len()).unwrap_or(i64::MAX);
        found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        (found, total)
    };
    ok(json!({"bindings": list.iter().map(binding_json).collect::<Vec<_>>(), "total": total}))
}

/// A customer bound through Huawei's create-customer Partner API.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddBindingBody {
    pub x_user_id: String,
    pub domain_id: Option<String>,
    pub domain_name: Option<String>,
}

/// Record a binding (as `samlgate bindings add`; audited `bind.added`).
#[utoipa::path(post, path = "/admin/api/v1/bindings", tag = "bindings", request_body = AddBindingBody,
    responses((status = 200, description = "`{\"outcome\": \"created\"|\"unchanged\", \"binding\"}`", body = Object),
              (status = 400, description = "a field is malformed", body = ApiError),
              (status = 409, description = "bound to another domainId", body = ApiError)))]
async fn add_binding(State(state): State<AppState>, auth: ApiAuth, ApiJson(body): ApiJson<AddBindingBody>) -> Answer {
    use crate::gateway::bindings::AddBindingError;
    use crate::store::BindOutcome;
    let x = body.x_user_id.trim();
    let result = crate::gateway::bindings::add_binding_for(
        state.store.as_ref(),
        x,
        body.domain_id.as_deref(),
        body.domain_name.as_deref(),
        &auth.actor(),
        "api",
        &auth.caller,
    )
    .await;
    let outcome = match result {
        Ok(BindOutcome::Created) => "created",
        Ok(_) => "unchanged",
        Err(AddBindingError::Store(e)) => return Err(e.into()),
        Err(e @ AddBindingError::Conflict { .. }) => {
            return Err(refused(StatusCode::CONFLICT, "bind_conflict", e.to_string()));
        }
        Err(AddBindingError::Invalid(m)) => return Err(refused(StatusCode::BAD_REQUEST, "binding", m)),
    };
    let binding = state.store.get_binding(x).await?;
    ok(json!({"outcome": outcome, "binding": binding.as_ref().map(binding_json)}))
}

/// Remove a binding (the customer's next jump says `isFirstLogin=true`; audited `bind.removed`).
#[utoipa::path(delete, path = "/admin/api/v1/bindings/{x_user_id}", tag = "bindings",
    params(("x_user_id" = String, Path, description = "the customer's xUserId")),
    responses((status = 200, description = "`{\"removed\": binding}`", body = Object),
              (status = 404, description = "no such binding", body = ApiError)))]
async fn remove_binding(State(state): State<AppState>, auth: ApiAuth, path: PathParam) -> Answer {
    let x_user_id = path_value(path, "x_user_id")?;
    match crate::gateway::bindings::remove_binding(state.store.as_ref(), &x_user_id, &auth.actor(), "api", &auth.caller)
        .await?
    {
        Some(b) => ok(json!({ "removed": binding_json(&b) })),
        None => Err(refused(StatusCode::NOT_FOUND, "no_binding", format!("no binding for xUserId `{x_user_id}`"))),
    }
}

// --- Audit ---

/// Search the audit log, newest first; page on with `before` = the answer's `next_before`.
#[utoipa::path(get, path = "/admin/api/v1/audit", tag = "audit",
    params(("kind" = Option<String>, Query, description = "a kind (`bind.removed`) or a prefix (`bind.`)"),
           ("who" = Option<String>, Query, description = "an xUserId or admin (actor or subject)"),
           ("correlation_id" = Option<String>, Query, description = "the id a refusal showed"),
           ("since" = Option<String>, Query, description = "`2026-12-01`, RFC 3339, a Unix time or `7d`"),
           ("until" = Option<String>, Query, description = "as since (exclusive)"),
           ("before" = Option<i64>, Query, description = "only events with a smaller id"),
           ("limit" = Option<i64>, Query, description = "default 100, at most 500")),
    responses((status = 200, description = "`{\"events\": [...], \"next_before\"}`", body = Object),
              (status = 400, description = "a field is malformed", body = ApiError)))]
async fn search_audit(State(state): State<AppState>, _auth: ApiAuth, RawQuery(raw): RawQuery) -> Answer {
    use crate::gateway::audit::{SearchInput, search_query};
    let q = query(raw.as_deref(), &["kind", "who", "correlation_id", "since", "until", "before", "limit"])?;
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    let input = SearchInput {
        kind: get("kind"),
        who: get("who"),
        correlation_id: get("correlation_id"),
        since: get("since"),
        until: get("until"),
    };
    let query = search_query(&input, &state.ui.brand.timezone, crate::util::now_unix())
        .map_err(|(field, msg)| refused(StatusCode::BAD_REQUEST, "audit_search", format!("{field}: {msg}")))?;
    let before = match number(&q, "before", 0)? {
        0 => None,
        n => Some(n),
    };
    let limit = number(&q, "limit", 100)?.clamp(1, MAX_LIMIT);
    let events = state.store.search_audit(&query, before, limit + 1).await?;
    let more = events.len() as i64 > limit;
    let events: Vec<_> = events.into_iter().take(limit as usize).collect();
    let next_before = if more { events.last().map(|e| e.id) } else { None };
    let lines: Vec<Value> = events
        .iter()
        .map(|e| serde_json::from_str(crate::gateway::audit::jsonl_line(e).trim_end()).unwrap_or(Value::Null))
        .collect();
    ok(json!({"events": lines, "next_before": next_before}))
}

// --- Decoder ---

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecodeBody {
    /// A Redirect URL, its query, base64 (deflated or not) or XML.
    pub message: String,
}

/// Decode a SAML message and run every check the gateway would; nothing is stored or spent.
#[utoipa::path(post, path = "/admin/api/v1/decode", tag = "decode", request_body = DecodeBody,
    responses((status = 200, description = "`{encoding, message, xml, relay_state, checks: [{name, ok, reason, detail}], all_passed}`", body = Object),
              (status = 400, description = "not a SAML message", body = ApiError)))]
async fn decode(State(state): State<AppState>, _auth: ApiAuth, ApiJson(body): ApiJson<DecodeBody>) -> Answer {
    let decoded = state.decode_message(&body.message).await?;
    let all_passed = decoded.all_passed();
    let mut v = serde_json::to_value(&decoded).map_err(crate::web::Internal::from)?;
    v["all_passed"] = json!(all_passed);
    ok(v)
}

// --- Preview ---

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    /// The partner's customer id (xUserId).
    pub x_user_id: String,
    pub name: Option<String>,
    /// `countrycode-number`, e.g. 0086-13900000000.
    pub mobile: Option<String>,
    pub email: Option<String>,
}

/// What Huawei would receive for a customer: NameID format and qualifier, the attributes with Huawei's
/// value rules applied, and the jump's isFirstLogin; nothing signed or stored.
#[utoipa::path(post, path = "/admin/api/v1/preview", tag = "preview", request_body = PreviewBody,
    responses((status = 200, description = "`{sp_entity_id, name_id_format, name_qualifier, attributes: [[name, [values]]], is_first_login, bound_to}`", body = Object),
              (status = 400, description = "a value Huawei would refuse (the rule named)", body = ApiError)))]
async fn preview(State(state): State<AppState>, _auth: ApiAuth, ApiJson(body): ApiJson<PreviewBody>) -> Answer {
    let opt = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let (name, mobile, email) = (opt(&body.name), opt(&body.mobile), opt(&body.email));
    let c = crate::huawei::Customer {
        sub: body.x_user_id.trim(),
        name: name.as_deref(),
        mobile: mobile.as_deref(),
        email: email.as_deref(),
    };
    match state.preview(&c).await? {
        Ok(p) => ok(serde_json::to_value(&p).map_err(crate::web::Internal::from)?),
        Err(e) => Err(refused(StatusCode::BAD_REQUEST, "attribute", e.to_string())),
    }
}

// --- Admin users ---

fn user_refusal(e: crate::gateway::admin::UserError) -> Failure {
    use crate::gateway::admin::UserError;
    match e {
        UserError::Store(e) => e.into(),
        UserError::Invalid(m) => refused(StatusCode::BAD_REQUEST, "admin_user", m),
        e @ UserError::NotFound(_) => refused(StatusCode::NOT_FOUND, "no_admin_user", e.to_string()),
        e @ (UserError::InConfig(_) | UserError::Last(_)) => refused(StatusCode::CONFLICT, "admin_user", e.to_string()),
    }
}

/// The admin users (store and config file).
#[utoipa::path(get, path = "/admin/api/v1/users", tag = "users",
    responses((status = 200, description = "`{\"users\": [{name, source, updated_at}]}`", body = Object)))]
async fn list_users(State(state): State<AppState>, _auth: ApiAuth) -> Answer {
    use crate::gateway::admin::UserSource;
    let users = crate::gateway::admin::list_users(state.store.as_ref(), &state.settings.config.admin.users).await?;
    let users: Vec<Value> = users
        .into_iter()
        .map(|u| {
            let source = if u.source == UserSource::Config { "config" } else { "store" };
            json!({"name": u.user.name, "source": source, "updated_at": u.updated_at})
        })
        .collect();
    ok(json!({ "users": users }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutUserBody {
    pub name: String,
    /// At least 12 characters; only its argon2id hash is stored.
    pub password: String,
}

/// Add an admin user, or set a new password (audited `admin.user_added` / `admin.password_changed`).
#[utoipa::path(post, path = "/admin/api/v1/users", tag = "users", request_body = PutUserBody,
    responses((status = 200, description = "`{\"name\", \"outcome\": \"added\"|\"password_changed\"}`", body = Object),
              (status = 400, description = "bad name or password", body = ApiError)))]
async fn put_user(State(state): State<AppState>, auth: ApiAuth, ApiJson(body): ApiJson<PutUserBody>) -> Answer {
    let name = body.name.trim();
    let existed = crate::gateway::admin::put_user(
        state.store.as_ref(),
        &state.settings.config.admin.users,
        name,
        &body.password,
        &auth.actor(),
        &auth.caller,
    )
    .await
    .map_err(user_refusal)?;
    ok(json!({"name": name, "outcome": if existed { "password_changed" } else { "added" }}))
}

/// Remove a store admin user (never the last one; audited `admin.user_removed`).
#[utoipa::path(delete, path = "/admin/api/v1/users/{name}", tag = "users",
    params(("name" = String, Path, description = "the user's sign-in name")),
    responses((status = 200, description = "`{\"removed\": name}`", body = Object),
              (status = 404, description = "no such user", body = ApiError),
              (status = 409, description = "a config-file user, or the last one", body = ApiError)))]
async fn remove_user(State(state): State<AppState>, auth: ApiAuth, path: PathParam) -> Answer {
    let name = path_value(path, "name")?;
    crate::gateway::admin::remove_user(
        state.store.as_ref(),
        &state.settings.config.admin.users,
        &name,
        &auth.actor(),
        &auth.caller,
    )
    .await
    .map_err(user_refusal)?;
    ok(json!({ "removed": name }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        days: Option<u32>,
    }

    fn message(json: &str) -> String {
        json_error_message(&serde_json::from_str::<Body>(json).unwrap_err())
    }

    #[test]
    fn json_refusals_never_quote_the_values_sent() {
        let m = message(r#"{"name": 1234567, "days": 1}"#);
        assert!(m.contains("wrong kind: expected a string") && !m.contains("1234567"), "{m}");
        let m = message(r#"{"name": "x", "days": "hunter2-secret"}"#);
        assert!(m.contains("wrong kind") && !m.contains("hunter2"), "{m}");
        let m = message(r#"{"name": "x", "days": -5}"#);
        assert!(!m.contains("-5"), "{m}");
        let m = message(r#"{"days": 1}"#);
        assert!(m.contains("missing field `name`"), "{m}");
        let m = message(r#"{"name": "x", "pasword": "s3cret"}"#);
        assert!(m.contains("unknown field `pasword`") && !m.contains("s3cret"), "{m}");
        let m = message(r#"{"name": "secret-in-broken-json"#);
        assert!(m.contains("not valid JSON (line 1") && !m.contains("secret"), "{m}");
    }
}
