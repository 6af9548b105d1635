//! `POST /admin/api/v1/assertions`: `samlgate assert` over the JSON admin API — a signed SAMLResponse
//! for a customer and SP, built by the gateway's own use case ([`crate::gateway::assert`]). Only for
//! tokens created with the `assertions` scope ([`AssertionsAuth`]; the `admin` scope alone is not
//! enough), and never for Huawei's SP unless `admin.allow_minting_for_huawei = true`. Audited
//! `assert.minted` with `token:NAME` as actor.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::api::{ApiError, ApiJson, ok};
use crate::gateway::api_tokens::{Scope, TokenUser, bearer_token, require_scope, verify_token};
use crate::gateway::assert::{MintRequest, Minter};
use crate::web::{Answer, AppState, Caller, Failure};

/// The token of a request to the assertions endpoint: missing, malformed, unknown, expired or revoked
/// → 401 `api_token`; without the `assertions` scope → 403 `api_scope`.
pub struct AssertionsAuth {
    pub token: TokenUser,
    pub caller: Caller,
}

impl FromRequestParts<AppState> for AssertionsAuth {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let caller = parts.extensions.get::<Caller>().cloned().unwrap_or_default();
        // Only the Authorization header counts (as for the rest of the API).
        let presented = parts.headers.get(header::AUTHORIZATION).map(|v| bearer_token(v.as_bytes()));
        let token = verify_token(state.store.as_ref(), presented, &caller).await.map_err(|e| {
            let mut r = Failure::from(e).into_response();
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            r
        })?;
        require_scope(&token, Scope::Assertions).map_err(|e| Failure::from(e).into_response())?;
        Ok(AssertionsAuth { token, caller })
    }
}

/// An extra attribute (a repeated name gives one attribute with several values).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeBody {
    pub name: String,
    pub value: String,
}

/// What to mint.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MintBody {
    /// The partner's customer id (xUserId).
    pub x_user_id: String,
    /// An imported SP's entityID; default Huawei's (refused unless `admin.allow_minting_for_huawei`).
    pub sp_entity_id: Option<String>,
    /// The AuthnRequest ID answered; without it the Response is unsolicited.
    pub in_response_to: Option<String>,
    pub name: Option<String>,
    /// `countrycode-number`, e.g. 0086-13900000000.
    pub mobile: Option<String>,
    pub email: Option<String>,
    /// Attributes after Huawei's.
    #[serde(default)]
    pub attributes: Vec<AttributeBody>,
    pub relay_state: Option<String>,
}

/// A minted Response, ready to post.
#[derive(Serialize, ToSchema)]
pub struct MintAnswer {
    /// The SAMLResponse form value (base64 of `xml`).
    pub saml_response: String,
    /// The signed Response.
    pub xml: String,
    /// Where to post it: the SP's ACS from its metadata.
    pub acs: String,
    /// The RelayState to post with it.
    pub relay_state: Option<String>,
    pub sp_entity_id: String,
    /// The AuthnRequest ID answered (none: unsolicited).
    pub in_response_to: Option<String>,
    pub response_id: String,
    pub assertion_id: String,
}

/// Mint a signed SAMLResponse for a customer, exactly as the SSO hop would sign it for that SP; post
/// `saml_response` (and `relay_state`) to `acs` yourself. Audited `assert.minted`.
#[utoipa::path(post, path = "/admin/api/v1/assertions", tag = "assertions", request_body = MintBody,
    responses((status = 200, description = "`{saml_response (base64), xml, acs, relay_state, sp_entity_id, in_response_to, response_id, assertion_id}`", body = MintAnswer),
              (status = 400, description = "a value Huawei would refuse, a bad attribute, InResponseTo or RelayState", body = ApiError),
              (status = 403, description = "the token lacks the `assertions` scope (`api_scope`), or the SP is Huawei's and `admin.allow_minting_for_huawei` is off (`huawei_minting`)", body = ApiError),
              (status = 404, description = "no such SP (`unknown_sp`)", body = ApiError)))]
pub async fn mint_assertion(
    State(state): State<AppState>,
    auth: AssertionsAuth,
    ApiJson(body): ApiJson<MintBody>,
) -> Answer {
    let req = MintRequest {
        x_user_id: body.x_user_id,
        sp_entity_id: body.sp_entity_id,
        in_response_to: body.in_response_to,
        name: body.name,
        mobile: body.mobile,
        email: body.email,
        attributes: body.attributes.into_iter().map(|a| (a.name, a.value)).collect(),
        relay_state: body.relay_state,
    };
    let minter = Minter::Api { actor: auth.token.actor() };
    let checked = state.check_mint(&req, &minter).await?;
    let m = state.mint(checked, &minter, &auth.caller).await?;
    ok(MintAnswer {
        saml_response: m.form.message,
        xml: m.xml,
        acs: m.form.action,
        relay_state: m.form.relay_state,
        sp_entity_id: m.sp_entity_id,
        in_response_to: m.in_response_to,
        response_id: m.response_id,
        assertion_id: m.assertion_id,
    })
}
