//! Page texts in Simplified Chinese and English. Every sentence a page shows lives in one Fluent
//! catalog per language (`templates/i18n/zh-CN/`, `templates/i18n/en/`: one file per group of pages
//! — the gateway's customer pages, the admin pages, the mock SP — compiled in); a page asks for a
//! message by its id. The language of a request comes from its `Accept-Language` header,
//! else from the configured default ([`Lang::negotiate`]).
//!
//! [`Page`] is what every template receives: the language, the partner's brand ([`Brand`]: product
//! name, logo, home URL, time zone) and the lookups (`t.t("id")`, `t.t1("id", "arg", value)`).

use std::sync::{Arc, OnceLock};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

/// A language samlgate's pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Simplified Chinese (`zh-CN`).
    ZhCn,
    /// English (`en`).
    En,
}

/// The files of one language's catalog.
macro_rules! catalog {
    ($lang:literal) => {
        [
            ("gateway", include_str!(concat!("../../templates/i18n/", $lang, "/gateway.ftl"))),
            ("admin", include_str!(concat!("../../templates/i18n/", $lang, "/admin.ftl"))),
            ("mocksp", include_str!(concat!("../../templates/i18n/", $lang, "/mocksp.ftl"))),
            ("admin-keys", include_str!(concat!("../../templates/i18n/", $lang, "/admin-keys.ftl"))),
        ]
    };
}

/// The catalogs, in the order of [`Lang::index`].
const CATALOGS: [(&str, [(&str, &str); 4]); 2] = [("zh-CN", catalog!("zh-CN")), ("en", catalog!("en"))];

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    /// The BCP 47 tag (`<html lang>`, `Content-Language`).
    pub fn tag(self) -> &'static str {
        CATALOGS[self.index()].0
    }

    fn index(self) -> usize {
        match self {
            Lang::ZhCn => 0,
            Lang::En => 1,
        }
    }

    /// A language tag as the config writes it (`zh-CN`, `zh`, `en`, `en-US`, any case), or None.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::ZhCn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language for an `Accept-Language` header (RFC 9110 §12.5.4): the supported language with
    /// the highest weight (ties: the first listed); `*`, no header or nothing supported → `default`.
    /// Every Chinese tag (`zh`, `zh-CN`, `zh-Hans`, `zh-TW` …) reads the Simplified Chinese pages.
    pub fn negotiate(accept_language: Option<&str>, default: Lang) -> Lang {
        let Some(header) = accept_language else { return default };
        let mut best: Option<(u16, Lang)> = None;
        // A header has a handful of entries; read at most 32 of them.
        for entry in header.split(',').take(32) {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .map(parse_weight)
                .unwrap_or(Some(1000));
            let Some(weight) = weight else { continue };
            if weight == 0 {
                continue;
            }
            let lang = if tag == "*" { Some(default) } else { Lang::parse(tag) };
            if let Some(lang) = lang
                && best.is_none_or(|(w, _)| weight > w)
            {
                best = Some((weight, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or(default)
    }

    /// The message `id` of this language's catalog; the id itself when it is missing (a test keeps
    /// every id used by a page in both catalogs).
    pub fn text(self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` with the named arguments filled in.
    pub fn text_with(self, id: &str, args: &[(&str, &str)]) -> String {
        let mut a = FluentArgs::new();
        for (k, v) in args {
            a.set(*k, *v);
        }
        self.format(id, Some(&a))
    }

    fn format(self, id: &str, args: Option<&FluentArgs>) -> String {
        let bundle = &bundles()[self.index()];
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            tracing::warn!(lang = self.tag(), id, "no such message in the catalog");
            return id.to_owned();
        };
        let mut errors = Vec::new();
        let s = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(lang = self.tag(), id, ?errors, "message formatted with errors");
        }
        s.into_owned()
    }

    /// The ids of every message in this language's catalog (for the tests that keep both alike).
    pub fn message_ids(self) -> Vec<String> {
        let mut ids = Vec::new();
        for (_, source) in CATALOGS[self.index()].1 {
            let res = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(r, _)| r);
            ids.extend(res.entries().filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            }));
        }
        ids
    }
}

/// `0.8` → 800; None for what is not a qvalue (the entry is then ignored).
fn parse_weight(q: &str) -> Option<u16> {
    let q = q.trim();
    let (int, frac) = q.split_once('.').unwrap_or((q, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_val: u16 = format!("{frac:0<3}").parse().ok()?;
    match int {
        "0" => Some(frac_val),
        "1" if frac_val == 0 => Some(1000),
        _ => None,
    }
}

fn bundles() -> &'static [FluentBundle<FluentResource>; 2] {
    static BUNDLES: OnceLock<[FluentBundle<FluentResource>; 2]> = OnceLock::new();
    BUNDLES.get_or_init(|| Lang::ALL.map(bundle))
}

fn bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let (tag, files) = CATALOGS[lang.index()];
    let id: unic_langid::LanguageIdentifier = tag.parse().expect("static language tag");
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // Pages are HTML: no Unicode isolation marks around the arguments.
    b.set_use_isolating(false);
    // The catalogs are compiled in; syntax errors and ids defined twice are caught by the catalog tests.
    for (_, source) in files {
        let res = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(r, _)| r);
        let _ = b.add_resource(res);
    }
    b
}

/// The partner's brand and page settings (config `[ui]`), shared by every page.
#[derive(Debug, Clone)]
pub struct Brand {
    /// In titles and headers (`ui.product_name`, else the partner's name, else "samlgate").
    pub product_name: String,
    /// "Go back to {partner}" in the sentences (`ui.partner_name`); None: "the partner platform".
    pub partner_name: Option<String>,
    /// The logo in the page header (`ui.logo_url`).
    pub logo_url: Option<String>,
    /// Where "back to the partner platform" leads (`ui.partner_home_url`, else the partner's login URL).
    pub partner_home_url: Option<String>,
    /// The language when the browser names none we have.
    pub default_lang: Lang,
    /// Admin pages show times in this zone (`ui.timezone`).
    pub timezone: jiff::tz::TimeZone,
    pub timezone_name: String,
}

impl Default for Brand {
    fn default() -> Self {
        Brand {
            product_name: "samlgate".into(),
            partner_name: None,
            logo_url: None,
            partner_home_url: None,
            default_lang: Lang::En,
            timezone: jiff::tz::TimeZone::UTC,
            timezone_name: "UTC".into(),
        }
    }
}

/// What a template gets: the language of the request and the brand.
#[derive(Debug, Clone)]
pub struct Page {
    pub lang: Lang,
    pub brand: Arc<Brand>,
}

impl Page {
    pub fn new(lang: Lang, brand: Arc<Brand>) -> Page {
        Page { lang, brand }
    }

    /// The page for a request with this `Accept-Language` header.
    pub fn negotiate(accept_language: Option<&str>, brand: Arc<Brand>) -> Page {
        Page { lang: Lang::negotiate(accept_language, brand.default_lang), brand }
    }

    /// `<html lang>`.
    pub fn lang_tag(&self) -> &'static str {
        self.lang.tag()
    }

    /// A message of the page's language.
    pub fn t(&self, id: &str) -> String {
        self.lang.text(id)
    }

    /// A message with one argument.
    pub fn t1(&self, id: &str, name: &str, value: &str) -> String {
        self.lang.text_with(id, &[(name, value)])
    }

    /// A message with two arguments.
    pub fn t2(&self, id: &str, n1: &str, v1: &str, n2: &str, v2: &str) -> String {
        self.lang.text_with(id, &[(n1, v1), (n2, v2)])
    }

    /// A message with the partner's name as `$partner` (or "the partner platform").
    pub fn tp(&self, id: &str) -> String {
        let partner = self.partner();
        self.lang.text_with(id, &[("partner", &partner)])
    }

    /// A message with `$partner` and two more arguments.
    pub fn tp2(&self, id: &str, n1: &str, v1: &str, n2: &str, v2: &str) -> String {
        let partner = self.partner();
        self.lang.text_with(id, &[("partner", &partner), (n1, v1), (n2, v2)])
    }

    /// The partner's name as the sentences use it.
    pub fn partner(&self) -> String {
        self.brand.partner_name.clone().unwrap_or_else(|| self.lang.text("partner-platform"))
    }

    pub fn product_name(&self) -> &str {
        &self.brand.product_name
    }

    pub fn logo_url(&self) -> Option<&str> {
        self.brand.logo_url.as_deref()
    }

    pub fn partner_home(&self) -> Option<&str> {
        self.brand.partner_home_url.as_deref()
    }

    /// The configured time zone's name (`Asia/Shanghai`).
    pub fn timezone_name(&self) -> &str {
        &self.brand.timezone_name
    }

    /// A Unix time as `2026-12-06 21:03:05` in the configured zone (the zone is named beside it).
    pub fn time(&self, unix: i64) -> String {
        format_time(unix, &self.brand.timezone)
    }
}

/// A Unix time as `YYYY-MM-DD HH:MM:SS` in `tz`.
pub fn format_time(unix: i64, tz: &jiff::tz::TimeZone) -> String {
    match jiff::Timestamp::from_second(unix) {
        Ok(ts) => ts.to_zoned_datetime(tz.clone()).strftime("%Y-%m-%d %H:%M:%S").to_string(),
        Err(_) => unix.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn both_catalogs_parse_and_hold_the_same_messages() {
        for (tag, files) in CATALOGS {
            for (file, source) in files {
                if let Err((_, errors)) = FluentResource::try_new(source.to_owned()) {
                    panic!("catalog {tag}/{file}.ftl has syntax errors: {errors:?}");
                }
            }
        }
        for lang in Lang::ALL {
            let ids = lang.message_ids();
            let unique: BTreeSet<&String> = ids.iter().collect();
            assert_eq!(unique.len(), ids.len(), "a message id is defined twice in catalog {}", lang.tag());
        }
        let zh: BTreeSet<String> = Lang::ZhCn.message_ids().into_iter().collect();
        let en: BTreeSet<String> = Lang::En.message_ids().into_iter().collect();
        assert!(zh.len() > 20, "catalog zh-CN is nearly empty");
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(only_zh.is_empty() && only_en.is_empty(), "only in zh-CN: {only_zh:?}; only in en: {only_en:?}");
    }

    #[test]
    fn every_message_a_page_asks_for_is_in_the_catalogs() {
        // Every `t("id")`, `t1("id"`, `t2("id"`, `tp("id")` and `text("id"` in the templates and the source.
        let ids: BTreeSet<String> = Lang::En.message_ids().into_iter().collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut missing = Vec::new();
        let mut seen = 0;
        for dir in ["templates", "src"] {
            for file in walk(&root.join(dir)) {
                let text = std::fs::read_to_string(&file).unwrap_or_default();
                for needle in [".t(\"", ".t1(\"", ".t2(\"", ".tp(\"", ".tp2(\"", "text(\"", "text_with(\""] {
                    for (at, _) in text.match_indices(needle) {
                        let rest = &text[at + needle.len()..];
                        let id: String =
                            rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
                        // Message ids are lower-case words joined by `-` (this skips other `text("…")` calls).
                        let looks_like_id = id.contains('-')
                            && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                        if !looks_like_id || file.ends_with("i18n.rs") && id.starts_with("no-such") {
                            continue;
                        }
                        seen += 1;
                        if !ids.contains(&id) {
                            missing.push(format!("{}: {id}", file.strip_prefix(root).unwrap_or(&file).display()));
                        }
                    }
                }
            }
        }
        assert!(seen > 20, "the scan found only {seen} lookups");
        assert!(missing.is_empty(), "messages missing from the catalogs: {missing:#?}");
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if p.extension().is_some_and(|x| x == "html" || x == "rs") {
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        let cases = [
            (None, Lang::En, Lang::En),
            (None, Lang::ZhCn, Lang::ZhCn),
            (Some("zh-CN"), Lang::En, Lang::ZhCn),
            (Some("zh-CN,zh;q=0.9,en;q=0.8"), Lang::En, Lang::ZhCn),
            (Some("en-US,en;q=0.9,zh-CN;q=0.8"), Lang::ZhCn, Lang::En),
            (Some("fr-FR, de;q=0.9"), Lang::ZhCn, Lang::ZhCn),
            (Some("fr;q=1, en;q=0.5, zh;q=0.6"), Lang::En, Lang::ZhCn),
            (Some("zh-TW"), Lang::En, Lang::ZhCn),
            (Some("en;q=0, zh;q=0.1"), Lang::En, Lang::ZhCn),
            (Some("en;q=0"), Lang::ZhCn, Lang::ZhCn),
            (Some("*"), Lang::ZhCn, Lang::ZhCn),
            (Some("en;q=2, zh;q=0.5"), Lang::En, Lang::ZhCn),
            (Some("EN-gb"), Lang::ZhCn, Lang::En),
            (Some(""), Lang::En, Lang::En),
            (Some(";;;,,,q=,"), Lang::ZhCn, Lang::ZhCn),
        ];
        for (header, default, want) in cases {
            assert_eq!(Lang::negotiate(header, default), want, "{header:?} with default {default:?}");
        }
    }

    #[test]
    fn messages_take_their_arguments_and_a_missing_id_shows_itself() {
        assert_eq!(Lang::En.text("no-such-message"), "no-such-message");
        let page = Page::new(Lang::ZhCn, Arc::new(Brand::default()));
        assert_eq!(page.partner(), Lang::ZhCn.text("partner-platform"));
        let brand = Brand { partner_name: Some("Acme <Cloud>".into()), ..Brand::default() };
        let page = Page::new(Lang::En, Arc::new(brand));
        assert!(page.tp("refusal-link-expired-what").contains("Acme <Cloud>"));
    }

    #[test]
    fn times_are_shown_in_the_configured_zone() {
        let sh = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
        assert_eq!(format_time(0, &sh), "1970-01-01 08:00:00");
        assert_eq!(format_time(0, &jiff::tz::TimeZone::UTC), "1970-01-01 00:00:00");
    }
}
