//! The one error type of the gateway layer: a request is **refused** for a reason the client can act
//! on (a stable `reason` code, a message naming the failed check, and a [`Kind`] that the HTTP layer
//! turns into a status code), or it fails for an **internal** reason (logged with details, shown as a
//! generic failure with the correlation id).

use crate::saml::dsig::DsigError;
use crate::saml::request::RequestError;
use crate::saml::verify::VerifyError;
use crate::saml::xml::XmlReadError;
use crate::store::StoreError;

/// What kind of refusal it is (`web` maps it to an HTTP status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The message or parameters are wrong (400).
    Invalid,
    /// Not signed in, or the token is not good (401).
    Unauthenticated,
    /// Authenticated, but not allowed to do this (403).
    Forbidden,
    /// Nothing is configured or stored under this name (404).
    NotFound,
    /// It contradicts what is stored (409).
    Conflict,
    /// The body is too large (413).
    TooLarge,
    /// The query string is too long (414).
    QueryTooLong,
    /// The body is not of the expected media type (415).
    UnsupportedMedia,
    /// The gateway is not set up to answer this yet (503).
    Unavailable,
}

/// A refusal or an internal failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{reason}: {message}")]
    Refused { kind: Kind, reason: &'static str, message: String },
    #[error("internal: {0:#}")]
    Internal(anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn refused(kind: Kind, reason: &'static str, message: impl Into<String>) -> Error {
        Error::Refused { kind, reason, message: message.into() }
    }

    /// A 400-class refusal: the message or its parameters are wrong.
    pub fn invalid(reason: &'static str, message: impl Into<String>) -> Error {
        Error::refused(Kind::Invalid, reason, message)
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Error {
        Error::Internal(e.into())
    }

    /// The stable reason code (`internal` for internal failures).
    pub fn reason(&self) -> &'static str {
        match self {
            Error::Refused { reason, .. } => reason,
            Error::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Internal(e.into())
    }
}

/// A message whose signature or encoding is wrong (the reason names the check).
impl From<DsigError> for Error {
    fn from(e: DsigError) -> Self {
        Error::invalid(e.reason(), e.to_string())
    }
}

impl From<RequestError> for Error {
    fn from(e: RequestError) -> Self {
        Error::invalid(e.reason(), e.to_string())
    }
}

impl From<VerifyError> for Error {
    fn from(e: VerifyError) -> Self {
        Error::invalid(e.reason(), e.to_string())
    }
}

impl From<XmlReadError> for Error {
    fn from(e: XmlReadError) -> Self {
        Error::invalid(e.reason(), e.to_string())
    }
}
