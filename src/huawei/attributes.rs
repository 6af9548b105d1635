//! Huawei's rules for the customer's data and the assertion's attributes: what each attribute may hold
//! (docs/huawei-partner-sso.md §2), the claims of a hand-off token checked against them, the
//! attributes in the order of Huawei's sample Response, and the fields of a binding.

use crate::config::HuaweiConfig;

/// An attribute value that breaks Huawei's rule for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("attribute `{attribute}` value is not acceptable: {rule}")]
pub struct AttributeRuleError {
    pub attribute: &'static str,
    pub rule: &'static str,
}

/// The Huawei attributes whose values Huawei constrains (docs/huawei-partner-sso.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HuaweiAttribute {
    /// `name`: `^([a-zA-Z_\- ][0-9a-zA-Z_\- ]*)+$`.
    Name,
    /// `mobile`: `countrycode-number`, e.g. `0086-139xxxxxxxx`, digits, 1–32 characters.
    Mobile,
    /// `xUserId`: the partner's customer id (`xaccount_id`), 1–128 characters.
    XUserId,
}

impl HuaweiAttribute {
    pub fn label(self) -> &'static str {
        match self {
            HuaweiAttribute::Name => "name",
            HuaweiAttribute::Mobile => "mobile",
            HuaweiAttribute::XUserId => "xUserId",
        }
    }
}

/// No control characters and nothing XML 1.0 cannot carry (checked before a token is spent: the
/// assertion writer would refuse it only later).
pub fn printable_in_xml(s: &str) -> bool {
    s.chars().all(|c| !c.is_control() && crate::saml::xml::is_xml_char(c))
}

/// Checks a value against Huawei's rule for that attribute; the error names attribute and rule.
pub fn check_huawei_attribute(kind: HuaweiAttribute, value: &str) -> Result<(), AttributeRuleError> {
    let fail = |rule| Err(AttributeRuleError { attribute: kind.label(), rule });
    match kind {
        HuaweiAttribute::Name => {
            // The regex is equivalent to: non-empty, first char a letter, `_`, `-` or space, the rest
            // additionally digits.
            let mut chars = value.chars();
            let first_ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || matches!(c, '_' | '-' | ' '));
            if !first_ok {
                return fail(
                    "must start with a letter, '_', '-' or space (pattern ^([a-zA-Z_\\- ][0-9a-zA-Z_\\- ]*)+$)",
                );
            }
            if !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' ')) {
                return fail(
                    "may contain only letters, digits, '_', '-' and space (pattern ^([a-zA-Z_\\- ][0-9a-zA-Z_\\- ]*)+$)",
                );
            }
            Ok(())
        }
        HuaweiAttribute::Mobile => {
            if value.is_empty() || value.len() > 32 {
                return fail("must be 1-32 characters");
            }
            match value.split_once('-') {
                Some((cc, number))
                    if !cc.is_empty()
                        && !number.is_empty()
                        && cc.bytes().all(|b| b.is_ascii_digit())
                        && number.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    Ok(())
                }
                _ => fail("must be countrycode-number in digits, e.g. 0086-13900000000"),
            }
        }
        HuaweiAttribute::XUserId => {
            if value.is_empty() {
                return fail("must not be empty");
            }
            if value.chars().count() > 128 {
                return fail("must be at most 128 characters");
            }
            if !printable_in_xml(value) {
                return fail("must not contain control characters or characters XML cannot carry (U+FFFE, U+FFFF)");
            }
            Ok(())
        }
    }
}

/// Longest e-mail address accepted in the `email` claim (RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// What the partner platform says about the customer (the hand-off token's claims, kept in the
/// gateway session): `sub` is the partner's customer id, sent as `xUserId` and `xAccountId`.
#[derive(Debug, Clone, Copy)]
pub struct Customer<'a> {
    pub sub: &'a str,
    pub name: Option<&'a str>,
    pub mobile: Option<&'a str>,
    pub email: Option<&'a str>,
}

/// A customer claim that breaks Huawei's rule for it; the message names the claim and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("claim `{claim}` ({attribute}) is not acceptable to Huawei: {rule}")]
pub struct ClaimError {
    /// The hand-off token claim: `sub`, `name`, `mobile` or `email`.
    pub claim: &'static str,
    /// The assertion attribute it becomes.
    pub attribute: &'static str,
    pub rule: String,
}

/// Checks the customer's claims against Huawei's rules (docs/huawei-partner-sso.md §2), before anything is
/// spent or sent: `sub` 1–128 characters; `name` Huawei's pattern `^([a-zA-Z_\- ][0-9a-zA-Z_\- ]*)+$`
/// (ASCII only); `mobile` `countrycode-number` in digits, 1–32 characters; `email` an address of at
/// most 254 characters (`local@domain`; Huawei documents no stricter rule). Absent or empty optional
/// claims are fine.
pub fn check_customer(c: &Customer<'_>) -> Result<(), ClaimError> {
    let rule = |claim: &'static str, e: AttributeRuleError| ClaimError {
        claim,
        attribute: e.attribute,
        rule: e.rule.to_owned(),
    };
    check_huawei_attribute(HuaweiAttribute::XUserId, c.sub).map_err(|e| rule("sub", e))?;
    if let Some(n) = c.name.filter(|s| !s.is_empty()) {
        check_huawei_attribute(HuaweiAttribute::Name, n).map_err(|e| rule("name", e))?;
    }
    if let Some(m) = c.mobile.filter(|s| !s.is_empty()) {
        check_huawei_attribute(HuaweiAttribute::Mobile, m).map_err(|e| rule("mobile", e))?;
    }
    if let Some(e) = c.email.filter(|s| !s.is_empty()) {
        let bad = |r: &str| ClaimError { claim: "email", attribute: "email", rule: r.to_owned() };
        if e.chars().count() > MAX_EMAIL_CHARS {
            return Err(bad("must be at most 254 characters"));
        }
        if !printable_in_xml(e) {
            return Err(bad("must not contain control characters or characters XML cannot carry"));
        }
        match e.rsplit_once('@') {
            Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') => {}
            _ => return Err(bad("must be an e-mail address such as name@example.com")),
        }
    }
    Ok(())
}

/// The assertion's attributes for this customer, in the order of Huawei's sample Response: `xUserId`,
/// `xAccountId` (the same value: "xAccountId和xUserId属性的值须一致"), `bpId` (when `huawei.bp_id` is
/// set; `init`, `serve` and the admin checklist warn while it is not), `email` (an empty value when
/// the partner sent none, as in the sample), then `name` and `mobile` when the partner sent them (an
/// empty value would break Huawei's patterns). Names come from `huawei.attributes`.
pub fn assertion_attributes(cfg: &HuaweiConfig, c: &Customer<'_>) -> Result<Vec<(String, Vec<String>)>, ClaimError> {
    check_customer(c)?;
    let names = &cfg.attributes;
    let mut attrs = Vec::with_capacity(6);
    attrs.push((names.x_user_id.clone(), vec![c.sub.to_owned()]));
    attrs.push((names.x_account_id.clone(), vec![c.sub.to_owned()]));
    if let Some(bp) = cfg.bp_id.as_deref().filter(|s| !s.is_empty()) {
        attrs.push((names.bp_id.clone(), vec![bp.to_owned()]));
    }
    attrs.push((names.email.clone(), vec![c.email.unwrap_or("").to_owned()]));
    if let Some(n) = c.name.filter(|s| !s.is_empty()) {
        attrs.push((names.name.clone(), vec![n.to_owned()]));
    }
    if let Some(m) = c.mobile.filter(|s| !s.is_empty()) {
        attrs.push((names.mobile.clone(), vec![m.to_owned()]));
    }
    Ok(attrs)
}

/// Checks the fields of a binding (from Huawei's notification or entered by the partner): `xUserId`
/// by Huawei's rule, `domainId` at most 64 characters without spaces (empty: the account is not known
/// yet), `domainName` at most 128 characters, no control characters anywhere. The error names the field.
pub fn check_binding_fields(x_user_id: &str, domain_id: &str, domain_name: &str) -> Result<(), String> {
    check_huawei_attribute(HuaweiAttribute::XUserId, x_user_id).map_err(|e| e.to_string())?;
    if x_user_id.chars().any(char::is_control) {
        return Err("xUserId contains control characters".into());
    }
    if domain_id.chars().count() > 64 || domain_id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("domainId must be at most 64 characters without spaces or control characters".into());
    }
    if domain_name.chars().count() > 128 || domain_name.chars().any(char::is_control) {
        return Err("domainName must be at most 128 characters without control characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_xml_cannot_carry_are_refused_before_anything_is_spent() {
        for bad in ["x\u{fffe}", "x\u{ffff}", "a\u{7}b", "tab\t"] {
            assert!(check_huawei_attribute(HuaweiAttribute::XUserId, bad).is_err(), "{bad:?}");
            let c = Customer { sub: "cust-1", name: None, mobile: None, email: Some(&format!("{bad}@example.com")) };
            assert!(check_customer(&c).is_err(), "email {bad:?}");
        }
        assert!(check_huawei_attribute(HuaweiAttribute::XUserId, "客户-001").is_ok());
    }

    #[test]
    fn huawei_rules() {
        use HuaweiAttribute::*;
        for ok in ["abc", "_a-b c9", " x", "-", "Zed_01"] {
            check_huawei_attribute(Name, ok).unwrap();
        }
        for bad in ["", "1abc", "a.b", "张三", "a\u{0}"] {
            assert!(check_huawei_attribute(Name, bad).is_err(), "{bad}");
        }
        for ok in ["0086-13900000000", "1-2"] {
            check_huawei_attribute(Mobile, ok).unwrap();
        }
        for bad in ["", "13900000000", "0086-", "-139", "0086-139-1", "+86-139", "0086-1390000000000000000000000000"] {
            assert!(check_huawei_attribute(Mobile, bad).is_err(), "{bad}");
        }
        check_huawei_attribute(XUserId, "u-1").unwrap();
        check_huawei_attribute(XUserId, &"中".repeat(128)).unwrap();
        assert!(check_huawei_attribute(XUserId, "").is_err());
        let e = check_huawei_attribute(XUserId, &"x".repeat(129)).unwrap_err();
        assert!(e.to_string().contains("xUserId") && e.to_string().contains("128"));
    }

    #[test]
    fn attributes_follow_the_sample_order() {
        let mut cfg = HuaweiConfig { bp_id: Some("bp-1".into()), ..HuaweiConfig::default() };
        let c = Customer { sub: "cust-1", name: Some("Zhang San"), mobile: Some("0086-13900000000"), email: None };
        let names: Vec<(String, Vec<String>)> = assertion_attributes(&cfg, &c).unwrap();
        let order: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(order, ["xUserId", "xAccountId", "bpId", "email", "name", "mobile"]);
        assert_eq!(names[0].1, names[1].1);
        assert_eq!(names[3].1, vec![String::new()]);
        cfg.bp_id = None;
        cfg.attributes.x_account_id = "acct".into();
        let c = Customer { name: None, mobile: None, ..c };
        let order: Vec<String> = assertion_attributes(&cfg, &c).unwrap().into_iter().map(|(n, _)| n).collect();
        assert_eq!(order, ["xUserId", "acct", "email"]);
        // Claims are checked, naming the claim and Huawei's rule.
        for (bad, claim) in [
            (Customer { name: Some("张三"), ..c }, "name"),
            (Customer { mobile: Some("13900000000"), ..c }, "mobile"),
            (Customer { email: Some("no-at-sign"), ..c }, "email"),
            (Customer { sub: "", ..c }, "sub"),
        ] {
            let e = check_customer(&bad).unwrap_err();
            assert_eq!(e.claim, claim, "{e}");
        }
        assert_eq!(super::super::sp_entity_id(&HuaweiConfig::default()), super::super::CN_SP_ENTITY_ID);
        let mock = HuaweiConfig { auth_base_url: Some("http://127.0.0.1:8081".into()), ..HuaweiConfig::default() };
        assert_eq!(super::super::sp_entity_id(&mock), "http://127.0.0.1:8081/");
    }
}
