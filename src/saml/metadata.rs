//! SAML metadata: the IdP metadata samlgate publishes (`IDP Metadata.xml`) and the SP metadata it imports.
//! (in progress: types below are the contract other modules code against)

use serde::{Deserialize, Serialize};

/// An endpoint of an SP (AssertionConsumerService, SingleLogoutService, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// Binding URI, e.g. `urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST`.
    pub binding: String,
    pub location: String,
    /// `ResponseLocation`, for SingleLogoutService.
    pub response_location: Option<String>,
    /// `index`, for AssertionConsumerService.
    pub index: Option<u16>,
    pub is_default: bool,
}

/// What samlgate keeps of an imported SP metadata file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpMetadata {
    pub entity_id: String,
    pub acs: Vec<Endpoint>,
    pub slo: Vec<Endpoint>,
    /// DER certificates usable to verify the SP's signatures (KeyDescriptor use="signing" or no `use`).
    pub signing_certs: Vec<Vec<u8>>,
    /// DER certificates for encryption (KeyDescriptor use="encryption" or no `use`).
    pub encryption_certs: Vec<Vec<u8>>,
    pub authn_requests_signed: bool,
    pub want_assertions_signed: bool,
    pub name_id_formats: Vec<String>,
    /// `validUntil` of the EntityDescriptor, if any (RFC 3339 text as found).
    pub valid_until: Option<String>,
    /// Non-fatal findings (expired certificate, missing NameIDFormat …) to show to the admin.
    pub warnings: Vec<String>,
}
