//! The one strict XML reader.
//!
//! Every XML document samlgate accepts (AuthnRequests, LogoutRequests, SP metadata …) is read here and
//! nowhere else, so that the element a signature check looked at and the element the code then uses come
//! from one and the same tree (docs/saml-security.md lessons 1, 4, 5). The reader is deliberately narrower than
//! XML 1.0:
//!
//! * no DTD, ever: `<!DOCTYPE` anywhere is refused before any tree is built, and so is every entity
//!   reference except the five predefined ones and numeric character references;
//! * no processing instruction except the `<?xml …?>` declaration at the very start (UTF-8 only);
//! * duplicate attributes are refused by namespace URI + local name, and also two `ID`/`Id` attributes in
//!   different namespaces (`ID` next to `xyz:ID`), a classic way to make two components pick different IDs;
//! * the well-known prefixes `samlp`, `saml`, `md`, `ds` and `xsi` may not be bound to two different URIs
//!   anywhere in one document;
//! * size, depth, attribute and element counts are capped ([`ReadLimits`]).
//!
//! Namespaces are resolved here (scoped prefix stack with the default namespace; `xml` predefined), so
//! callers compare URIs, never prefixes. Comments are dropped and the text around them is merged, so
//! `a<!---->b` reads as one text node `ab` (comment-injection defence, lesson 2).
//!
//! The tokenizer is quick-xml; this module adds the checks, namespace resolution, attribute-value
//! normalization and the tree, in one pass.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::{is_ncname, is_xml_char, ns};

/// Caps applied while reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Maximum input size in bytes.
    pub max_bytes: usize,
    /// Maximum element nesting depth (the root is depth 1).
    pub max_depth: usize,
    /// Maximum number of attributes (namespace declarations included) on one element.
    pub max_attributes: usize,
    /// Maximum number of elements in the document.
    pub max_elements: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits { max_bytes: 256 * 1024, max_depth: 32, max_attributes: 64, max_elements: 20_000 }
    }
}

/// A parsed document: just its root element (comments, the declaration and whitespace around the root
/// are not kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub root: Element,
}

/// An element with its namespace resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Namespace URI, `None` when the element is in no namespace.
    pub ns: Option<String>,
    /// The prefix as written, if any (for messages only; compare `ns`).
    pub prefix: Option<String>,
    pub local: String,
    /// Attributes, namespace declarations excluded, in document order.
    pub attrs: Vec<Attribute>,
    /// Namespace declarations written on this element, in document order: (prefix, URI), prefix `""`
    /// for the default namespace. Only exclusive c14n with an InclusiveNamespaces PrefixList needs
    /// them (to render a declared but not visibly used prefix); everything else compares `ns`.
    pub ns_decls: Vec<(String, String)>,
    pub children: Vec<Node>,
    /// Byte offset of the `<` of the start tag in the input.
    pub start: usize,
    /// Byte offset just past the end tag (or past `/>` of an empty-element tag).
    pub end: usize,
}

/// An attribute with its namespace resolved. Unprefixed attributes are in no namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub ns: Option<String>,
    pub prefix: Option<String>,
    pub local: String,
    /// Unescaped and normalized per XML attribute-value rules (TAB, LF, CR become spaces; character
    /// references are kept as written).
    pub value: String,
}

/// A child of an element. Adjacent text, CDATA and references (and text on both sides of a comment) are
/// merged into one `Text` node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
}

/// Why a document was refused. Every message names the rule and, where there is one, the byte offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlReadError {
    #[error("document is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("DOCTYPE at byte {offset} refused: DTDs are never processed")]
    DoctypeRefused { offset: usize },
    #[error(
        "entity reference `&{name};` at byte {offset} refused: only &lt; &gt; &amp; &quot; &apos; and character references are allowed"
    )]
    EntityRefused { name: String, offset: usize },
    #[error(
        "processing instruction `<?{target}` at byte {offset} refused (only the XML declaration at the very start is allowed)"
    )]
    ProcessingInstructionRefused { target: String, offset: usize },
    #[error("element at byte {offset} is nested deeper than the limit of {limit}")]
    TooDeep { limit: usize, offset: usize },
    #[error("element <{element}> at byte {offset} has more than {limit} attributes")]
    TooManyAttributes { element: String, limit: usize, offset: usize },
    #[error("more than {limit} elements (at byte {offset})")]
    TooManyElements { limit: usize, offset: usize },
    #[error("duplicate attribute `{name}` on element <{element}> at byte {offset}")]
    DuplicateAttribute { element: String, name: String, offset: usize },
    #[error("undeclared namespace prefix `{prefix}` at byte {offset}")]
    UndeclaredPrefix { prefix: String, offset: usize },
    #[error(
        "namespace prefix `{prefix}` redeclared to `{uri}` at byte {offset}; it is bound to `{previous}` elsewhere in the document"
    )]
    NamespaceRedeclared { prefix: String, uri: String, previous: String, offset: usize },
    #[error("invalid UTF-8 at byte {offset}")]
    InvalidUtf8 { offset: usize },
    #[error("not well-formed XML at byte {offset}: {reason}")]
    NotWellFormed { reason: String, offset: usize },
    #[error("no root element")]
    Empty,
    #[error("element <{name}> at byte {offset} occurs more than once where only one is allowed")]
    DuplicateElement { name: String, offset: usize },
}

impl XmlReadError {
    /// The byte offset the error refers to, when there is one.
    /// Short stable code naming the refused construct (shown to clients and counted in metrics).
    pub fn reason(&self) -> &'static str {
        match self {
            XmlReadError::TooLarge { .. } => "too_large",
            XmlReadError::DoctypeRefused { .. } => "dtd_refused",
            XmlReadError::EntityRefused { .. } => "entity_refused",
            XmlReadError::ProcessingInstructionRefused { .. } => "pi_refused",
            XmlReadError::TooDeep { .. } => "too_deep",
            XmlReadError::TooManyAttributes { .. } => "too_many_attributes",
            XmlReadError::TooManyElements { .. } => "too_many_elements",
            XmlReadError::DuplicateAttribute { .. } => "duplicate_attribute",
            XmlReadError::UndeclaredPrefix { .. } => "undeclared_prefix",
            XmlReadError::NamespaceRedeclared { .. } => "namespace_redeclared",
            XmlReadError::InvalidUtf8 { .. } => "invalid_utf8",
            XmlReadError::NotWellFormed { .. } | XmlReadError::Empty => "malformed_xml",
            XmlReadError::DuplicateElement { .. } => "duplicate_element",
        }
    }

    pub fn offset(&self) -> Option<usize> {
        use XmlReadError::*;
        match self {
            TooLarge { .. } | Empty => None,
            DoctypeRefused { offset }
            | EntityRefused { offset, .. }
            | ProcessingInstructionRefused { offset, .. }
            | TooDeep { offset, .. }
            | TooManyAttributes { offset, .. }
            | TooManyElements { offset, .. }
            | DuplicateAttribute { offset, .. }
            | UndeclaredPrefix { offset, .. }
            | NamespaceRedeclared { offset, .. }
            | InvalidUtf8 { offset }
            | NotWellFormed { offset, .. }
            | DuplicateElement { offset, .. } => Some(*offset),
        }
    }
}

impl Element {
    /// Whether this element is `{ns}local`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local == local && self.ns.as_deref() == Some(ns)
    }

    /// The value of the attribute `local` in no namespace.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs.iter().find(|a| a.ns.is_none() && a.local == local).map(|a| a.value.as_str())
    }

    /// The value of the attribute `{ns}local`.
    pub fn attr_ns(&self, ns: &str, local: &str) -> Option<&str> {
        self.attrs.iter().find(|a| a.local == local && a.ns.as_deref() == Some(ns)).map(|a| a.value.as_str())
    }

    /// Child elements in document order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// Child elements named `{ns}local`.
    pub fn children_named<'a>(&'a self, ns: &'a str, local: &'a str) -> impl Iterator<Item = &'a Element> {
        self.elements().filter(move |e| e.is(ns, local))
    }

    /// The child `{ns}local` if there is exactly one, `None` if there is none, an error if there are more.
    pub fn only_child(&self, ns: &str, local: &str) -> Result<Option<&Element>, XmlReadError> {
        let mut it = self.elements().filter(|e| e.is(ns, local));
        let first = it.next();
        if let Some(second) = it.next() {
            return Err(XmlReadError::DuplicateElement { name: second.qname(), offset: second.start });
        }
        Ok(first)
    }

    /// All direct text children concatenated (never just the first text node).
    pub fn text(&self) -> String {
        let mut out = String::new();
        for n in &self.children {
            if let Node::Text(t) = n {
                out.push_str(t);
            }
        }
        out
    }

    /// Whether the element has at least one child element.
    pub fn has_element_children(&self) -> bool {
        self.elements().next().is_some()
    }

    /// The name as written (`prefix:local`), for messages.
    pub fn qname(&self) -> String {
        match &self.prefix {
            Some(p) => format!("{p}:{}", self.local),
            None => self.local.clone(),
        }
    }
}

const XMLNS_URI: &str = "http://www.w3.org/2000/xmlns/";

/// Prefixes that may be bound to only one URI per document (alias / confusion attacks).
const PROTECTED_PREFIXES: [&str; 5] = ["samlp", "saml", "md", "ds", "xsi"];

/// Parses `bytes` strictly. Never panics; every refusal is an [`XmlReadError`].
pub fn parse(bytes: &[u8], limits: &ReadLimits) -> Result<Document, XmlReadError> {
    if bytes.len() > limits.max_bytes {
        return Err(XmlReadError::TooLarge { size: bytes.len(), limit: limits.max_bytes });
    }
    let (base, body) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (3, rest),
        None => (0, bytes),
    };
    let text = std::str::from_utf8(body).map_err(|e| XmlReadError::InvalidUtf8 { offset: base + e.valid_up_to() })?;
    prescan(text.as_bytes(), base)?;
    Builder::new(base, limits).run(text)
}

/// One cheap scan before tokenizing: refuses DOCTYPE anywhere (so no DTD construct ever reaches the
/// tokenizer) and characters XML 1.0 cannot carry (C0 controls other than TAB/LF/CR, U+FFFE, U+FFFF).
fn prescan(b: &[u8], base: usize) -> Result<(), XmlReadError> {
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x20 && c != b'\t' && c != b'\n' && c != b'\r' {
            return Err(XmlReadError::NotWellFormed {
                reason: format!("character U+{c:04X} is not allowed in XML 1.0"),
                offset: base + i,
            });
        }
        if c == 0xEF && i + 2 < b.len() && b[i + 1] == 0xBF && (b[i + 2] == 0xBE || b[i + 2] == 0xBF) {
            let cp = if b[i + 2] == 0xBE { 0xFFFE } else { 0xFFFF };
            return Err(XmlReadError::NotWellFormed {
                reason: format!("character U+{cp:04X} is not allowed in XML 1.0"),
                offset: base + i,
            });
        }
        if c == b'<' && b.get(i + 1) == Some(&b'!') {
            let rest = &b[i + 2..];
            if rest.len() >= 7 && rest[..7].eq_ignore_ascii_case(b"DOCTYPE") {
                return Err(XmlReadError::DoctypeRefused { offset: base + i });
            }
        }
        i += 1;
    }
    Ok(())
}

struct Builder<'l> {
    base: usize,
    limits: &'l ReadLimits,
    /// Open elements, innermost last.
    stack: Vec<Element>,
    /// In-scope namespace bindings (prefix, URI); `""` is the default namespace, an empty URI unbinds it.
    bindings: Vec<(String, String)>,
    /// `bindings.len()` before each open element's declarations.
    marks: Vec<usize>,
    /// First URI each protected prefix was bound to in this document.
    protected: [Option<String>; 5],
    elements: usize,
    root: Option<Element>,
    /// Text waiting to become a `Node::Text` of the innermost open element.
    text: String,
    seen_markup: bool,
}

fn not_wf(reason: impl Into<String>, offset: usize) -> XmlReadError {
    XmlReadError::NotWellFormed { reason: reason.into(), offset }
}

fn split_qname(q: &str) -> (Option<&str>, &str) {
    match q.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, q),
    }
}

fn valid_qname(q: &str) -> bool {
    match q.split_once(':') {
        Some((p, l)) => is_ncname(p) && is_ncname(l),
        None => is_ncname(q),
    }
}

/// Normalizes line ends in character data (XML 1.0 §2.11): CRLF and lone CR become LF.
fn push_text_normalized(out: &mut String, s: &str) {
    if !s.contains('\r') {
        out.push_str(s);
        return;
    }
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
}

/// Resolves the content of a reference `&name;` (without `&` and `;`).
fn resolve_reference(name: &str, offset: usize) -> Result<char, XmlReadError> {
    match name {
        "lt" => return Ok('<'),
        "gt" => return Ok('>'),
        "amp" => return Ok('&'),
        "quot" => return Ok('"'),
        "apos" => return Ok('\''),
        _ => {}
    }
    let Some(num) = name.strip_prefix('#') else {
        return Err(XmlReadError::EntityRefused { name: name.to_owned(), offset });
    };
    let (digits, radix) = match num.strip_prefix('x') {
        Some(h) => (h, 16),
        None => (num, 10),
    };
    let well_formed = !digits.is_empty()
        && digits.len() <= 8
        && digits.bytes().all(|b| if radix == 16 { b.is_ascii_hexdigit() } else { b.is_ascii_digit() });
    let c = if well_formed { u32::from_str_radix(digits, radix).ok().and_then(char::from_u32) } else { None };
    match c {
        Some(c) if is_xml_char(c) => Ok(c),
        _ => Err(not_wf(format!("invalid character reference `&{name};`"), offset)),
    }
}

/// Unescapes and normalizes an attribute value as written between the quotes (XML 1.0 §3.3.3, CDATA
/// type): references resolved, each literal TAB, LF, CR (and CRLF) becomes one space.
fn normalize_attr_value(raw: &str, offset: usize) -> Result<String, XmlReadError> {
    if !raw.bytes().any(|b| matches!(b, b'&' | b'<' | b'\t' | b'\n' | b'\r')) {
        return Ok(raw.to_owned());
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find(['&', '<', '\t', '\n', '\r']) {
        out.push_str(&rest[..i]);
        let c = rest.as_bytes()[i];
        rest = &rest[i + 1..];
        match c {
            b'&' => {
                let Some(end) = rest.find(';') else {
                    return Err(not_wf("unterminated reference in attribute value", offset));
                };
                out.push(resolve_reference(&rest[..end], offset)?);
                rest = &rest[end + 1..];
            }
            b'<' => return Err(not_wf("`<` in attribute value", offset)),
            b'\r' => {
                if let Some(r) = rest.strip_prefix('\n') {
                    rest = r;
                }
                out.push(' ');
            }
            _ => out.push(' '),
        }
    }
    out.push_str(rest);
    Ok(out)
}

impl<'l> Builder<'l> {
    fn new(base: usize, limits: &'l ReadLimits) -> Self {
        Builder {
            base,
            limits,
            stack: Vec::with_capacity(16),
            bindings: Vec::with_capacity(16),
            marks: Vec::with_capacity(16),
            protected: Default::default(),
            elements: 0,
            root: None,
            text: String::new(),
            seen_markup: false,
        }
    }

    fn run(mut self, text: &str) -> Result<Document, XmlReadError> {
        let mut reader = Reader::from_str(text);
        {
            let cfg = reader.config_mut();
            cfg.check_comments = true;
            cfg.check_end_names = true;
            cfg.expand_empty_elements = false;
            cfg.allow_dangling_amp = false;
            cfg.allow_unmatched_ends = false;
            cfg.trim_text(false);
        }
        loop {
            let pos = self.base + reader.buffer_position() as usize;
            let ev = match reader.read_event() {
                Ok(ev) => ev,
                Err(e) => {
                    let at = self.base + reader.error_position() as usize;
                    return Err(not_wf(e.to_string(), at));
                }
            };
            let after = self.base + reader.buffer_position() as usize;
            match ev {
                Event::Decl(d) => {
                    if pos != self.base || self.seen_markup {
                        return Err(XmlReadError::ProcessingInstructionRefused { target: "xml".into(), offset: pos });
                    }
                    check_declaration(&d, pos)?;
                }
                Event::PI(pi) => {
                    return Err(XmlReadError::ProcessingInstructionRefused {
                        target: pi.target().chars().take(40).collect(),
                        offset: pos,
                    });
                }
                Event::DocType(_) => return Err(XmlReadError::DoctypeRefused { offset: pos }),
                Event::Start(e) => {
                    self.flush_text();
                    let el = self.open(&e, pos)?;
                    self.stack.push(el);
                }
                Event::Empty(e) => {
                    self.flush_text();
                    let el = self.open(&e, pos)?;
                    self.stack.push(el);
                    self.close(after)?;
                }
                Event::End(_) => {
                    self.flush_text();
                    self.close(after)?;
                }
                Event::Text(t) => {
                    let raw = t.into_inner();
                    if raw.contains("]]>") {
                        return Err(not_wf("`]]>` in character data", pos));
                    }
                    if self.stack.is_empty() {
                        if !raw.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
                            return Err(not_wf("text outside the root element", pos));
                        }
                    } else {
                        push_text_normalized(&mut self.text, &raw);
                    }
                }
                Event::GeneralRef(r) => {
                    if self.stack.is_empty() {
                        return Err(not_wf("reference outside the root element", pos));
                    }
                    let c = resolve_reference(&r, pos)?;
                    self.text.push(c);
                }
                Event::CData(c) => {
                    if self.stack.is_empty() {
                        return Err(not_wf("CDATA outside the root element", pos));
                    }
                    let raw: Cow<'_, str> = c.into_inner();
                    push_text_normalized(&mut self.text, &raw);
                }
                Event::Comment(_) => {}
                Event::Eof => {
                    if let Some(open) = self.stack.last() {
                        return Err(not_wf(format!("element <{}> is not closed", open.qname()), pos));
                    }
                    return match self.root {
                        Some(root) => Ok(Document { root }),
                        None => Err(XmlReadError::Empty),
                    };
                }
            }
            self.seen_markup = true;
        }
    }

    fn flush_text(&mut self) {
        if self.text.is_empty() {
            return;
        }
        let t = std::mem::take(&mut self.text);
        if let Some(el) = self.stack.last_mut() {
            el.children.push(Node::Text(t));
        }
    }

    fn lookup(&self, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some(ns::XML);
        }
        self.bindings.iter().rev().find(|(p, _)| p == prefix).map(|(_, u)| u.as_str())
    }

    /// Checks and resolves a start tag, pushing its namespace scope.
    fn open(&mut self, e: &BytesStart<'_>, pos: usize) -> Result<Element, XmlReadError> {
        if self.root.is_some() {
            return Err(not_wf("a second element after the root element", pos));
        }
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(XmlReadError::TooManyElements { limit: self.limits.max_elements, offset: pos });
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(XmlReadError::TooDeep { limit: self.limits.max_depth, offset: pos });
        }
        let qname = e.name().into_inner();
        if !valid_qname(qname) {
            return Err(not_wf(format!("invalid element name `{qname}`"), pos));
        }

        let raw_attrs = tokenize_attributes(&e[qname.len()..], pos)?;
        if raw_attrs.len() > self.limits.max_attributes {
            return Err(XmlReadError::TooManyAttributes {
                element: qname.to_owned(),
                limit: self.limits.max_attributes,
                offset: pos,
            });
        }
        let mut raw: Vec<(&str, String)> = Vec::with_capacity(raw_attrs.len());
        for (key, value) in raw_attrs {
            if !valid_qname(key) {
                return Err(not_wf(format!("invalid attribute name `{key}` in element <{qname}>"), pos));
            }
            if raw.iter().any(|(k, _)| *k == key) {
                return Err(XmlReadError::DuplicateAttribute {
                    element: qname.to_owned(),
                    name: key.to_owned(),
                    offset: pos,
                });
            }
            raw.push((key, normalize_attr_value(value, pos)?));
        }

        // Namespace declarations first: they are in scope for the element's own name and attributes.
        self.marks.push(self.bindings.len());
        let mut ns_decls = Vec::new();
        for (key, value) in &raw {
            let prefix = if *key == "xmlns" {
                ""
            } else if let Some(p) = key.strip_prefix("xmlns:") {
                p
            } else {
                continue;
            };
            self.declare(prefix, value, pos)?;
            if prefix != "xml" {
                ns_decls.push((prefix.to_owned(), value.clone()));
            }
        }

        let (prefix, local) = split_qname(qname);
        let el_ns = match prefix {
            Some(p) => match self.lookup(p) {
                Some(u) => Some(u.to_owned()),
                None => {
                    return Err(XmlReadError::UndeclaredPrefix { prefix: p.to_owned(), offset: pos });
                }
            },
            None => match self.lookup("") {
                Some("") | None => None,
                Some(u) => Some(u.to_owned()),
            },
        };

        let mut attrs: Vec<Attribute> = Vec::with_capacity(raw.len());
        for (key, value) in raw {
            if key == "xmlns" || key.starts_with("xmlns:") {
                continue;
            }
            let (ap, al) = split_qname(key);
            let a_ns = match ap {
                Some(p) => match self.lookup(p) {
                    Some(u) => Some(u.to_owned()),
                    None => {
                        return Err(XmlReadError::UndeclaredPrefix { prefix: p.to_owned(), offset: pos });
                    }
                },
                None => None,
            };
            for other in &attrs {
                let same = other.local == al && other.ns == a_ns;
                let id_alias = is_id_name(al) && is_id_name(&other.local);
                if same || id_alias {
                    return Err(XmlReadError::DuplicateAttribute {
                        element: qname.to_owned(),
                        name: key.to_owned(),
                        offset: pos,
                    });
                }
            }
            attrs.push(Attribute { ns: a_ns, prefix: ap.map(str::to_owned), local: al.to_owned(), value });
        }

        Ok(Element {
            ns: el_ns,
            prefix: prefix.map(str::to_owned),
            local: local.to_owned(),
            attrs,
            ns_decls,
            children: Vec::new(),
            start: pos,
            end: pos,
        })
    }

    fn declare(&mut self, prefix: &str, uri: &str, pos: usize) -> Result<(), XmlReadError> {
        if prefix == "xmlns" {
            return Err(not_wf("the prefix `xmlns` cannot be declared", pos));
        }
        if prefix == "xml" {
            if uri != ns::XML {
                return Err(not_wf(format!("the prefix `xml` cannot be bound to `{uri}`"), pos));
            }
            return Ok(());
        }
        if uri == ns::XML || uri == XMLNS_URI {
            return Err(not_wf(format!("the namespace `{uri}` cannot be bound to `{prefix}`"), pos));
        }
        if uri.bytes().any(is_xml_space) {
            return Err(not_wf(format!("namespace name `{uri}` is not a URI (contains whitespace)"), pos));
        }
        if !prefix.is_empty() && uri.is_empty() {
            return Err(not_wf(format!("the prefix `{prefix}` cannot be undeclared"), pos));
        }
        if let Some(i) = PROTECTED_PREFIXES.iter().position(|p| *p == prefix) {
            match &self.protected[i] {
                Some(prev) if prev != uri => {
                    return Err(XmlReadError::NamespaceRedeclared {
                        prefix: prefix.to_owned(),
                        uri: uri.to_owned(),
                        previous: prev.clone(),
                        offset: pos,
                    });
                }
                Some(_) => {}
                None => self.protected[i] = Some(uri.to_owned()),
            }
        }
        self.bindings.push((prefix.to_owned(), uri.to_owned()));
        Ok(())
    }

    /// Closes the innermost open element, ending at byte `end`.
    fn close(&mut self, end: usize) -> Result<(), XmlReadError> {
        let Some(mut el) = self.stack.pop() else {
            return Err(not_wf("end tag without a start tag", end));
        };
        el.end = end;
        if let Some(mark) = self.marks.pop() {
            self.bindings.truncate(mark);
        }
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(Node::Element(el)),
            None => self.root = Some(el),
        }
        Ok(())
    }
}

fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Splits the attribute part of a tag (everything after the name) into `(name, raw value)` pairs with
/// XML's syntax: whitespace before every attribute, `Eq` with optional whitespace, a quoted value.
/// (quick-xml's own attribute iterator accepts `a="1"b="2"`; XML does not.)
fn tokenize_attributes(raw: &str, offset: usize) -> Result<Vec<(&str, &str)>, XmlReadError> {
    let b = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let ws_start = i;
        while i < b.len() && is_xml_space(b[i]) {
            i += 1;
        }
        if i == b.len() {
            return Ok(out);
        }
        if i == ws_start {
            return Err(not_wf("missing whitespace before an attribute", offset));
        }
        let name_start = i;
        while i < b.len() && !is_xml_space(b[i]) && b[i] != b'=' {
            i += 1;
        }
        let name = &raw[name_start..i];
        while i < b.len() && is_xml_space(b[i]) {
            i += 1;
        }
        if name.is_empty() || i == b.len() || b[i] != b'=' {
            return Err(not_wf(format!("attribute `{name}` without `=\"value\"`"), offset));
        }
        i += 1;
        while i < b.len() && is_xml_space(b[i]) {
            i += 1;
        }
        let quote = match b.get(i) {
            Some(q @ (b'"' | b'\'')) => *q,
            _ => {
                return Err(not_wf(format!("value of attribute `{name}` is not quoted"), offset));
            }
        };
        let value_start = i + 1;
        let Some(len) = b[value_start..].iter().position(|c| *c == quote) else {
            return Err(not_wf(format!("value of attribute `{name}` is not closed"), offset));
        };
        out.push((name, &raw[value_start..value_start + len]));
        i = value_start + len + 1;
    }
}

/// The XML declaration, strictly: `version="1.0"`, then optionally `encoding` (UTF-8 only) and
/// `standalone` (`yes`/`no`), in that order and nothing else.
fn check_declaration(d: &quick_xml::events::BytesDecl<'_>, pos: usize) -> Result<(), XmlReadError> {
    let content: &str = d;
    let Some(rest) = content.strip_prefix("xml") else {
        return Err(not_wf("bad XML declaration", pos));
    };
    let attrs = tokenize_attributes(rest, pos)?;
    let mut it = attrs.iter().peekable();
    match it.next() {
        Some(("version", "1.0")) => {}
        Some(("version", v)) => {
            return Err(not_wf(format!("XML version `{v}` is not supported (only 1.0)"), pos));
        }
        _ => {
            return Err(not_wf("the XML declaration must start with version=\"1.0\"", pos));
        }
    }
    if let Some(("encoding", enc)) = it.peek() {
        if !enc.eq_ignore_ascii_case("utf-8") {
            return Err(not_wf(format!("declared encoding `{enc}` is not supported (only UTF-8)"), pos));
        }
        it.next();
    }
    if let Some(("standalone", sd)) = it.peek() {
        if *sd != "yes" && *sd != "no" {
            return Err(not_wf(format!("standalone=\"{sd}\" in the XML declaration"), pos));
        }
        it.next();
    }
    if let Some((name, _)) = it.next() {
        return Err(not_wf(format!("unexpected `{name}` in the XML declaration"), pos));
    }
    Ok(())
}

fn is_id_name(local: &str) -> bool {
    local == "ID" || local == "Id"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Document, XmlReadError> {
        parse(s.as_bytes(), &ReadLimits::default())
    }

    const REQ: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<saml2p:AuthnRequest xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" AssertionConsumerServiceURL="https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer" Destination="https://idp.example.com/saml/sso" ForceAuthn="false" ID="_abc123" IsPassive="false" IssueInstant="2018-11-26T09:11:58.446Z" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Version="2.0"><saml2:Issuer xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">https://auth.huaweicloud.com/</saml2:Issuer><saml2p:NameIDPolicy AllowCreate="true" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient" SPNameQualifier="https://auth.huaweicloud.com/"/></saml2p:AuthnRequest>
"#;

    #[test]
    fn parses_authn_request() {
        let d = p(REQ).unwrap();
        let r = &d.root;
        assert!(r.is(ns::SAMLP, "AuthnRequest"));
        assert_eq!(r.prefix.as_deref(), Some("saml2p"));
        assert_eq!(r.attr("ID"), Some("_abc123"));
        assert_eq!(r.attr("Version"), Some("2.0"));
        assert_eq!(r.attrs.len(), 8);
        let issuer = r.only_child(ns::SAML, "Issuer").unwrap().unwrap();
        assert_eq!(issuer.text(), "https://auth.huaweicloud.com/");
        let pol = r.only_child(ns::SAMLP, "NameIDPolicy").unwrap().unwrap();
        assert_eq!(pol.attr("AllowCreate"), Some("true"));
        assert_eq!(&REQ[pol.start..pol.end], &REQ[pol.start..REQ.find("</saml2p:AuthnRequest>").unwrap()]);
        assert!(REQ[r.start..].starts_with("<saml2p:AuthnRequest"));
        assert!(REQ[..r.end].ends_with("</saml2p:AuthnRequest>"));
        assert_eq!(r.elements().count(), 2);
        assert_eq!(r.children_named(ns::SAML, "Issuer").count(), 1);
        assert!(r.only_child(ns::SAML, "Subject").unwrap().is_none());
    }

    #[test]
    fn offsets_with_bom() {
        let mut b = b"\xEF\xBB\xBF".to_vec();
        b.extend_from_slice(b"<a><b/></a>");
        let d = parse(&b, &ReadLimits::default()).unwrap();
        assert_eq!((d.root.start, d.root.end), (3, b.len()));
        let child = d.root.elements().next().unwrap();
        assert_eq!(&b[child.start..child.end], b"<b/>");
    }

    #[test]
    fn default_namespace_and_scoping() {
        let d = p(r#"<r xmlns="urn:a"><x:c xmlns:x="urn:x" x:k="1" k="2"/><d xmlns=""/><e/></r>"#).unwrap();
        let r = &d.root;
        assert_eq!(r.ns.as_deref(), Some("urn:a"));
        let kids: Vec<_> = r.elements().collect();
        assert_eq!(kids[0].ns.as_deref(), Some("urn:x"));
        assert_eq!(kids[0].attr_ns("urn:x", "k"), Some("1"));
        assert_eq!(kids[0].attr("k"), Some("2"));
        assert_eq!(kids[1].ns, None);
        assert_eq!(kids[2].ns.as_deref(), Some("urn:a"));
        // the x prefix went out of scope
        assert!(matches!(p(r#"<r><a xmlns:x="urn:x"/><x:b/></r>"#), Err(XmlReadError::UndeclaredPrefix { .. })));
        let d = p(r#"<r xml:lang="en"/>"#).unwrap();
        assert_eq!(d.root.attr_ns(ns::XML, "lang"), Some("en"));
    }

    #[test]
    fn text_is_concatenated_across_comments_refs_and_cdata() {
        let d = p("<a>admin<!---->@x</a>").unwrap();
        assert_eq!(d.root.text(), "admin@x");
        assert_eq!(d.root.children.len(), 1, "one merged text node");
        let d = p("<a>1 &lt; 2 &amp;&#x41;&#66;<![CDATA[<raw>&amp;]]>\r\nz</a>").unwrap();
        assert_eq!(d.root.text(), "1 < 2 &AB<raw>&amp;\nz");
        let d = p("<a>x<b>inner</b>y</a>").unwrap();
        assert_eq!(d.root.text(), "xy");
    }

    #[test]
    fn attribute_values_are_normalized() {
        let d = p("<a v=\"x&amp;y&#9;\tz\r\nw&quot;&apos;&lt;&gt;\" w='q\"'/>").unwrap();
        assert_eq!(d.root.attr("v"), Some("x&y\t z w\"'<>"));
        assert_eq!(d.root.attr("w"), Some("q\""));
    }

    #[test]
    fn refuses_too_large() {
        let lim = ReadLimits { max_bytes: 10, ..Default::default() };
        assert_eq!(parse(b"<a>0123456789</a>", &lim), Err(XmlReadError::TooLarge { size: 17, limit: 10 }));
    }

    #[test]
    fn refuses_doctype_anywhere() {
        for s in [
            "<!DOCTYPE a><a/>",
            "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
            "<a><!DOCTYPE b></a>",
            "<a/><!doctype a>",
            "<!-- <!DOCTYPE --><a/>",
        ] {
            assert!(matches!(p(s), Err(XmlReadError::DoctypeRefused { .. })), "{s}: {:?}", p(s));
        }
        let e = p("<!DOCTYPE a><a/>").unwrap_err();
        assert_eq!(e.offset(), Some(0));
        assert!(e.to_string().contains("DOCTYPE"));
    }

    #[test]
    fn refuses_entities() {
        for s in ["<a>&x;</a>", "<a b=\"&ext;\"/>", "<a>&nbsp;</a>"] {
            assert!(matches!(p(s), Err(XmlReadError::EntityRefused { .. })), "{s}: {:?}", p(s));
        }
        for s in ["<a>&#0;</a>", "<a>&#x1;</a>", "<a b=\"&#-1;\"/>", "<a>&#xD800;</a>", "<a>&#xFFFFFFFFF;</a>"] {
            assert!(matches!(p(s), Err(XmlReadError::NotWellFormed { .. })), "{s}: {:?}", p(s));
        }
    }

    #[test]
    fn refuses_processing_instructions() {
        for s in ["<?php x?><a/>", "<a><?xml-stylesheet href=\"x\"?></a>", "<a/><?pi?>", " <?xml version=\"1.0\"?><a/>"]
        {
            assert!(matches!(p(s), Err(XmlReadError::ProcessingInstructionRefused { .. })), "{s}: {:?}", p(s));
        }
        for ok in [
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><a/>",
            "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><a/>",
            "<?xml version = \"1.0\"?><a\tx = '1'\ny=\"2\" />",
        ] {
            assert!(p(ok).is_ok(), "{ok}: {:?}", p(ok));
        }
        assert!(matches!(
            p("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>"),
            Err(XmlReadError::NotWellFormed { .. })
        ));
    }

    #[test]
    fn refuses_limits() {
        let lim = ReadLimits { max_depth: 3, ..Default::default() };
        assert!(parse(b"<a><b><c/></b></a>", &lim).is_ok());
        assert!(matches!(parse(b"<a><b><c><d/></c></b></a>", &lim), Err(XmlReadError::TooDeep { limit: 3, .. })));
        let lim = ReadLimits { max_attributes: 2, ..Default::default() };
        assert!(parse(b"<a x=\"1\" y=\"2\"/>", &lim).is_ok());
        assert!(matches!(
            parse(b"<a x=\"1\" y=\"2\" z=\"3\"/>", &lim),
            Err(XmlReadError::TooManyAttributes { limit: 2, .. })
        ));
        let lim = ReadLimits { max_elements: 3, ..Default::default() };
        assert!(parse(b"<a><b/><c/></a>", &lim).is_ok());
        assert!(matches!(parse(b"<a><b/><c/><d/></a>", &lim), Err(XmlReadError::TooManyElements { limit: 3, .. })));
        // default depth limit holds against deep nesting
        let deep = "<a>".repeat(1000) + &"</a>".repeat(1000);
        assert!(matches!(p(&deep), Err(XmlReadError::TooDeep { limit: 32, .. })));
    }

    #[test]
    fn refuses_duplicate_attributes() {
        for s in [
            r#"<a x="1" x="2"/>"#,
            r#"<a xmlns:p="urn:p" xmlns:q="urn:p" p:x="1" q:x="2"/>"#,
            r#"<a ID="_1" xmlns:xyz="urn:x" xyz:ID="_2"/>"#,
            r#"<a xmlns:p="urn:p" xmlns:q="urn:q" p:Id="1" q:Id="2"/>"#,
            r#"<a ID="_1" Id="_2"/>"#,
            r#"<a xmlns:p="urn:1" xmlns:p="urn:1"/>"#,
        ] {
            assert!(matches!(p(s), Err(XmlReadError::DuplicateAttribute { .. })), "{s}: {:?}", p(s));
        }
        // same local name, different namespaces, not an ID: allowed
        assert!(p(r#"<a xmlns:p="urn:p" x="1" p:x="2"/>"#).is_ok());
    }

    #[test]
    fn refuses_undeclared_prefix() {
        for s in ["<p:a/>", "<a p:x=\"1\"/>", "<a><b xmlns:p=\"urn:p\"/><p:c/></a>"] {
            assert!(matches!(p(s), Err(XmlReadError::UndeclaredPrefix { .. })), "{s}: {:?}", p(s));
        }
    }

    #[test]
    fn refuses_namespace_redeclaration_of_protected_prefixes() {
        let s = r#"<samlp:R xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><samlp:X xmlns:samlp="urn:evil"/></samlp:R>"#;
        assert!(matches!(p(s), Err(XmlReadError::NamespaceRedeclared { .. })));
        // even in sibling scopes
        let s = r#"<r><a xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/><b xmlns:ds="urn:evil"/></r>"#;
        let e = p(s).unwrap_err();
        assert!(matches!(&e, XmlReadError::NamespaceRedeclared { prefix, .. } if prefix == "ds"), "{e}");
        // the same URI again is fine; unprotected prefixes may be rebound
        assert!(
            p(r#"<r xmlns:ds="urn:d"><a xmlns:ds="urn:d"/><b xmlns:x="urn:1"><c xmlns:x="urn:2"/></b></r>"#).is_ok()
        );
        // reserved bindings
        for s in [
            r#"<a xmlns:xml="urn:x"/>"#,
            r#"<a xmlns:xmlns="urn:x"/>"#,
            r#"<a xmlns:p=""/>"#,
            r#"<a xmlns:p="http://www.w3.org/XML/1998/namespace"/>"#,
        ] {
            assert!(matches!(p(s), Err(XmlReadError::NotWellFormed { .. })), "{s}: {:?}", p(s));
        }
    }

    #[test]
    fn refuses_invalid_utf8_and_bad_chars() {
        assert!(matches!(parse(b"<a>\xff</a>", &ReadLimits::default()), Err(XmlReadError::InvalidUtf8 { offset: 3 })));
        assert!(matches!(p("<a>\u{1}</a>"), Err(XmlReadError::NotWellFormed { offset: 3, .. })));
        assert!(matches!(p("<a>\u{FFFE}</a>"), Err(XmlReadError::NotWellFormed { .. })));
    }

    #[test]
    fn refuses_not_well_formed() {
        for s in [
            "<a></b>",
            "<a>",
            "<a><b></a></b>",
            "x<a/>",
            "<a/>x",
            "<a/><b/>",
            "<a/><![CDATA[x]]>",
            "<a/>&amp;",
            "<a b=\"<\"/>",
            "<a b=\"1\"",
            "<a>]]></a>",
            "<a>& </a>",
            "<a><!-- -- --></a>",
            "<1a/>",
            "<a:b:c/>",
            "</a>",
            "<a x=\"1\"y=\"2\"/>",
            "<a x=1/>",
            "<a x/>",
            "<a x=\"1/>",
            "<a xmlns:p=\"urn:a b\"/>",
            "<?xml version=\"1.0\" standalone=\"maybe\"?><a/>",
            "<?xml encoding=\"UTF-8\"?><a/>",
            "<?xml version=\"1.0\" encding=\"UTF-8\"?><a/>",
            "<?xml version=\"1.0\"=encoding=\"UTF-8\"?><a/>",
            "<?xml version=\"1.0\" standalone=\"yes\" encoding=\"UTF-8\"?><a/>",
            "<?xml version=\"1.1\"?><a/>",
        ] {
            assert!(matches!(p(s), Err(XmlReadError::NotWellFormed { .. })), "{s}: {:?}", p(s));
        }
    }

    #[test]
    fn refuses_empty() {
        for s in ["", "   ", "<?xml version=\"1.0\"?>", "<!-- c -->"] {
            assert_eq!(p(s), Err(XmlReadError::Empty), "{s:?}");
        }
    }

    #[test]
    fn only_child_refuses_duplicates() {
        let d = p(r#"<r xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Issuer>a</saml:Issuer><saml:Issuer>b</saml:Issuer></r>"#).unwrap();
        let e = d.root.only_child(ns::SAML, "Issuer").unwrap_err();
        assert!(matches!(e, XmlReadError::DuplicateElement { .. }));
        assert!(e.to_string().contains("saml:Issuer"));
    }

    #[test]
    fn never_panics_on_truncations_and_flips() {
        let lim = ReadLimits::default();
        let doc = REQ.as_bytes();
        for n in 0..=doc.len() {
            let _ = parse(&doc[..n], &lim);
        }
        // xorshift: deterministic, no dev-dependency needed
        let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let interesting = b"<>&;:\"'/=!?[]-x\xff\xc3\x00 \r\n#";
        for _ in 0..4000 {
            let mut m = doc.to_vec();
            let flips = 1 + (next() % 4) as usize;
            for _ in 0..flips {
                let i = (next() % m.len() as u64) as usize;
                m[i] = if next() % 2 == 0 {
                    interesting[(next() % interesting.len() as u64) as usize]
                } else {
                    next() as u8
                };
            }
            if next() % 4 == 0 {
                let cut = (next() % m.len() as u64) as usize;
                m.truncate(cut);
            }
            let _ = parse(&m, &lim);
        }
    }
}
