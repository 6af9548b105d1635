//! Customer sessions: what a gateway session remembers, and finding the one a browser names.

use crate::store::Session;

use super::{Gateway, Result};

/// What a gateway session remembers about the customer (JSON in the store).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, Default)]
pub struct SessionUser {
    pub sub: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub mobile: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Transient NameIDs and SessionIndexes issued to SPs in this session (for logout).
    #[serde(default)]
    pub issued: Vec<(String, String)>,
    /// The last AuthnRequests answered in this session (their replay keys): Back or Reload on the
    /// auto-post page brings one again, and this browser is then told it is already signed in.
    #[serde(default)]
    pub answered: Vec<String>,
}

/// How many answered request IDs a session remembers.
pub const ANSWERED_KEPT: usize = 8;
/// How many issued NameIDs (with their SessionIndex) a session remembers for logout.
pub const ISSUED_KEPT: usize = 32;

impl SessionUser {
    /// The customer as Huawei's attribute rules see it.
    pub fn customer(&self) -> crate::huawei::Customer<'_> {
        crate::huawei::Customer {
            sub: &self.sub,
            name: self.name.as_deref(),
            mobile: self.mobile.as_deref(),
            email: self.email.as_deref(),
        }
    }

    /// Remembers an assertion issued in this session (its transient NameID and SessionIndex), so a
    /// LogoutRequest naming it ends this session; the oldest are forgotten beyond [`ISSUED_KEPT`].
    pub fn remember_issued(&mut self, name_id: String, session_index: String) {
        self.issued.push((name_id, session_index));
        if self.issued.len() > ISSUED_KEPT {
            self.issued.remove(0);
        }
    }
}

/// 256-bit random session id (64 hex digits).
pub fn new_session_id() -> String {
    let mut b = [0u8; 32];
    let _ = openssl::rand::rand_bytes(&mut b);
    hex::encode(b)
}

/// Whether `id` has the shape of a session id (anything else is never looked up).
pub fn is_session_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Gateway {
    /// The live customer session with this id (from the browser's cookie), if any.
    pub async fn session(&self, id: Option<&str>) -> Result<Option<(Session, SessionUser)>> {
        let Some(id) = id.filter(|i| is_session_id(i)) else { return Ok(None) };
        let Some(s) = self.store.get_session(id).await? else { return Ok(None) };
        let user: SessionUser = serde_json::from_str(&s.attributes_json).map_err(super::Error::internal)?;
        Ok(Some((s, user)))
    }
}
