//! XML writing for everything samlgate emits.
//!
//! The writer produces W3C *Exclusive* XML Canonicalization 1.0 (without comments) by construction:
//! every element is written as a start and an end tag, attributes in double quotes in canonical order,
//! canonical escaping, and on each element exactly the namespace declarations that exc-c14n would render
//! there (prefixes visibly used by the element or its attributes and not already rendered with the same
//! URI on an output ancestor). A subtree written by a fresh writer is therefore byte-identical to its own
//! exclusive canonical form, which is what lets us digest and sign our own output without a separate
//! canonicalizer (see `dsig`). Text that XML cannot carry (C0 controls other than TAB/LF/CR, U+FFFE/FFFF)
//! makes `finish` fail instead of emitting a document a verifier would read differently.

use std::fmt;

/// Namespace URIs used by SAML 2.0 and XML-DSig.
pub mod ns {
    pub const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
    pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
    pub const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
    pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
    pub const XS: &str = "http://www.w3.org/2001/XMLSchema";
    pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
    pub const XML: &str = "http://www.w3.org/XML/1998/namespace";
    /// Exclusive c14n, the namespace of `ec:InclusiveNamespaces`.
    pub const EC: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
}

/// The prefixes samlgate writes with, and their namespace URIs.
const KNOWN_PREFIXES: &[(&str, &str)] = &[
    ("samlp", ns::SAMLP),
    ("saml", ns::SAML),
    ("md", ns::MD),
    ("ds", ns::DS),
    ("ec", ns::EC),
    ("xs", ns::XS),
    ("xsd", ns::XS),
    ("xsi", ns::XSI),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlWriteError {
    #[error("character U+{0:04X} cannot be represented in XML 1.0 (in {1})")]
    InvalidChar(u32, String),
    #[error("unknown namespace prefix `{0}` in `{1}`")]
    UnknownPrefix(String, String),
    #[error("invalid XML name `{0}`")]
    InvalidName(String),
    #[error("duplicate attribute `{0}`")]
    DuplicateAttribute(String),
    #[error("writer misuse: {0}")]
    Misuse(&'static str),
}

struct PendingStart {
    qname: String,
    attrs: Vec<(String, String)>,
    /// Prefixes declared here although not visibly used (see [`XmlWriter::declare_inclusive`]).
    inclusive: Vec<String>,
}

struct Frame {
    qname: String,
    /// Namespace declarations rendered on this element (prefix, uri).
    rendered: Vec<(String, &'static str)>,
}

/// A writer whose output is in exclusive canonical form. See the module documentation.
pub struct XmlWriter {
    out: String,
    stack: Vec<Frame>,
    pending: Option<PendingStart>,
    error: Option<XmlWriteError>,
    extra_prefixes: Vec<(String, &'static str)>,
    root_closed: bool,
}

impl Default for XmlWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for XmlWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XmlWriter").field("len", &self.out.len()).finish()
    }
}

impl XmlWriter {
    /// A writer for a canonical fragment (no XML declaration).
    pub fn new() -> Self {
        Self::with_capacity(4096)
    }

    pub fn with_capacity(cap: usize) -> Self {
        XmlWriter {
            out: String::with_capacity(cap),
            stack: Vec::with_capacity(8),
            pending: None,
            error: None,
            extra_prefixes: Vec::new(),
            root_closed: false,
        }
    }

    /// A writer for a standalone document: starts with `<?xml version="1.0" encoding="UTF-8"?>` and a newline.
    /// (The declaration is outside the canonical form; documents written this way are not signed as a whole.)
    pub fn document() -> Self {
        let mut w = Self::new();
        w.out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        w
    }

    /// Makes an extra prefix known to this writer (e.g. a vendor extension namespace).
    pub fn declare_prefix(&mut self, prefix: &str, uri: &'static str) -> &mut Self {
        self.extra_prefixes.push((prefix.to_owned(), uri));
        self
    }

    fn fail(&mut self, e: XmlWriteError) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    fn uri_of(&self, prefix: &str) -> Option<&'static str> {
        if prefix == "xml" {
            return Some(ns::XML);
        }
        self.extra_prefixes
            .iter()
            .rev()
            .find(|(p, _)| p == prefix)
            .map(|(_, u)| *u)
            .or_else(|| KNOWN_PREFIXES.iter().find(|(p, _)| *p == prefix).map(|(_, u)| *u))
    }

    /// Starts an element named by a qualified name such as `saml:Assertion`.
    pub fn start(&mut self, qname: &str) -> &mut Self {
        self.flush_pending();
        if self.root_closed {
            self.fail(XmlWriteError::Misuse("a second root element"));
        }
        if !is_qname(qname) {
            self.fail(XmlWriteError::InvalidName(qname.to_owned()));
        }
        self.pending = Some(PendingStart { qname: qname.to_owned(), attrs: Vec::new(), inclusive: Vec::new() });
        self
    }

    /// Adds an attribute to the element just started.
    pub fn attr(&mut self, qname: &str, value: &str) -> &mut Self {
        if !is_qname(qname) || qname.starts_with("xmlns") {
            self.fail(XmlWriteError::InvalidName(qname.to_owned()));
            return self;
        }
        check_chars(value, qname).unwrap_or_else(|e| self.fail(e));
        match self.pending.as_mut() {
            Some(p) => {
                if p.attrs.iter().any(|(n, _)| n == qname) {
                    let e = XmlWriteError::DuplicateAttribute(qname.to_owned());
                    self.fail(e);
                } else {
                    p.attrs.push((qname.to_owned(), value.to_owned()));
                }
            }
            None => self.fail(XmlWriteError::Misuse("attribute outside a start tag")),
        }
        self
    }

    /// Declares `prefix` on the element just started although the element does not use it visibly —
    /// what exclusive c14n does for a prefix of an `InclusiveNamespaces PrefixList` at the apex of the
    /// signed subtree. Use it on the root of a signed element whose content names the prefix only
    /// inside attribute values (`xsi:type="xsd:string"`), and sign with that PrefixList: the output is
    /// then still its own canonical form, and the prefix is bound for every reader of the document.
    pub fn declare_inclusive(&mut self, prefix: &str) -> &mut Self {
        if self.uri_of(prefix).is_none() {
            self.fail(XmlWriteError::UnknownPrefix(prefix.to_owned(), "xmlns declaration".to_owned()));
            return self;
        }
        match self.pending.as_mut() {
            Some(p) => {
                if !p.inclusive.iter().any(|q| q == prefix) {
                    p.inclusive.push(prefix.to_owned());
                }
            }
            None => self.fail(XmlWriteError::Misuse("namespace declaration outside a start tag")),
        }
        self
    }

    /// Adds the attribute only when a value is given.
    pub fn attr_opt(&mut self, qname: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.attr(qname, v);
        }
        self
    }

    /// Writes character data (escaped).
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.flush_pending();
        if self.stack.is_empty() {
            self.fail(XmlWriteError::Misuse("text outside the root element"));
            return self;
        }
        if let Err(e) = check_chars(s, "text") {
            self.fail(e);
        }
        escape_text_into(&mut self.out, s);
        self
    }

    /// Ends the innermost open element.
    pub fn end(&mut self) -> &mut Self {
        self.flush_pending();
        match self.stack.pop() {
            Some(f) => {
                self.out.push_str("</");
                self.out.push_str(&f.qname);
                self.out.push('>');
                if self.stack.is_empty() {
                    self.root_closed = true;
                }
            }
            None => self.fail(XmlWriteError::Misuse("end without an open element")),
        }
        self
    }

    /// `<qname>text</qname>` with the given attributes.
    pub fn text_element(&mut self, qname: &str, attrs: &[(&str, &str)], text: &str) -> &mut Self {
        self.start(qname);
        for (n, v) in attrs {
            self.attr(n, v);
        }
        self.text(text).end()
    }

    /// Splices a complete element that was written by another `XmlWriter` (for example a signed
    /// Assertion). Such a fragment declares every namespace it uses itself, so it is well-formed in
    /// any context and its bytes stay exactly as signed.
    pub fn fragment(&mut self, canonical_element: &str) -> &mut Self {
        self.flush_pending();
        if self.stack.is_empty() {
            self.fail(XmlWriteError::Misuse("fragment outside the root element"));
        }
        self.out.push_str(canonical_element);
        self
    }

    /// Current output length; useful to find where an element begins (see `dsig`).
    pub fn len(&self) -> usize {
        self.out.len()
    }

    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// Returns the document, or the first problem met while writing.
    pub fn finish(mut self) -> Result<String, XmlWriteError> {
        self.flush_pending();
        if let Some(e) = self.error {
            return Err(e);
        }
        if !self.stack.is_empty() {
            return Err(XmlWriteError::Misuse("unclosed element"));
        }
        Ok(self.out)
    }

    fn is_rendered(&self, prefix: &str, uri: &str) -> bool {
        for f in self.stack.iter().rev() {
            if let Some((_, u)) = f.rendered.iter().find(|(p, _)| p == prefix) {
                return *u == uri;
            }
        }
        false
    }

    fn flush_pending(&mut self) {
        let Some(p) = self.pending.take() else { return };
        // Resolve visibly used prefixes: the element's own and those of its prefixed attributes (borrowed:
        // only a declaration that is rendered gets its own copy of the prefix).
        let mut used: Vec<&str> = Vec::with_capacity(2 + p.inclusive.len());
        used.push(prefix_of(&p.qname));
        for (n, _) in &p.attrs {
            if let Some(pre) = n.split_once(':').map(|(a, _)| a)
                && !used.contains(&pre)
            {
                used.push(pre);
            }
        }
        for pre in &p.inclusive {
            if !used.contains(&pre.as_str()) {
                used.push(pre);
            }
        }
        let mut rendered: Vec<(String, &'static str)> = Vec::new();
        for pre in used {
            // Unprefixed elements are in no namespace: nothing to render.
            if pre == "xml" || pre.is_empty() {
                continue;
            }
            let Some(uri) = self.uri_of(pre) else {
                self.fail(XmlWriteError::UnknownPrefix(pre.to_owned(), p.qname.clone()));
                continue;
            };
            if !self.is_rendered(pre, uri) {
                rendered.push((pre.to_owned(), uri));
            }
        }
        rendered.sort_by(|a, b| a.0.cmp(&b.0));

        // Attributes sorted by (namespace URI, local name); unqualified ones have the empty URI.
        let mut attrs: Vec<(&'static str, &str, &str, &str)> = p
            .attrs
            .iter()
            .map(|(n, v)| match n.split_once(':') {
                Some((pre, local)) => (self.uri_of(pre).unwrap_or(""), local, n.as_str(), v.as_str()),
                None => ("", n.as_str(), n.as_str(), v.as_str()),
            })
            .collect();
        attrs.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));

        self.out.push('<');
        self.out.push_str(&p.qname);
        for (pre, uri) in &rendered {
            self.out.push_str(" xmlns:");
            self.out.push_str(pre);
            self.out.push_str("=\"");
            escape_attr_into(&mut self.out, uri);
            self.out.push('"');
        }
        for (_, _, name, value) in &attrs {
            self.out.push(' ');
            self.out.push_str(name);
            self.out.push_str("=\"");
            escape_attr_into(&mut self.out, value);
            self.out.push('"');
        }
        self.out.push('>');
        self.stack.push(Frame { qname: p.qname, rendered });
    }
}

fn prefix_of(qname: &str) -> &str {
    qname.split_once(':').map(|(p, _)| p).unwrap_or("")
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && c.is_alphabetic())
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == '-' || c == '.' || (!c.is_ascii() && c.is_alphanumeric())
}

/// Whether `s` is an NCName (a name without a colon), the lexical space of xs:ID.
pub fn is_ncname(s: &str) -> bool {
    // The names samlgate writes are ASCII: check those byte by byte, without decoding characters.
    if s.is_ascii() {
        let b = s.as_bytes();
        return b.first().is_some_and(|&c| is_name_start(c as char)) && b.iter().all(|&c| is_name_char(c as char));
    }
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if is_name_start(c) => chars.all(is_name_char),
        _ => false,
    }
}

fn is_qname(s: &str) -> bool {
    match s.split_once(':') {
        Some((p, l)) => is_ncname(p) && is_ncname(l),
        None => is_ncname(s),
    }
}

/// Whether `c` may appear in an XML 1.0 document at all.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Refuses characters XML 1.0 cannot carry, naming where they were found.
pub fn check_chars(s: &str, context: &str) -> Result<(), XmlWriteError> {
    // A `str` cannot hold surrogates, so the only characters to refuse are the C0 controls other than
    // tab, newline and carriage return, and U+FFFE / U+FFFF (UTF-8 EF BF BE / EF BF BF): a byte scan
    // finds them without decoding the text.
    let b = s.as_bytes();
    let suspect = b.iter().any(|&c| (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r')) || c == 0xEF);
    if !suspect {
        return Ok(());
    }
    match s.chars().find(|c| !is_xml_char(*c)) {
        Some(c) => Err(XmlWriteError::InvalidChar(c as u32, context.to_owned())),
        None => Ok(()),
    }
}

/// Appends `s` to `out`, replacing each ASCII byte that `replace` maps to an entity. The bytes replaced
/// are all ASCII, so the runs between them are whole UTF-8 sequences, copied in one piece.
fn escape_runs_into(out: &mut String, s: &str, replace: impl Fn(u8) -> Option<&'static str>) {
    let mut start = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if let Some(entity) = replace(b) {
            out.push_str(&s[start..i]);
            out.push_str(entity);
            start = i + 1;
        }
    }
    out.push_str(&s[start..]);
}

/// Canonical escaping of character data.
pub fn escape_text_into(out: &mut String, s: &str) {
    escape_runs_into(out, s, |b| match b {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'\r' => Some("&#xD;"),
        _ => None,
    });
}

/// Canonical escaping of attribute values.
pub fn escape_attr_into(out: &mut String, s: &str) {
    escape_runs_into(out, s, |b| match b {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'"' => Some("&quot;"),
        b'\t' => Some("&#x9;"),
        b'\n' => Some("&#xA;"),
        b'\r' => Some("&#xD;"),
        _ => None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_chars_refuses_only_what_xml_cannot_carry() {
        for ok in ["", "plain ASCII", "tab\tnl\ncr\r", "张三 é", "！fullwidth ｍ", "\u{FFFD}\u{10000}"] {
            assert!(check_chars(ok, "t").is_ok(), "{ok:?}");
        }
        for (bad, code) in [("a\u{0}b", 0u32), ("x\u{1f}", 0x1f), ("\u{FFFE}", 0xFFFE), ("ok\u{FFFF}", 0xFFFF)] {
            match check_chars(bad, "t") {
                Err(XmlWriteError::InvalidChar(c, _)) => assert_eq!(c, code, "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn escaping_keeps_runs_and_multibyte_text() {
        let mut t = String::new();
        escape_text_into(&mut t, "a<b>&c\r张\"'\t\n");
        assert_eq!(t, "a&lt;b&gt;&amp;c&#xD;张\"'\t\n");
        let mut a = String::new();
        escape_attr_into(&mut a, "张<\"&\t\n\r>'");
        assert_eq!(a, "张&lt;&quot;&amp;&#x9;&#xA;&#xD;>'");
    }

    #[test]
    fn ncnames_ascii_and_not() {
        for ok in ["_a", "a1.b-c", "Assertion", "名前"] {
            assert!(is_ncname(ok), "{ok}");
        }
        for bad in ["", "1a", "-a", "a:b", "a b", ".a"] {
            assert!(!is_ncname(bad), "{bad}");
        }
    }

    #[test]
    fn writes_start_and_end_tags_and_sorted_attributes() {
        let mut w = XmlWriter::new();
        w.start("saml:Assertion").attr("Version", "2.0").attr("ID", "_a").attr("IssueInstant", "2026-01-01T00:00:00Z");
        w.text_element("saml:Issuer", &[], "https://idp").end();
        assert_eq!(
            w.finish().unwrap(),
            "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_a\" \
             IssueInstant=\"2026-01-01T00:00:00Z\" Version=\"2.0\"><saml:Issuer>https://idp</saml:Issuer></saml:Assertion>"
        );
    }

    #[test]
    fn renders_only_visibly_used_namespaces_once() {
        let mut w = XmlWriter::new();
        w.start("samlp:Response").attr("ID", "_r");
        w.text_element("saml:Issuer", &[], "x");
        w.start("saml:Assertion").text_element("saml:Issuer", &[], "y").end();
        w.end();
        let s = w.finish().unwrap();
        // samlp on the root only; saml on Issuer and again on Assertion (siblings do not share scope).
        assert_eq!(s.matches("xmlns:samlp=").count(), 1);
        assert_eq!(s.matches("xmlns:saml=").count(), 2);
        assert!(s.contains("<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\"><saml:Issuer>y"));
    }

    #[test]
    fn namespaced_attributes_sort_after_plain_ones() {
        let mut w = XmlWriter::new();
        w.start("saml:AttributeValue").attr("xsi:type", "xs:string").attr("B", "1").attr("A", "2");
        w.end();
        let s = w.finish().unwrap();
        assert_eq!(
            s,
            "<saml:AttributeValue xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
             xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" A=\"2\" B=\"1\" \
             xsi:type=\"xs:string\"></saml:AttributeValue>"
        );
    }

    #[test]
    fn escapes_text_and_attributes_canonically() {
        let mut w = XmlWriter::new();
        w.start("a").attr("v", "<\"&>\t\n\r'").text("</saml:AttributeValue><!-- ]]> & \r").end();
        assert_eq!(
            w.finish().unwrap(),
            "<a v=\"&lt;&quot;&amp;>&#x9;&#xA;&#xD;'\">&lt;/saml:AttributeValue&gt;&lt;!-- ]]&gt; &amp; &#xD;</a>"
        );
    }

    #[test]
    fn refuses_characters_xml_cannot_carry() {
        let mut w = XmlWriter::new();
        w.start("a").text("bad\u{1}").end();
        assert!(matches!(w.finish(), Err(XmlWriteError::InvalidChar(1, _))));
        let mut w = XmlWriter::new();
        w.start("a").attr("x", "\u{FFFE}").end();
        assert!(w.finish().is_err());
    }

    #[test]
    fn refuses_bad_names_duplicates_and_unknown_prefixes() {
        let mut w = XmlWriter::new();
        w.start("a b").end();
        assert!(matches!(w.finish(), Err(XmlWriteError::InvalidName(_))));
        let mut w = XmlWriter::new();
        w.start("a").attr("x", "1").attr("x", "2").end();
        assert!(matches!(w.finish(), Err(XmlWriteError::DuplicateAttribute(_))));
        let mut w = XmlWriter::new();
        w.start("evil:a").end();
        assert!(matches!(w.finish(), Err(XmlWriteError::UnknownPrefix(_, _))));
        let mut w = XmlWriter::new();
        w.start("a").end().start("b").end();
        assert!(w.finish().is_err());
    }

    #[test]
    fn ncname_rules() {
        assert!(is_ncname("_abc-1.2"));
        assert!(is_ncname("id123"));
        assert!(!is_ncname("1abc"));
        assert!(!is_ncname("a\"b"));
        assert!(!is_ncname("a<b"));
        assert!(!is_ncname("a:b"));
        assert!(!is_ncname(""));
    }

    #[test]
    fn document_has_declaration() {
        let mut w = XmlWriter::document();
        w.start("md:EntityDescriptor").attr("entityID", "https://x").end();
        let s = w.finish().unwrap();
        assert!(s.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<md:EntityDescriptor xmlns:md="));
    }
}

mod reader;
pub use reader::*;
