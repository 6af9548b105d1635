//! SAML protocol core: XML writing and reading, XML-DSig, metadata, messages.
//! Nothing here knows about HTTP or storage.

pub mod dsig;
pub mod metadata;
pub mod redirect;
pub mod request;
pub mod response;
pub mod urn;
pub mod verify;
pub mod xml;
