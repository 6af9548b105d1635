//! What every page shares: the request's language and the partner's brand ([`Page`], a request
//! extension set by [`super::error::around_request`]), the one stylesheet (`/assets/samlgate.css`,
//! with `ui.accent_color`), the strict Content-Security-Policy the pages satisfy, and the landing
//! page at `/`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Router};

use super::{Answer, AppState, Internal};
pub use crate::util::i18n::Page;
use crate::util::i18n::{Brand, Lang};

/// The stylesheet of every gateway page.
const STYLESHEET: &str = include_str!("../../templates/assets/samlgate.css");

/// The brand, stylesheet and CSP of one gateway, built once from its config.
#[derive(Debug, Clone)]
pub struct Ui {
    pub brand: Arc<Brand>,
    css: Arc<str>,
    /// `img-src` sources: ours, data: URLs and the logo's origin.
    img_src: String,
}

impl Default for Ui {
    fn default() -> Self {
        Ui::new(Brand::default(), crate::config::DEFAULT_ACCENT_COLOR)
    }
}

impl Ui {
    pub fn new(brand: Brand, accent: &str) -> Ui {
        let mut img_src = "'self' data:".to_owned();
        if let Some(origin) = brand.logo_url.as_deref().and_then(logo_origin) {
            img_src.push(' ');
            img_src.push_str(&origin);
        }
        // `accent` is validated as #rrggbb with the config.
        let css = format!(":root {{ --accent: {accent}; }}\n{STYLESHEET}");
        Ui { brand: Arc::new(brand), css: css.into(), img_src }
    }

    pub fn from_config(c: &crate::config::Config) -> Ui {
        Ui::new(c.brand(), c.accent_color())
    }

    /// The Content-Security-Policy of the pages (the auto-post page adds its script nonce).
    pub fn csp(&self, script_nonce: Option<&str>) -> String {
        let script = match script_nonce {
            Some(n) => format!("script-src 'nonce-{n}'; "),
            None => String::new(),
        };
        format!(
            "default-src 'none'; {script}style-src 'self'; img-src {}; base-uri 'none'; frame-ancestors 'none'",
            self.img_src
        )
    }

    /// The page for a request: its `Accept-Language`, else the configured default.
    pub fn page(&self, headers: &HeaderMap) -> Page {
        let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        Page::new(Lang::negotiate(accept, self.brand.default_lang), self.brand.clone())
    }
}

/// `https://cdn.partner.example` for an absolute logo URL (paths and data: URLs need none).
fn logo_origin(u: &str) -> Option<String> {
    let url = url::Url::parse(u).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    Some(url.origin().ascii_serialization())
}

/// An HTML page in the request's language, not cached (pages carry per-customer state).
pub fn html_page(page: &Page, html: String) -> Response {
    let mut r = Html(html).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(page.lang.tag()));
    r.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    r
}

/// Renders a template as a page (see [`html_page`]).
pub fn render<T: askama::Template>(page: &Page, tpl: &T) -> Answer {
    Ok(html_page(page, tpl.render().map_err(Internal::from)?))
}

/// `GET /assets/samlgate.css`.
async fn stylesheet(State(state): State<AppState>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        state.ui.css.to_string(),
    )
        .into_response()
}

#[derive(askama::Template)]
#[template(path = "landing.html")]
struct LandingPage<'a> {
    t: &'a Page,
}

/// `GET /`: the product name and the way to the partner platform.
async fn landing(Extension(t): Extension<Page>) -> Answer {
    render(&t, &LandingPage { t: &t })
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/", axum::routing::get(landing)).route("/assets/samlgate.css", axum::routing::get(stylesheet))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csp_names_the_logo_origin_and_nothing_else_outside() {
        let brand =
            Brand { logo_url: Some("https://cdn.partner.example:8443/img/logo.png?v=2".into()), ..Brand::default() };
        let ui = Ui::new(brand, "#123456");
        assert_eq!(
            ui.csp(None),
            "default-src 'none'; style-src 'self'; img-src 'self' data: https://cdn.partner.example:8443; \
             base-uri 'none'; frame-ancestors 'none'"
        );
        assert!(ui.csp(Some("abc")).contains("script-src 'nonce-abc'; "));
        assert!(ui.css.starts_with(":root { --accent: #123456; }"));
        let brand = Brand { logo_url: Some("/static/logo.svg".into()), ..Brand::default() };
        assert!(Ui::new(brand, "#123456").csp(None).contains("img-src 'self' data:;"));
    }
}
