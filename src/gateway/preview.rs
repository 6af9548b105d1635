//! "What would Huawei receive for customer X" (`/admin/preview`, `samlgate preview`): the NameID and
//! the attributes of the assertion, with Huawei's value rules applied, and the first-login flag the
//! jump would carry — unsigned, nothing stored.

use super::{Gateway, Result};
use crate::huawei::{ClaimError, Customer};

/// The assertion's content for one customer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Preview {
    pub sp_entity_id: String,
    pub name_id_format: &'static str,
    /// `NameQualifier` (and `SubjectLocality Address`): the SP's entityID, as in Huawei's sample.
    pub name_qualifier: String,
    /// Name, values; `NameFormat` uri, `xsi:type` xsd:string each.
    pub attributes: Vec<(String, Vec<String>)>,
    /// `isFirstLogin` of the jump: true until the customer is bound.
    pub is_first_login: bool,
    /// The HUAWEI CLOUD account it is bound to, if any (domainId, domainName).
    pub bound_to: Option<(String, String)>,
}

impl Gateway {
    /// The preview for `c`, or the claim that breaks Huawei's rule for it.
    pub async fn preview(&self, c: &Customer<'_>) -> Result<std::result::Result<Preview, ClaimError>> {
        let cfg = &self.settings.config.huawei;
        let attributes = match crate::huawei::assertion_attributes(cfg, c) {
            Ok(a) => a,
            Err(e) => return Ok(Err(e)),
        };
        let binding = self.store.get_binding(c.sub).await?;
        let sp = self.huawei_sp_entity_id();
        Ok(Ok(Preview {
            name_id_format: crate::saml::response::NAMEID_TRANSIENT,
            name_qualifier: sp.clone(),
            sp_entity_id: sp,
            attributes,
            is_first_login: binding.is_none(),
            bound_to: binding.map(|b| (b.domain_id, b.domain_name)),
        }))
    }
}
