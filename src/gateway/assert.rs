//! Signed assertions outside the SP-initiated hop, built by the very code the hop uses
//! ([`Gateway::sign_assertion`], which `sso::prepare_response` calls too):
//!
//! * **on demand** (`samlgate assert`, `POST /admin/api/v1/assertions`): a Response for a given
//!   customer and SP — Huawei's by default — answering a given request ID or unsolicited, for an
//!   integration test to post to an ACS. **Check** ([`Gateway::check_mint`]): the SP, its ACS, the
//!   customer by Huawei's rules, extra attributes, the request ID, and who may mint for which SP (the
//!   API not for Huawei's SP unless `admin.allow_minting_for_huawei`). **Commit**
//!   ([`Gateway::mint`]): sign, audit `assert.minted` with the operator or token — nothing leaves
//!   unaudited.
//! * **IdP-initiated SSO** (`GET /saml/init?sp=…`, `/console?token=…&sp=…`) for SPs that allow it
//!   (`[[sps]] allow_idp_initiated`): **check** ([`Gateway::check_idp_initiated`]) the SP and its
//!   setting; **commit** ([`Gateway::answer_idp_initiated`]) sign an unsolicited Response for the
//!   session's customer, then record what was issued in the session (for logout) and audit
//!   `sso.idp_initiated` in one store commit.
//!
//! The ACS is always the HTTP-POST AssertionConsumerService of the SP's imported metadata (its
//! default one): nobody can name another target.

use std::sync::Arc;
use std::time::Instant;

use super::audit::Caller;
use super::session::SessionUser;
use super::sp::SpEntry;
use super::sso::{MAX_RELAY_STATE, PostForm};
use super::{AuditKind, Error, Gateway, Kind, Result, audit};
use crate::huawei::Customer;
use crate::saml::metadata::{BINDING_POST, Endpoint};
use crate::saml::response::{self, ResponseParams};
use crate::store::{HopRecord, NewAuditEvent, Session};
use crate::util::now_unix;

/// Most extra attribute values of one minted assertion.
pub const MAX_EXTRA_ATTRIBUTES: usize = 32;
/// Longest extra attribute name and value.
const MAX_ATTRIBUTE_NAME: usize = 256;
const MAX_ATTRIBUTE_VALUE: usize = 1024;

/// What goes into one signed Response with an assertion, whoever asked for it.
pub(crate) struct AssertionFor<'a> {
    pub sp: &'a SpEntry,
    /// The ACS location (`Destination`, `Recipient`).
    pub acs: &'a str,
    /// The AuthnRequest answered; `None` for an unsolicited Response.
    pub in_response_to: Option<&'a str>,
    pub customer: Customer<'a>,
    /// Attributes after Huawei's (already checked by [`check_extra_attributes`]).
    pub extra_attributes: &'a [(String, Vec<String>)],
    /// When the customer signed in (`AuthnInstant`).
    pub authn_instant: i64,
}

/// A signed Response and what is in it.
#[derive(Debug, Clone)]
pub(crate) struct SignedAssertion {
    pub xml: String,
    pub response_id: String,
    pub assertion_id: String,
    pub name_id: String,
    pub session_index: String,
}

impl Gateway {
    /// Builds and signs a Response for `a`: Huawei's attribute rules (the customer's claims checked,
    /// the attributes in the order of Huawei's sample), then the extra attributes; a transient NameID;
    /// for Huawei's SP its entityID as NameQualifier and SubjectLocality (Huawei's sample), plain SAML
    /// for any other SP. The one place an assertion is made.
    pub(crate) fn sign_assertion(&self, a: &AssertionFor<'_>) -> Result<SignedAssertion> {
        let cfg = &self.settings.config;
        let mut attrs = crate::huawei::assertion_attributes(&cfg.huawei, &a.customer)
            .map_err(|e| Error::invalid("attribute", e.to_string()))?;
        attrs.extend(a.extra_attributes.iter().cloned());
        let name_id = response::new_id().map_err(Error::internal)?;
        let session_index = response::new_id().map_err(Error::internal)?;
        // Huawei's sample: NameQualifier and SubjectLocality@Address carry the SP entityID. Other SPs
        // get plain SAML (an Address there would have to be the client's IP address).
        let sp_entity = a.sp.metadata.entity_id.as_str();
        let huawei_profile = sp_entity == self.huawei_sp_entity_id();
        let started = Instant::now();
        let built = response::build_response(
            &self.idp().signing_key,
            &ResponseParams {
                issuer: &cfg.idp.entity_id,
                destination: a.acs,
                in_response_to: a.in_response_to,
                audience: sp_entity,
                recipient: a.acs,
                subject_name_id: &name_id,
                name_id_format: response::NAMEID_TRANSIENT,
                name_qualifier: huawei_profile.then_some(sp_entity),
                sp_name_qualifier: Some(sp_entity),
                session_index: &session_index,
                subject_locality_address: huawei_profile.then_some(sp_entity),
                authn_instant: a.authn_instant,
                now: now_unix(),
                not_before_skew_secs: cfg.idp.clock_skew_secs as i64,
                lifetime_secs: cfg.idp.assertion_lifetime_secs as i64,
                attributes: &attrs,
                authn_context_class_ref: response::AC_UNSPECIFIED,
                sign_response: cfg.huawei.sign_response,
            },
        )
        .map_err(|e| Error::invalid("attribute", e.to_string()))?;
        metrics::histogram!("samlgate_signing_seconds").record(started.elapsed().as_secs_f64());
        Ok(SignedAssertion {
            xml: built.xml,
            response_id: built.response_id,
            assertion_id: built.assertion_id,
            name_id,
            session_index,
        })
    }

    /// [`Gateway::sign_assertion`] for the customer of a gateway session (signed in when it began).
    pub(crate) fn sign_for_session(
        &self,
        sp: &SpEntry,
        acs: &str,
        in_response_to: Option<&str>,
        session: &Session,
        user: &SessionUser,
    ) -> Result<SignedAssertion> {
        self.sign_assertion(&AssertionFor {
            sp,
            acs,
            in_response_to,
            customer: user.customer(),
            extra_attributes: &[],
            authn_instant: session.created_at,
        })
    }

    /// The SP an unsolicited Response may go to: imported (else `unknown_sp`, 404), with an
    /// HTTP-POST ACS in its metadata (its default one is used).
    async fn sp_and_post_acs(&self, entity_id: &str) -> Result<(Arc<SpEntry>, Endpoint)> {
        let shown: String = entity_id.chars().take(200).collect();
        let sp = match self.sp(entity_id).await {
            Ok(sp) => sp,
            Err(Error::Refused { reason: "unknown_issuer", .. }) => {
                return Err(Error::refused(
                    Kind::NotFound,
                    "unknown_sp",
                    format!("`{shown}` is not an imported SP (see `samlgate sp list`)"),
                ));
            }
            Err(e) => return Err(e),
        };
        let post = || sp.metadata.acs.iter().filter(|e| e.binding == BINDING_POST);
        let acs = post().find(|e| e.is_default).or_else(|| post().next()).cloned().ok_or_else(|| {
            Error::invalid("no_acs", format!("SP `{shown}` has no HTTP-POST AssertionConsumerService in its metadata"))
        })?;
        Ok((sp, acs))
    }
}

fn check_relay_state(relay_state: Option<&str>) -> Result<()> {
    if relay_state.is_some_and(|r| r.len() > MAX_RELAY_STATE) {
        return Err(Error::invalid("relay_state", format!("RelayState is longer than {MAX_RELAY_STATE} bytes")));
    }
    Ok(())
}

/// Groups `NAME=VALUE` pairs into attributes (a repeated name is one attribute with several values),
/// refusing a name that Huawei's attributes use (those come from the customer: `--user`, `--name`,
/// `--mobile`, `--email`, `huawei.bp_id`), an empty or overlong name or value, control characters,
/// and more than [`MAX_EXTRA_ATTRIBUTES`] values.
pub fn check_extra_attributes(
    names: &crate::config::AttributeNames,
    pairs: &[(String, String)],
) -> Result<Vec<(String, Vec<String>)>> {
    let bad = |m: String| Error::invalid("attribute", m);
    if pairs.len() > MAX_EXTRA_ATTRIBUTES {
        return Err(bad(format!("at most {MAX_EXTRA_ATTRIBUTES} extra attribute values")));
    }
    let reserved = [&names.x_user_id, &names.x_account_id, &names.bp_id, &names.email, &names.name, &names.mobile];
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (name, value) in pairs {
        let shown: String = name.chars().take(64).collect();
        if name.is_empty() || name.len() > MAX_ATTRIBUTE_NAME || !crate::huawei::attributes::printable_in_xml(name) {
            return Err(bad(format!(
                "attribute name `{shown}` must be 1–{MAX_ATTRIBUTE_NAME} bytes without control characters"
            )));
        }
        if reserved.contains(&name) {
            return Err(bad(format!(
                "attribute `{shown}` is one of Huawei's attributes: it comes from the customer (user, name, mobile, email) or huawei.bp_id"
            )));
        }
        if value.len() > MAX_ATTRIBUTE_VALUE || !crate::huawei::attributes::printable_in_xml(value) {
            return Err(bad(format!(
                "the value of attribute `{shown}` must be at most {MAX_ATTRIBUTE_VALUE} bytes without control characters"
            )));
        }
        match out.iter_mut().find(|(n, _)| n == name) {
            Some((_, values)) => values.push(value.clone()),
            None => out.push((name.clone(), vec![value.clone()])),
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------------
// Assertions on demand

/// What `samlgate assert` and `POST /admin/api/v1/assertions` ask for.
#[derive(Debug, Clone, Default)]
pub struct MintRequest {
    /// The partner's customer id (xUserId).
    pub x_user_id: String,
    /// The SP's entityID; Huawei's SP when `None`.
    pub sp_entity_id: Option<String>,
    /// The AuthnRequest ID to answer; `None` for an unsolicited Response.
    pub in_response_to: Option<String>,
    pub name: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    /// Extra attributes, `(name, value)`; a repeated name gives several values.
    pub attributes: Vec<(String, String)>,
    pub relay_state: Option<String>,
}

/// Who mints: the command line (whoever can read the IdP key; any SP) or an API token with the
/// `assertions` scope (not Huawei's SP unless `admin.allow_minting_for_huawei`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Minter {
    /// `samlgate assert`; the actor of the audit event (`cli:<OS user>`).
    Cli { actor: String },
    /// The admin API; the actor is `token:NAME`.
    Api { actor: String },
}

impl Minter {
    pub fn actor(&self) -> &str {
        match self {
            Minter::Cli { actor } | Minter::Api { actor } => actor,
        }
    }

    fn via(&self) -> &'static str {
        match self {
            Minter::Cli { .. } => "cli",
            Minter::Api { .. } => "api",
        }
    }
}

/// A mint request that passed every check; nothing is signed yet.
#[derive(Debug)]
pub struct CheckedMint {
    sp: Arc<SpEntry>,
    acs: Endpoint,
    req: MintRequest,
    extra: Vec<(String, Vec<String>)>,
}

/// A minted Response: the form that posts it, and what is in it.
#[derive(Debug, Clone)]
pub struct Minted {
    pub form: PostForm,
    /// The Response document (with its XML declaration).
    pub xml: String,
    pub sp_entity_id: String,
    pub in_response_to: Option<String>,
    pub response_id: String,
    pub assertion_id: String,
}

/// Whether SP metadata is Huawei Cloud's: its entityID or an ACS on a Huawei Cloud host.
pub fn is_huawei_cloud_sp(md: &crate::saml::metadata::SpMetadata) -> bool {
    use crate::util::url::host_of as host;
    crate::huawei::is_huawei_cloud_host(&host(&md.entity_id))
        || md.acs.iter().any(|a| crate::huawei::is_huawei_cloud_host(&host(&a.location)))
}

fn trimmed(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl Gateway {
    /// Checks a mint request; nothing is signed or written.
    pub async fn check_mint(&self, req: &MintRequest, minter: &Minter) -> Result<CheckedMint> {
        let cfg = &self.settings.config;
        let huawei = self.huawei_sp_entity_id();
        let entity = trimmed(&req.sp_entity_id).unwrap_or_else(|| huawei.clone());
        let guarded = matches!(minter, Minter::Api { .. }) && !cfg.admin.allow_minting_for_huawei;
        let refuse_huawei = |which: &str| {
            Error::refused(
                Kind::Forbidden,
                "huawei_minting",
                format!(
                    "minting assertions for Huawei's SP `{which}` over the API is off: it would sign a customer in \
                     without the partner platform (set admin.allow_minting_for_huawei = true to allow it, or name \
                     another SP in sp_entity_id)"
                ),
            )
        };
        if guarded && entity == huawei {
            return Err(refuse_huawei(&huawei));
        }
        if let Some(id) = &req.in_response_to
            && !crate::saml::xml::is_ncname(id)
        {
            let shown: String = id.chars().take(80).collect();
            return Err(Error::invalid(
                "in_response_to",
                format!("`{shown}` is not an AuthnRequest ID (an xs:ID: a letter or `_` first, no spaces or `:`)"),
            ));
        }
        check_relay_state(req.relay_state.as_deref())?;
        let req = MintRequest {
            x_user_id: req.x_user_id.trim().to_owned(),
            name: trimmed(&req.name),
            mobile: trimmed(&req.mobile),
            email: trimmed(&req.email),
            ..req.clone()
        };
        let customer = Customer {
            sub: &req.x_user_id,
            name: req.name.as_deref(),
            mobile: req.mobile.as_deref(),
            email: req.email.as_deref(),
        };
        crate::huawei::check_customer(&customer).map_err(|e| Error::invalid("attribute", e.to_string()))?;
        let extra = check_extra_attributes(&cfg.huawei.attributes, &req.attributes)?;
        let (sp, acs) = self.sp_and_post_acs(&entity).await?;
        // Any SP that is Huawei Cloud's (another site's metadata imported beside the configured one,
        // say), not only the configured entityID.
        if guarded && is_huawei_cloud_sp(&sp.metadata) {
            return Err(refuse_huawei(&sp.metadata.entity_id));
        }
        Ok(CheckedMint { sp, acs, req, extra })
    }

    /// Signs the Response and audits `assert.minted` (who asked, for whom, which SP and request);
    /// only then is it handed out.
    pub async fn mint(&self, c: CheckedMint, minter: &Minter, caller: &Caller) -> Result<Minted> {
        let r = &c.req;
        let signed = self.sign_assertion(&AssertionFor {
            sp: &c.sp,
            acs: &c.acs.location,
            in_response_to: r.in_response_to.as_deref(),
            customer: Customer {
                sub: &r.x_user_id,
                name: r.name.as_deref(),
                mobile: r.mobile.as_deref(),
                email: r.email.as_deref(),
            },
            extra_attributes: &c.extra,
            authn_instant: now_unix(),
        })?;
        let sp_entity = c.sp.metadata.entity_id.clone();
        self.audit(audit::event(
            AuditKind::AssertMinted,
            minter.actor(),
            &r.x_user_id,
            serde_json::json!({
                "sp": sp_entity,
                "acs": c.acs.location,
                "in_response_to": r.in_response_to,
                "response_id": signed.response_id,
                "assertion_id": signed.assertion_id,
                "via": minter.via(),
            }),
            caller,
        ))
        .await?;
        tracing::info!(actor = minter.actor(), user = %r.x_user_id, sp = %sp_entity, "assertion minted");
        Ok(Minted {
            form: PostForm::response(c.acs.location.clone(), &signed.xml, r.relay_state.clone()),
            xml: signed.xml,
            sp_entity_id: sp_entity,
            in_response_to: r.in_response_to.clone(),
            response_id: signed.response_id,
            assertion_id: signed.assertion_id,
        })
    }
}

// ---------------------------------------------------------------------------------------------------
// IdP-initiated SSO

/// An IdP-initiated sign-in that passed its checks: the SP allows it, and where the Response goes.
#[derive(Debug, Clone)]
pub struct CheckedInit {
    pub sp: Arc<SpEntry>,
    pub acs: Endpoint,
    pub relay_state: Option<String>,
}

impl Gateway {
    /// Checks `GET /saml/init?sp=…` (or `/console?…&sp=…`): its `[[sps]]` entry allows IdP-initiated
    /// SSO (else `idp_initiated_off`, 403 — also for an SP not imported), it is imported with an
    /// HTTP-POST ACS, and the RelayState fits. Nothing is spent.
    pub async fn check_idp_initiated(&self, sp: Option<&str>, relay_state: Option<String>) -> Result<CheckedInit> {
        let entity = sp
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::invalid("missing_sp", "name the service provider: `sp=<its entityID>`"))?;
        check_relay_state(relay_state.as_deref())?;
        // The setting first: an SP that is not imported gets the same answer as one that does not
        // allow it, so nobody without a session can list the imported SPs.
        let allowed = self.settings.config.sp_settings(entity).is_some_and(|s| s.allow_idp_initiated);
        if !allowed {
            let shown: String = entity.chars().take(200).collect();
            return Err(Error::refused(
                Kind::Forbidden,
                "idp_initiated_off",
                format!(
                    "SP `{shown}` does not accept IdP-initiated sign-in (allow it with `[[sps]] entity_id = \"{shown}\" \
                     allow_idp_initiated = true`); start from the SP instead"
                ),
            ));
        }
        let (sp, acs) = self.sp_and_post_acs(entity).await?;
        Ok(CheckedInit { sp, acs, relay_state })
    }

    /// This request as a URL of this gateway (the way back after the partner's login page).
    pub fn init_url(&self, c: &CheckedInit) -> String {
        let mut u =
            format!("{}?sp={}", self.settings.init_url(), crate::huawei::encode_component(&c.sp.metadata.entity_id));
        if let Some(rs) = &c.relay_state {
            u.push_str("&RelayState=");
            u.push_str(&crate::huawei::encode_component(rs));
        }
        u
    }

    /// Signs an unsolicited Response for the session's customer and, in one store commit, records
    /// the NameID and SessionIndex in the session (for logout) and audits `sso.idp_initiated`.
    pub async fn answer_idp_initiated(
        &self,
        c: CheckedInit,
        session: Session,
        mut user: SessionUser,
        caller: &Caller,
    ) -> Result<PostForm> {
        let signed = self.sign_for_session(&c.sp, &c.acs.location, None, &session, &user)?;
        let sp_entity = c.sp.metadata.entity_id.clone();
        user.remember_issued(signed.name_id, signed.session_index);
        let now = now_unix();
        let event = audit::event(
            AuditKind::SsoIdpInitiated,
            &user.sub,
            &sp_entity,
            serde_json::json!({
                "response_id": signed.response_id,
                "assertion_id": signed.assertion_id,
                "acs": c.acs.location,
            }),
            caller,
        );
        // The assertion ID is new: its one-time entry only carries the commit of session and audit.
        let hop = HopRecord {
            once_kind: "unsolicited".into(),
            once_id: signed.assertion_id.clone(),
            once_expires_at: now + self.settings.config.idp.assertion_lifetime_secs as i64,
            session_id: session.id,
            attributes_json: serde_json::to_string(&user).map_err(Error::internal)?,
            audit: NewAuditEvent { at: now, ..event },
        };
        if !self.store.record_hop(hop).await? {
            return Err(Error::internal(anyhow::anyhow!("assertion ID {} was already recorded", signed.assertion_id)));
        }
        tracing::info!(user = %user.sub, sp = %sp_entity, "unsolicited response issued (IdP-initiated)");
        Ok(PostForm::response(c.acs.location, &signed.xml, c.relay_state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_huawei_cloud_sp_is_recognised_by_its_hosts() {
        let md = |entity: &str, acs: &str| crate::saml::metadata::SpMetadata {
            entity_id: entity.into(),
            acs: vec![crate::saml::metadata::Endpoint {
                binding: crate::saml::urn::BINDING_POST.into(),
                location: acs.into(),
                response_location: None,
                index: Some(0),
                is_default: true,
            }],
            slo: vec![],
            signing_certs: vec![],
            encryption_certs: vec![],
            authn_requests_signed: true,
            want_assertions_signed: true,
            name_id_formats: vec![],
            valid_until: None,
            warnings: vec![],
            signature: Default::default(),
        };
        assert!(is_huawei_cloud_sp(&md(
            "https://auth-intl.huaweicloud.com/",
            "https://auth-intl.huaweicloud.com/authui/saml/SAMLAssertionConsumer"
        )));
        assert!(is_huawei_cloud_sp(&md("urn:other", "https://auth.eu.huaweicloud.com/acs")));
        assert!(is_huawei_cloud_sp(&md("https://AUTH.HUAWEICLOUD.COM./", "https://sp.example/acs")));
        assert!(!is_huawei_cloud_sp(&md("https://sp.example/", "https://sp.example/acs")));
        assert!(!is_huawei_cloud_sp(&md("https://huaweicloud.com.evil/", "https://evilhuaweicloud.com/acs")));
    }

    #[test]
    fn extra_attributes_are_grouped_and_checked() {
        let names = crate::config::AttributeNames::default();
        let pairs = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
        let got = check_extra_attributes(&names, &pairs(&[("role", "a"), ("team", "x"), ("role", "b")])).unwrap();
        assert_eq!(got, vec![("role".into(), vec!["a".into(), "b".into()]), ("team".into(), vec!["x".into()])]);
        for (bad, why) in [
            (vec![("xUserId", "x")], "Huawei's attributes"),
            (vec![("email", "x")], "Huawei's attributes"),
            (vec![("", "x")], "1–256"),
            (vec![("a\u{7}", "x")], "control"),
            (vec![("a", "x\u{0}")], "control"),
        ] {
            let e = check_extra_attributes(&names, &pairs(&bad)).unwrap_err().to_string();
            assert!(e.starts_with("attribute:") && e.contains(why), "{bad:?}: {e}");
        }
        let many: Vec<(String, String)> = (0..=MAX_EXTRA_ATTRIBUTES).map(|i| ("a".into(), i.to_string())).collect();
        assert!(check_extra_attributes(&names, &many).is_err());
        assert!(check_relay_state(Some(&"r".repeat(MAX_RELAY_STATE + 1))).is_err());
        check_relay_state(Some("\"><script>&x=1")).unwrap();
    }
}
