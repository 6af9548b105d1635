//! The message decoder (`/admin/decode`, `samlgate decode`): a pasted Redirect URL, query string,
//! base64 (deflated or not) or raw XML SAML message, shown as indented XML with every check the
//! gateway would run on it, each passed or failed — without storing or spending anything (the replay
//! state is only read).

use super::sso::replay_key;
use super::{Gateway, Result};
use crate::saml::redirect::{self, MessageParam};
use crate::saml::request;
use crate::saml::xml::{self, Element, Node, ReadLimits};

/// The largest message the decoder reads (as pasted).
pub const MAX_INPUT_BYTES: usize = 256 * 1024;
/// The encoding of base64 of deflated XML pasted without its query (a Redirect binding's message).
const DEFLATED: &str = "HTTP-Redirect (base64, deflated; without the query)";
/// The largest inflated or decoded XML it reads.
const MAX_XML_BYTES: usize = 256 * 1024;

/// One check and its outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    /// `decode`, `xml`, `issuer`, `signature`, `request`, `replay`.
    pub name: &'static str,
    pub ok: bool,
    /// The reason code when it failed (as the gateway would refuse), empty when it passed.
    pub reason: String,
    pub detail: String,
}

/// What the decoder found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Decoded {
    /// `HTTP-Redirect`, `HTTP-POST (base64)` or `XML`.
    pub encoding: &'static str,
    /// The root element (`samlp:AuthnRequest` …), empty when the XML did not parse.
    pub message: String,
    pub xml: String,
    pub relay_state: Option<String>,
    pub checks: Vec<Check>,
}

impl Decoded {
    pub fn all_passed(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

fn pass(name: &'static str, detail: impl Into<String>) -> Check {
    Check { name, ok: true, reason: String::new(), detail: detail.into() }
}

fn fail(name: &'static str, reason: &str, detail: impl Into<String>) -> Check {
    Check { name, ok: false, reason: reason.to_owned(), detail: detail.into() }
}

/// The message as written: a Redirect query, or XML bytes from base64 or as is.
enum Input<'a> {
    Query(&'a str),
    Xml(Vec<u8>, &'static str),
}

fn classify(input: &str) -> std::result::Result<Input<'_>, String> {
    let s = input.trim();
    if s.starts_with("http://") || s.starts_with("https://") {
        let q = s.split_once('?').map(|(_, q)| q).unwrap_or("");
        let q = q.split('#').next().unwrap_or("");
        return if q.is_empty() {
            Err("the URL has no query string with a SAML message".into())
        } else {
            Ok(Input::Query(q))
        };
    }
    let q = s.strip_prefix('?').unwrap_or(s);
    if ["SAMLRequest=", "SAMLResponse="].iter().any(|p| q.starts_with(p) || q.contains(&format!("&{p}"))) {
        return Ok(Input::Query(q));
    }
    if s.starts_with('<') {
        return Ok(Input::Xml(s.as_bytes().to_vec(), "XML"));
    }
    let compact: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, compact.as_bytes())
        .map_err(|_| "this is neither a URL, a query string, base64 nor XML".to_owned())?;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
        return Ok(Input::Xml(bytes, "HTTP-POST (base64)"));
    }
    // Base64 of deflated XML: what a Redirect binding carries, pasted without the query.
    let xml = redirect::decode_redirect_message(&compact, MAX_XML_BYTES).map_err(|e| e.to_string())?;
    Ok(Input::Xml(xml, DEFLATED))
}

impl Gateway {
    /// Decodes and checks a SAML message as pasted. Refused (`Kind::Invalid`) only when the input is
    /// not a SAML message at all; every failed check is reported, not refused.
    pub async fn decode_message(&self, input: &str) -> Result<Decoded> {
        if input.len() > MAX_INPUT_BYTES {
            return Err(super::Error::refused(
                super::Kind::TooLarge,
                "too_large",
                format!("at most {MAX_INPUT_BYTES} bytes"),
            ));
        }
        let classified = classify(input).map_err(|e| super::Error::invalid("decode", e))?;
        let mut checks = Vec::new();
        let (bytes, encoding, query) = match classified {
            Input::Query(q) => match redirect::parse_redirect_query(q) {
                Ok(parsed) => match parsed.decode_message(MAX_XML_BYTES) {
                    Ok(b) => {
                        checks.push(pass("decode", format!("{} inflated to {} bytes", parsed.param.name(), b.len())));
                        (b, "HTTP-Redirect", Some((q, parsed.param)))
                    }
                    Err(e) => return Err(super::Error::invalid("decode", e.to_string())),
                },
                Err(e) => return Err(super::Error::invalid("decode", e.to_string())),
            },
            Input::Xml(b, enc) => {
                checks.push(pass("decode", format!("{} bytes of XML", b.len())));
                (b, enc, None)
            }
        };
        let limits = ReadLimits { max_bytes: MAX_XML_BYTES, ..ReadLimits::default() };
        let doc = match xml::parse(&bytes, &limits) {
            Ok(d) => {
                checks.push(pass("xml", "well-formed, no DTD, within the size and depth limits"));
                d
            }
            Err(e) => {
                checks.push(fail("xml", e.reason(), e.to_string()));
                let shown = String::from_utf8_lossy(&bytes).chars().take(MAX_XML_BYTES).collect();
                return Ok(Decoded { encoding, message: String::new(), xml: shown, relay_state: None, checks });
            }
        };
        let message = doc.root.qname();
        let pretty = pretty_xml(&doc.root);
        let mut relay_state = None;
        let is = |local: &str| doc.root.is(xml::ns::SAMLP, local);
        match query {
            Some((q, MessageParam::SamlRequest)) if is("AuthnRequest") => {
                relay_state = redirect::parse_redirect_query(q).ok().and_then(|p| p.relay_state().ok().flatten());
                self.check_redirect_request(q, &mut checks).await;
            }
            Some((q, MessageParam::SamlRequest)) if is("LogoutRequest") => {
                relay_state = redirect::parse_redirect_query(q).ok().and_then(|p| p.relay_state().ok().flatten());
                match self.check_logout_request(q).await {
                    Ok(c) => {
                        checks
                            .push(pass("request", "Issuer, signature, Destination and times as /saml/slo checks them"));
                        if let Some(c) = c {
                            self.replay_check("logout", &c.sp.metadata.entity_id, &c.request.id, &mut checks).await;
                        }
                    }
                    Err(e) => checks.push(fail("request", e.reason(), e.to_string())),
                }
            }
            // A Redirect-binding message is signed over its query string (SAMLRequest, RelayState,
            // SigAlg), not inside the XML: without the query there is nothing to verify, and the
            // POST binding's checks would only report a missing signature.
            None if encoding == DEFLATED && (is("AuthnRequest") || is("LogoutRequest")) => checks.push(fail(
                "signature",
                "redirect_without_query",
                "a Redirect-binding message is signed over its query string (SigAlg, Signature): paste the \
                 whole URL or query to check its signature, Issuer, Destination, times and replay state",
            )),
            None if is("AuthnRequest") => {
                let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bytes);
                match self.check_post_authn_request(Some(&b64), None).await {
                    Ok(c) => {
                        checks.push(pass(
                            "request",
                            "Issuer, signature, Destination, IssueInstant and ACS as POST /saml/sso checks them",
                        ));
                        self.replay_check("authn", &c.sp.metadata.entity_id, &c.req.id, &mut checks).await;
                    }
                    Err(e) => checks.push(fail("request", e.reason(), e.to_string())),
                }
            }
            _ => checks.push(pass(
                "kind",
                format!("{message}: not a message the gateway receives; shown decoded, not checked"),
            )),
        }
        Ok(Decoded { encoding, message, xml: pretty, relay_state, checks })
    }

    /// The checks of `GET /saml/sso`, one by one.
    async fn check_redirect_request(&self, q: &str, checks: &mut Vec<Check>) {
        let req = match redirect::parse_redirect_query(q).map_err(|e| e.to_string()).and_then(|p| {
            p.decode_message(MAX_XML_BYTES)
                .map_err(|e| e.to_string())
                .and_then(|b| request::parse_authn_request(&b).map_err(|e| e.to_string()))
        }) {
            Ok(r) => r,
            Err(e) => {
                checks.push(fail("request", "malformed_request", e));
                return;
            }
        };
        match self.sp(&req.issuer).await {
            Ok(_) => checks.push(pass("issuer", format!("{} is an imported SP", req.issuer))),
            Err(e) => {
                checks.push(fail("issuer", e.reason(), e.to_string()));
                return;
            }
        }
        let (req, sp, relay_state) = match self.verified_redirect_request(q).await {
            Ok(v) => {
                let signed = redirect::parse_redirect_query(q).map(|p| p.is_signed()).unwrap_or(false);
                let what = if signed {
                    "verified with the SP's certificate from its metadata"
                } else {
                    "unsigned (the SP does not sign)"
                };
                checks.push(pass("signature", what));
                v
            }
            Err(e) => {
                checks.push(fail("signature", e.reason(), e.to_string()));
                return;
            }
        };
        let (entity, id) = (sp.metadata.entity_id.clone(), req.id.clone());
        match self.check_authn_request(req, sp, relay_state) {
            Ok(c) => checks.push(pass(
                "request",
                format!("Destination, IssueInstant, NameID policy and ACS {} accepted", c.acs.location),
            )),
            Err(e) => checks.push(fail("request", e.reason(), e.to_string())),
        }
        self.replay_check("authn", &entity, &id, checks).await;
    }

    /// Whether the request was already answered (read only); `space`: `authn` or `logout`, the
    /// single-use space the gateway spends its ID in.
    async fn replay_check(&self, space: &str, sp_entity: &str, request_id: &str, checks: &mut Vec<Check>) {
        match self.store.is_used(space, &replay_key(sp_entity, request_id)).await {
            Ok(false) => checks.push(pass("replay", format!("{request_id} has not been answered"))),
            Ok(true) => checks.push(fail("replay", "replay", format!("{request_id} was already answered"))),
            Err(e) => checks.push(fail("replay", "store", e.to_string())),
        }
    }
}

/// The element indented, two spaces per level; attribute values and text escaped.
pub fn pretty_xml(root: &Element) -> String {
    let mut out = String::new();
    write_element(root, 0, &mut out);
    out
}

fn escape(s: &str, attr: bool) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' if attr => o.push_str("&quot;"),
            c => o.push(c),
        }
    }
    o
}

fn write_element(e: &Element, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    let name = e.qname();
    out.push_str(&indent);
    out.push('<');
    out.push_str(&name);
    for (prefix, uri) in &e.ns_decls {
        let key = if prefix.is_empty() { "xmlns".to_owned() } else { format!("xmlns:{prefix}") };
        out.push_str(&format!(" {key}=\"{}\"", escape(uri, true)));
    }
    for a in &e.attrs {
        let key = match &a.prefix {
            Some(p) => format!("{p}:{}", a.local),
            None => a.local.clone(),
        };
        out.push_str(&format!(" {key}=\"{}\"", escape(&a.value, true)));
    }
    let text_only = !e.has_element_children();
    let text = e.text();
    if e.children.is_empty() || (text_only && text.trim().is_empty()) {
        out.push_str("/>\n");
        return;
    }
    if text_only {
        out.push_str(&format!(">{}</{name}>\n", escape(text.trim(), false)));
        return;
    }
    out.push_str(">\n");
    for c in &e.children {
        match c {
            Node::Element(child) => write_element(child, depth + 1, out),
            Node::Text(t) if !t.trim().is_empty() => {
                out.push_str(&format!("{indent}  {}\n", escape(t.trim(), false)));
            }
            Node::Text(_) => {}
        }
    }
    out.push_str(&format!("{indent}</{name}>\n"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_told_apart_and_xml_is_indented_and_escaped() {
        assert!(matches!(
            classify("https://gw/saml/sso?SAMLRequest=abc&SigAlg=x"),
            Ok(Input::Query("SAMLRequest=abc&SigAlg=x"))
        ));
        assert!(matches!(classify("?SAMLRequest=abc"), Ok(Input::Query("SAMLRequest=abc"))));
        assert!(matches!(classify(" <a/> "), Ok(Input::Xml(_, "XML"))));
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b"<x/>");
        assert!(matches!(classify(&b64), Ok(Input::Xml(_, "HTTP-POST (base64)"))));
        assert!(classify("hello world!").is_err());
        assert!(classify("https://gw/saml/sso").is_err());
        let doc =
            xml::parse(b"<a xmlns=\"urn:x\" k=\"1&amp;&quot;\"><b>t&lt;</b><c/></a>", &ReadLimits::default()).unwrap();
        assert_eq!(pretty_xml(&doc.root), "<a xmlns=\"urn:x\" k=\"1&amp;&quot;\">\n  <b>t&lt;</b>\n  <c/>\n</a>\n");
    }
}
