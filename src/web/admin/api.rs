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
//! so a route cannot exist without its documentation nor the other way round. Every answer is built
//! from a response type (`…Answer`, `…List`) whose `ToSchema` is the answer's schema in the document,
//! so what is sent cannot drift from what is documented; the types of the gateway are converted into
//! them here (the gateway knows nothing of OpenAPI).

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Path, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
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

fn json_answer(status: StatusCode, v: impl Serialize) -> Answer {
    let mut r = (status, axum::Json(v)).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

pub(super) fn ok(v: impl Serialize) -> Answer {
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

/// `GET /sps`.
#[derive(Serialize, ToSchema)]
pub struct SpList {
    /// Every imported SP, Huawei's among them.
    pub sps: Vec<SpAnswer>,
}

/// An imported SP, as `samlgate sp list` shows it.
#[derive(Serialize, ToSchema)]
pub struct SpAnswer {
    pub entity_id: String,
    /// Whether it is the SP of `huawei.sp_entity_id` (never deleted).
    pub is_huawei: bool,
    /// The file path or URL the metadata came from (`upload:…` for a document sent).
    pub source: String,
    /// `config` (seeded from `huawei.sp_metadata`) or `import`.
    pub origin: String,
    /// Unix seconds.
    pub imported_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// The metadata signature's status in one line; null when the stored metadata does not read.
    #[schema(required = true)]
    pub signature: Option<String>,
    /// The certificates its signatures are verified with.
    pub signing_certificates: Vec<CertAnswer>,
    /// The certificates assertions would be encrypted for.
    pub encryption_certificates: Vec<CertAnswer>,
    /// AssertionConsumerService endpoints.
    pub acs: Vec<EndpointAnswer>,
    /// SingleLogoutService endpoints.
    pub slo: Vec<EndpointAnswer>,
    /// Non-fatal findings of the import (an expired certificate, a missing NameIDFormat, …).
    pub warnings: Vec<String>,
}

/// A certificate of an SP's metadata, or `{"unreadable": true}` when it does not parse.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum CertAnswer {
    Readable(CertDetails),
    Unreadable(UnreadableCert),
}

/// A certificate's details.
#[derive(Serialize, ToSchema)]
pub struct CertDetails {
    pub subject: String,
    /// e.g. `RSA 4096`, `EC 256`.
    pub key: String,
    /// SHA-256 of the DER, colon-separated upper-case hex.
    pub sha256: String,
    /// RFC 3339 (UTC).
    pub not_after: String,
    /// Whole days until notAfter (negative once expired).
    pub days_left: i64,
}

/// A certificate that does not parse.
#[derive(Serialize, ToSchema)]
pub struct UnreadableCert {
    /// Always true.
    pub unreadable: bool,
}

/// An endpoint of an SP.
#[derive(Serialize, ToSchema)]
pub struct EndpointAnswer {
    /// The binding URI, e.g. `urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST`.
    pub binding: String,
    pub location: String,
}

impl SpAnswer {
    fn new(rec: &crate::store::SpRecord, huawei: &str, now: i64) -> SpAnswer {
        let md: Option<SpMetadata> = serde_json::from_str(&rec.parsed_json).ok();
        let certs = |list: &[Vec<u8>]| -> Vec<CertAnswer> {
            list.iter()
                .map(|der| match cert_summary(der, now) {
                    Some(c) => CertAnswer::Readable(CertDetails {
                        subject: c.subject,
                        key: c.key,
                        sha256: c.sha256,
                        not_after: c.not_after,
                        days_left: c.days_left,
                    }),
                    None => CertAnswer::Unreadable(UnreadableCert { unreadable: true }),
                })
                .collect()
        };
        let endpoints = |list: &[crate::saml::metadata::Endpoint]| -> Vec<EndpointAnswer> {
            list.iter().map(|e| EndpointAnswer { binding: e.binding.clone(), location: e.location.clone() }).collect()
        };
        SpAnswer {
            entity_id: rec.entity_id.clone(),
            is_huawei: rec.entity_id == huawei,
            source: rec.source.clone(),
            origin: rec.origin.clone(),
            imported_at: rec.imported_at,
            updated_at: rec.updated_at,
            signature: md.as_ref().map(|m| m.signature.describe()),
            signing_certificates: md.as_ref().map(|m| certs(&m.signing_certs)).unwrap_or_default(),
            encryption_certificates: md.as_ref().map(|m| certs(&m.encryption_certs)).unwrap_or_default(),
            acs: md.as_ref().map(|m| endpoints(&m.acs)).unwrap_or_default(),
            slo: md.as_ref().map(|m| endpoints(&m.slo)).unwrap_or_default(),
            warnings: md.map(|m| m.warnings).unwrap_or_default(),
        }
    }
}

/// The imported SPs, with the details of `samlgate sp list`.
#[utoipa::path(get, path = "/admin/api/v1/sps", tag = "sps",
    responses((status = 200, description = "the SPs", body = SpList)))]
async fn list_sps(State(state): State<AppState>, _auth: ApiAuth) -> Answer {
    let huawei = state.huawei_sp_entity_id();
    let now = crate::util::now_unix();
    let sps = state.store.list_sps().await?.iter().map(|r| SpAnswer::new(r, &huawei, now)).collect();
    ok(SpList { sps })
}

/// Import SP metadata: `url` (https, re-fetched every `huawei.sp_metadata_refresh_secs`) or `xml`
/// (the document itself).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportSpBody {
    pub url: Option<String>,
    pub xml: Option<String>,
}

/// An import or a refresh.
#[derive(Serialize, ToSchema)]
pub struct ImportAnswer {
    pub outcome: ImportOutcome,
    /// The SP as stored now.
    pub sp: SpAnswer,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportOutcome {
    /// The document was new or changed, and is in use now.
    Stored,
    /// The same document as the stored one.
    Unchanged,
}

async fn import_answer(state: &AppState, result: Result<Imported, SpError>) -> Answer {
    state.sps.clear();
    match result {
        Ok(i) => {
            let outcome =
                if matches!(i, Imported::Stored(_)) { ImportOutcome::Stored } else { ImportOutcome::Unchanged };
            let sp = SpAnswer::new(i.record(), &state.huawei_sp_entity_id(), crate::util::now_unix());
            ok(ImportAnswer { outcome, sp })
        }
        Err(SpError::Store(e)) => Err(e.into()),
        Err(e) => Err(refused(StatusCode::BAD_REQUEST, e.reason(), e.to_string())),
    }
}

/// Import (or replace) an SP's metadata; a refused document names the failed check and leaves the
/// stored one in use (audited `sp.import` / `sp.refused`).
#[utoipa::path(post, path = "/admin/api/v1/sps", tag = "sps", request_body = ImportSpBody,
    responses((status = 200, description = "stored or unchanged", body = ImportAnswer),
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
    responses((status = 200, description = "as the import", body = ImportAnswer),
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
    responses((status = 200, description = "deleted", body = DeletedSp),
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
        Ok(true) => ok(DeletedSp { deleted: entity }),
        Ok(false) => Err(refused(StatusCode::NOT_FOUND, "no_sp", format!("no SP with entityID `{entity}`"))),
        Err(SpError::Store(e)) => Err(e.into()),
        Err(e) => Err(refused(StatusCode::CONFLICT, "huawei_sp", e.to_string())),
    }
}

/// `DELETE /sps`.
#[derive(Serialize, ToSchema)]
pub struct DeletedSp {
    /// The entityID of the SP deleted.
    pub deleted: String,
}

// --- Keys ---

/// `GET /keys`: the IdP keys and where the rollover stands.
#[derive(Serialize, ToSchema)]
pub struct KeysAnswer {
    /// `single`, `prepared` (a next key is published) or `activated` (the previous certificate is still
    /// published).
    pub stage: &'static str,
    /// The SHA-256 fingerprint of the certificate signing now.
    pub signing: String,
    /// The current key first, then the next or the previous one.
    pub keys: Vec<KeyAnswer>,
}

/// An IdP key.
#[derive(Serialize, ToSchema)]
pub struct KeyAnswer {
    /// `current`, `next` or `previous`.
    pub state: &'static str,
    /// The certificate's subject, e.g. `CN=idp.example.com`.
    pub subject: String,
    /// SHA-256 of the certificate's DER, colon-separated upper-case hex.
    pub sha256: String,
    /// RFC 3339 (UTC).
    pub not_after: String,
    /// Whole days until notAfter (negative when expired).
    pub days_left: i64,
    /// e.g. `RSA 2048`, `ECDSA P-256`.
    pub key: String,
    /// Since when it has this state (Unix seconds); null without a rollover state file.
    #[schema(required = true)]
    pub since: Option<i64>,
}

impl KeysAnswer {
    fn new(state: &AppState) -> KeysAnswer {
        let idp = state.idp();
        let keys = idp
            .keys
            .rows()
            .into_iter()
            .map(|r| KeyAnswer {
                state: r.state.as_str(),
                subject: r.info.subject,
                sha256: r.info.sha256_fingerprint,
                not_after: r.info.not_after,
                days_left: r.info.days_left,
                key: r.info.key_description,
                since: r.since,
            })
            .collect();
        KeysAnswer { stage: idp.keys.stage().as_str(), signing: idp.current_fingerprint(), keys }
    }
}

/// A rollover step done: the keys after it, and what else it did.
#[derive(Serialize, ToSchema)]
pub struct StepAnswer {
    #[serde(flatten)]
    pub keys: KeysAnswer,
    /// `prepare`, `activate` or `retire`.
    pub step: &'static str,
    /// `idp.metadata_file` rewritten for the keys now published, or why it could not be (the step is
    /// done all the same; `samlgate metadata export` writes it).
    pub metadata_file: MetadataFile,
    /// A next key of another family than `idp.signature_algorithm`: what to change; else null.
    #[schema(required = true)]
    pub algorithm_note: Option<String>,
}

/// `{"written": path}` or `{"error": why}`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MetadataFile {
    /// The file written.
    Written(String),
    /// Why it was not written.
    Error(String),
}

/// The IdP keys with their states (`current`, `next`, `previous`) and the rollover's stage.
#[utoipa::path(get, path = "/admin/api/v1/keys", tag = "keys",
    responses((status = 200, description = "the keys", body = KeysAnswer)))]
async fn list_keys(State(state): State<AppState>, _auth: ApiAuth) -> Answer {
    // As the page: read the key directory now (a step done elsewhere counts at once).
    if let Err(e) = state.reload_keys().await {
        tracing::warn!(error = %e, "re-reading the IdP key directory failed");
    }
    ok(KeysAnswer::new(&state))
}

async fn step(state: &AppState, auth: &ApiAuth, step: Step, opts: PrepareOptions) -> Answer {
    let report =
        run_step(&state.settings, state.store.as_ref(), step, &opts, &auth.actor(), "api", &auth.caller).await?;
    if let Err(e) = state.reload_keys().await {
        tracing::warn!(error = %e, "re-reading the IdP key directory after {step} failed");
    }
    let metadata_file = match report.metadata_file {
        Ok(p) => MetadataFile::Written(p.display().to_string()),
        Err(why) => MetadataFile::Error(why),
    };
    ok(StepAnswer {
        keys: KeysAnswer::new(state),
        step: step.as_str(),
        metadata_file,
        algorithm_note: report.algorithm_note,
    })
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
    responses((status = 200, description = "the keys after the step", body = StepAnswer),
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
    responses((status = 200, description = "the keys after the step", body = StepAnswer),
              (status = 409, description = "out of order", body = ApiError)))]
async fn activate_key(State(state): State<AppState>, auth: ApiAuth) -> Answer {
    step(&state, &auth, Step::Activate, PrepareOptions::default()).await
}

/// Rollover step 4: stop publishing the previous certificate.
#[utoipa::path(post, path = "/admin/api/v1/keys/retire", tag = "keys",
    responses((status = 200, description = "the keys after the step", body = StepAnswer),
              (status = 409, description = "out of order", body = ApiError)))]
async fn retire_key(State(state): State<AppState>, auth: ApiAuth) -> Answer {
    step(&state, &auth, Step::Retire, PrepareOptions::default()).await
}

// --- Bindings ---

/// A customer's binding to a HUAWEI CLOUD account.
#[derive(Serialize, ToSchema)]
pub struct BindingAnswer {
    /// The partner's customer id.
    pub x_user_id: String,
    pub domain_id: String,
    pub domain_name: String,
    /// The IAM user name, when Huawei's create-customer answer named one.
    #[schema(required = true)]
    pub user_name: Option<String>,
    /// The IAM user id, when Huawei's create-customer answer named one.
    #[schema(required = true)]
    pub user_id: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
}

impl From<&crate::store::Binding> for BindingAnswer {
    fn from(b: &crate::store::Binding) -> BindingAnswer {
        BindingAnswer {
            x_user_id: b.x_user_id.clone(),
            domain_id: b.domain_id.clone(),
            domain_name: b.domain_name.clone(),
            user_name: b.user_name.clone(),
            user_id: b.user_id.clone(),
            created_at: b.created_at,
        }
    }
}

/// `GET /bindings`.
#[derive(Serialize, ToSchema)]
pub struct BindingList {
    /// At most `limit`, newest first (`created_at`, then `x_user_id`, both descending).
    pub bindings: Vec<BindingAnswer>,
    /// Every binding, or with `q` every match.
    pub total: i64,
    /// The `before` of the next page (`CREATED_AT.X_USER_ID`); null on the last page and with `q`.
    #[schema(required = true)]
    pub next: Option<String>,
}

/// Bindings, newest first, or those whose xUserId or domainId is `q`; page on with `before` = the
/// answer's `next`.
#[utoipa::path(get, path = "/admin/api/v1/bindings", tag = "bindings",
    params(("q" = Option<String>, Query, description = "an xUserId or domainId"),
           ("limit" = Option<i64>, Query, description = "at most this many (default 50, at most 500)"),
           ("before" = Option<String>, Query, description = "the `next` of the previous page (without q)"),
           ("offset" = Option<i64>, Query, description = "deprecated: only 0 is taken; page with `before`")),
    responses((status = 200, description = "a page of bindings", body = BindingList),
              (status = 400, description = "a parameter is malformed, or `offset` (no longer taken) was sent",
               body = ApiError)))]
async fn list_bindings(State(state): State<AppState>, _auth: ApiAuth, RawQuery(raw): RawQuery) -> Answer {
    let q = query(raw.as_deref(), &["q", "limit", "before", "offset"])?;
    // `offset=0` (a first page) still reads as it did; skipping rows is refused: it read every row skipped.
    if number(&q, "offset", 0)? > 0 {
        return Err(refused(
            StatusCode::BAD_REQUEST,
            "parameter",
            "offset: no longer supported (it read every skipped row); page with before = the answer's next",
        ));
    }
    let limit = number(&q, "limit", 50)?.clamp(1, MAX_LIMIT);
    let search = q.get("q").map(|s| s.trim().to_owned()).unwrap_or_default();
    if search.len() > 256 {
        return Err(refused(StatusCode::BAD_REQUEST, "parameter", "q: at most 256 characters"));
    }
    let before = match q.get("before") {
        None => None,
        Some(_) if !search.is_empty() => {
            return Err(refused(StatusCode::BAD_REQUEST, "parameter", "before: not with q (a search is one page)"));
        }
        Some(b) => Some(
            crate::store::BindingCursor::parse(b.trim())
                .map_err(|m| refused(StatusCode::BAD_REQUEST, "parameter", format!("before: {m}")))?,
        ),
    };
    // `total`: every binding (a counter), or (with q) every match — an exact xUserId or domainId, so few.
    let (list, total, next) = if search.is_empty() {
        let mut list = state.store.list_bindings(limit + 1, before.as_ref()).await?;
        let more = list.len() as i64 > limit;
        list.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = if more { list.last().map(|b| crate::store::BindingCursor::of(b).to_string()) } else { None };
        (list, state.store.count_bindings().await?, next)
    } else {
        let mut found = state.store.find_bindings(&search, MAX_LIMIT + 1).await?;
        let total = i64::try_from(found.len()).unwrap_or(i64::MAX);
        found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        (found, total, None)
    };
    ok(BindingList { bindings: list.iter().map(BindingAnswer::from).collect(), total, next })
}

/// A customer bound through Huawei's create-customer Partner API.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddBindingBody {
    pub x_user_id: String,
    pub domain_id: Option<String>,
    pub domain_name: Option<String>,
}

/// `POST /bindings`.
#[derive(Serialize, ToSchema)]
pub struct AddedBinding {
    pub outcome: BindOutcomeAnswer,
    /// The binding as stored now.
    #[schema(required = true)]
    pub binding: Option<BindingAnswer>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BindOutcomeAnswer {
    Created,
    /// Already bound to the same domainId.
    Unchanged,
}

/// Record a binding (as `samlgate bindings add`; audited `bind.added`).
#[utoipa::path(post, path = "/admin/api/v1/bindings", tag = "bindings", request_body = AddBindingBody,
    responses((status = 200, description = "created or unchanged", body = AddedBinding),
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
        Ok(BindOutcome::Created) => BindOutcomeAnswer::Created,
        Ok(_) => BindOutcomeAnswer::Unchanged,
        Err(AddBindingError::Store(e)) => return Err(e.into()),
        Err(e @ AddBindingError::Conflict { .. }) => {
            return Err(refused(StatusCode::CONFLICT, "bind_conflict", e.to_string()));
        }
        Err(AddBindingError::Invalid(m)) => return Err(refused(StatusCode::BAD_REQUEST, "binding", m)),
    };
    let binding = state.store.get_binding(x).await?;
    ok(AddedBinding { outcome, binding: binding.as_ref().map(BindingAnswer::from) })
}

/// `DELETE /bindings/{x_user_id}`.
#[derive(Serialize, ToSchema)]
pub struct RemovedBinding {
    /// The binding as it was.
    pub removed: BindingAnswer,
}

/// Remove a binding (the customer's next jump says `isFirstLogin=true`; audited `bind.removed`).
#[utoipa::path(delete, path = "/admin/api/v1/bindings/{x_user_id}", tag = "bindings",
    params(("x_user_id" = String, Path, description = "the customer's xUserId")),
    responses((status = 200, description = "removed", body = RemovedBinding),
              (status = 404, description = "no such binding", body = ApiError)))]
async fn remove_binding(State(state): State<AppState>, auth: ApiAuth, path: PathParam) -> Answer {
    let x_user_id = path_value(path, "x_user_id")?;
    match crate::gateway::bindings::remove_binding(state.store.as_ref(), &x_user_id, &auth.actor(), "api", &auth.caller)
        .await?
    {
        Some(b) => ok(RemovedBinding { removed: BindingAnswer::from(&b) }),
        None => Err(refused(StatusCode::NOT_FOUND, "no_binding", format!("no binding for xUserId `{x_user_id}`"))),
    }
}

// --- Audit ---

/// `GET /audit`.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    /// Newest first, at most `limit`.
    pub events: Vec<AuditEventAnswer>,
    /// The `before` of the next page; null on the last one.
    #[schema(required = true)]
    pub next_before: Option<i64>,
}

/// An audit event, as a line of the JSONL export.
#[derive(Serialize, ToSchema)]
pub struct AuditEventAnswer {
    pub id: i64,
    /// RFC 3339 (UTC).
    pub at: String,
    /// `at` in Unix seconds.
    pub at_unix: i64,
    /// e.g. `bind.added`, `request.refused`.
    pub kind: String,
    /// Who did it: an admin, `token:NAME`, `cli`, a customer's xUserId, …
    pub actor: String,
    /// What it was done to (an xUserId, an entityID, a user name, …).
    pub subject: String,
    /// The id of the request (in the log line and a refusal's answer).
    pub correlation_id: String,
    /// The kind's details (JSON).
    pub detail: serde_json::Value,
}

impl From<crate::gateway::audit::EventLine> for AuditEventAnswer {
    fn from(line: crate::gateway::audit::EventLine) -> AuditEventAnswer {
        // Every field by name: a field the export gains does not compile until it is here too.
        let crate::gateway::audit::EventLine { id, at, at_unix, kind, actor, subject, correlation_id, detail } = line;
        AuditEventAnswer { id, at, at_unix, kind, actor, subject, correlation_id, detail }
    }
}

/// Search the audit log, newest first; page on with `before` = the answer's `next_before`.
#[utoipa::path(get, path = "/admin/api/v1/audit", tag = "audit",
    params(("kind" = Option<String>, Query, description = "a kind (`bind.removed`) or a prefix (`bind.`)"),
           ("who" = Option<String>, Query, description = "an xUserId or admin (actor or subject)"),
           ("correlation_id" = Option<String>, Query, description = "the id a refusal showed"),
           ("since" = Option<String>, Query, description = "`2026-12-01`, RFC 3339, a Unix time or `7d`"),
           ("until" = Option<String>, Query, description = "as since (exclusive)"),
           ("before" = Option<i64>, Query, description = "only events with a smaller id"),
           ("limit" = Option<i64>, Query, description = "default 100, at most 500")),
    responses((status = 200, description = "a page of events", body = AuditPage),
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
    let events = events.iter().map(|e| crate::gateway::audit::EventLine::from(e).into()).collect();
    ok(AuditPage { events, next_before })
}

// --- Decoder ---

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecodeBody {
    /// A Redirect URL, its query, base64 (deflated or not) or XML.
    pub message: String,
}

/// `POST /decode`: what the decoder found.
#[derive(Serialize, ToSchema)]
pub struct DecodeAnswer {
    /// `HTTP-Redirect`, `HTTP-POST (base64)`, `XML`, …
    pub encoding: &'static str,
    /// The root element (`samlp:AuthnRequest`, …), empty when the XML did not parse.
    pub message: String,
    /// The message, indented.
    pub xml: String,
    /// The RelayState of a Redirect URL, if any.
    #[schema(required = true)]
    pub relay_state: Option<String>,
    /// Every check, in the order the gateway runs them.
    pub checks: Vec<CheckAnswer>,
    /// Whether every check passed.
    pub all_passed: bool,
}

/// One check of the decoder.
#[derive(Serialize, ToSchema)]
pub struct CheckAnswer {
    /// `decode`, `xml`, `issuer`, `signature`, `request`, `replay`.
    pub name: &'static str,
    pub ok: bool,
    /// The reason the gateway would refuse with (e.g. `missing_signature`); empty when it passed.
    pub reason: String,
    /// What was found.
    pub detail: String,
}

impl From<crate::gateway::decode::Decoded> for DecodeAnswer {
    fn from(d: crate::gateway::decode::Decoded) -> DecodeAnswer {
        let all_passed = d.all_passed();
        // Every field by name: a field the decoder gains does not compile until it is here too.
        let crate::gateway::decode::Decoded { encoding, message, xml, relay_state, checks } = d;
        let checks = checks
            .into_iter()
            .map(|crate::gateway::decode::Check { name, ok, reason, detail }| CheckAnswer { name, ok, reason, detail })
            .collect();
        DecodeAnswer { encoding, message, xml, relay_state, checks, all_passed }
    }
}

/// Decode a SAML message and run every check the gateway would; nothing is stored or spent.
#[utoipa::path(post, path = "/admin/api/v1/decode", tag = "decode", request_body = DecodeBody,
    responses((status = 200, description = "the message and its checks", body = DecodeAnswer),
              (status = 400, description = "not a SAML message", body = ApiError)))]
async fn decode(State(state): State<AppState>, _auth: ApiAuth, ApiJson(body): ApiJson<DecodeBody>) -> Answer {
    ok(DecodeAnswer::from(state.decode_message(&body.message).await?))
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

/// `POST /preview`: the assertion's content for the customer (unsigned).
#[derive(Serialize, ToSchema)]
pub struct PreviewAnswer {
    /// Huawei's SP entityID (the audience).
    pub sp_entity_id: String,
    /// The NameID's Format.
    pub name_id_format: &'static str,
    /// `NameQualifier` (and `SubjectLocality Address`): the SP's entityID.
    pub name_qualifier: String,
    /// `[name, [values]]` each; NameFormat uri, `xsi:type` xsd:string each.
    pub attributes: Vec<(String, Vec<String>)>,
    /// `isFirstLogin` of the jump: true until the customer is bound.
    pub is_first_login: bool,
    /// `[domainId, domainName]` of the HUAWEI CLOUD account it is bound to; null when unbound.
    #[schema(required = true)]
    pub bound_to: Option<(String, String)>,
}

impl From<crate::gateway::preview::Preview> for PreviewAnswer {
    fn from(p: crate::gateway::preview::Preview) -> PreviewAnswer {
        // Every field by name: a field the preview gains does not compile until it is here too.
        let crate::gateway::preview::Preview {
            sp_entity_id,
            name_id_format,
            name_qualifier,
            attributes,
            is_first_login,
            bound_to,
        } = p;
        PreviewAnswer { sp_entity_id, name_id_format, name_qualifier, attributes, is_first_login, bound_to }
    }
}

/// What Huawei would receive for a customer: NameID format and qualifier, the attributes with Huawei's
/// value rules applied, and the jump's isFirstLogin; nothing signed or stored.
#[utoipa::path(post, path = "/admin/api/v1/preview", tag = "preview", request_body = PreviewBody,
    responses((status = 200, description = "what Huawei would receive", body = PreviewAnswer),
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
        Ok(p) => ok(PreviewAnswer::from(p)),
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

/// `GET /users`.
#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<UserAnswer>,
}

/// An admin user.
#[derive(Serialize, ToSchema)]
pub struct UserAnswer {
    /// The sign-in name.
    pub name: String,
    /// `config` (`[[admin.users]]` of the config file) or `store` (the CLI, `/admin/users`, this API).
    pub source: &'static str,
    /// When its password was last set (Unix seconds; store users only, else null).
    #[schema(required = true)]
    pub updated_at: Option<i64>,
}

/// The admin users (store and config file).
#[utoipa::path(get, path = "/admin/api/v1/users", tag = "users",
    responses((status = 200, description = "the admin users", body = UserList)))]
async fn list_users(State(state): State<AppState>, _auth: ApiAuth) -> Answer {
    use crate::gateway::admin::UserSource;
    let users = crate::gateway::admin::list_users(state.store.as_ref(), &state.settings.config.admin.users).await?;
    let users = users
        .into_iter()
        .map(|u| {
            let source = if u.source == UserSource::Config { "config" } else { "store" };
            UserAnswer { name: u.user.name, source, updated_at: u.updated_at }
        })
        .collect();
    ok(UserList { users })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutUserBody {
    pub name: String,
    /// At least 12 characters; only its argon2id hash is stored.
    pub password: String,
}

/// `POST /users`.
#[derive(Serialize, ToSchema)]
pub struct PutUserAnswer {
    pub name: String,
    pub outcome: PutUserOutcome,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PutUserOutcome {
    /// A new user.
    Added,
    /// A new password for a user of that name (its tokens are revoked).
    PasswordChanged,
}

/// Add an admin user, or set a new password (audited `admin.user_added` / `admin.password_changed`).
#[utoipa::path(post, path = "/admin/api/v1/users", tag = "users", request_body = PutUserBody,
    responses((status = 200, description = "added or a new password", body = PutUserAnswer),
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
    let outcome = if existed { PutUserOutcome::PasswordChanged } else { PutUserOutcome::Added };
    ok(PutUserAnswer { name: name.to_owned(), outcome })
}

/// `DELETE /users/{name}`.
#[derive(Serialize, ToSchema)]
pub struct RemovedUser {
    /// The name of the user removed.
    pub removed: String,
}

/// Remove a store admin user (never the last one; audited `admin.user_removed`).
#[utoipa::path(delete, path = "/admin/api/v1/users/{name}", tag = "users",
    params(("name" = String, Path, description = "the user's sign-in name")),
    responses((status = 200, description = "removed", body = RemovedUser),
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
    ok(RemovedUser { removed: name })
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
