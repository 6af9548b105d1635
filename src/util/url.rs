//! The URL policies, one per kind of URL, each named for what it guards:
//!
//! * [`metadata_endpoint`] — endpoints read from SP metadata (where assertions and logout answers go);
//! * [`redirect_target`] — URLs from the config or the admin pages that a browser is sent to (return
//!   URLs, the partner login page, the auth base URL);
//! * [`console_target`] — the `service` a customer goes to in the Huawei console (an allowlist of hosts,
//!   given by `huawei`);
//! * [`same_endpoint`] — whether a `return_to` is this gateway's own endpoint;
//! * [`peer_url`] — the looser rule of the local mock SP for its own and its peer's URLs (tests only).

/// Longest URL accepted by [`redirect_target`].
pub const MAX_URL_LEN: usize = 2048;

/// **An endpoint of SP metadata** (ACS, SLO Location/ResponseLocation): absolute https (http only with
/// `allow_http`, for local trials), ASCII, no userinfo, no fragment, no whitespace or backslash.
/// Returns the reason when it is refused. The URL is recorded exactly as written (ACS matching is
/// byte-for-byte), so it is only checked here, never rewritten.
pub fn metadata_endpoint(value: &str, allow_http: bool) -> Result<(), String> {
    if value.is_empty() {
        return Err("empty".into());
    }
    if let Some(c) = value.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("contains whitespace or a control character (U+{:04X})", c as u32));
    }
    if value.contains('\\') {
        return Err("contains a backslash".into());
    }
    if !value.is_ascii() {
        return Err("contains non-ASCII characters (use percent-encoding / punycode)".into());
    }
    let scheme_end = value.find(':').ok_or("not an absolute URL (no scheme)")?;
    let scheme = value[..scheme_end].to_ascii_lowercase();
    let allowed = scheme == "https" || (allow_http && scheme == "http");
    if !allowed {
        return Err(if allow_http {
            format!("scheme `{scheme}` is not allowed (only https or http)")
        } else {
            format!("scheme `{scheme}` is not allowed (only https)")
        });
    }
    if !value[scheme_end..].starts_with("://") {
        return Err("not an absolute URL (expected `scheme://host/…`)".into());
    }
    let url = url::Url::parse(value).map_err(|e| format!("not a valid absolute URL: {e}"))?;
    if !url.username().is_empty()
        || url.password().is_some()
        || value[scheme_end + 3..].split(['/', '?', '#']).next().is_some_and(|a| a.contains('@'))
    {
        return Err("contains userinfo (`user@host`)".into());
    }
    match url.host_str() {
        Some(h) if !h.is_empty() => {}
        _ => return Err("has no host".into()),
    }
    if url.fragment().is_some() {
        return Err("has a fragment (`#…`)".into());
    }
    Ok(())
}

/// **A URL a browser is sent to** from the config or the admin pages: https, or http only on a
/// loopback host when `allow_loopback_http` (local trials); at most [`MAX_URL_LEN`]; no credentials,
/// no backslashes, whitespace or control characters (so no `javascript:`, `data:`, relative or
/// scheme-relative URLs). Returns the parsed URL, or the reason.
pub fn redirect_target(u: &str, allow_loopback_http: bool) -> Result<url::Url, String> {
    if u.len() > MAX_URL_LEN {
        return Err(format!("must be at most {MAX_URL_LEN} characters"));
    }
    if u.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
        return Err("must not contain whitespace, control characters or backslashes".into());
    }
    let parsed = url::Url::parse(u).map_err(|e| format!("`{u}` is not an absolute URL ({e})"))?;
    let host = parsed.host_str().unwrap_or("");
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]");
    match parsed.scheme() {
        "https" => {}
        "http" if allow_loopback_http && loopback => {}
        "http" => return Err(format!("`{u}` must use https (http only for 127.0.0.1/localhost)")),
        other => return Err(format!("scheme `{other}` is not allowed; use https")),
    }
    if host.is_empty() {
        return Err("must name a host".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not carry credentials (user@ or user:password@)".into());
    }
    Ok(parsed)
}

/// Why [`console_target`] refused a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleTargetError {
    Unparsable,
    NotHttps,
    /// Credentials, a port, a backslash, whitespace, or raw text that does not start with the host the
    /// parser saw.
    Suspicious,
    HostNotAllowed(String),
}

/// The host of `u` as the URL parser reads it (lowercase, punycode); empty when `u` is not a URL
/// with a host.
pub fn host_of(u: &str) -> String {
    url::Url::parse(u).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default()
}

/// **A console page a customer is sent to**: `https://<one of allowed_hosts>/…` without userinfo or
/// port, and the raw text must start with exactly the scheme and host the parser saw (this refuses
/// `https:/\host`, `https://host.evil`, `https://evil@host` style confusions outright).
pub fn console_target(u: &str, allowed_hosts: &[&str]) -> Result<(), ConsoleTargetError> {
    if u.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control()) {
        return Err(ConsoleTargetError::Suspicious);
    }
    let parsed = url::Url::parse(u).map_err(|_| ConsoleTargetError::Unparsable)?;
    if parsed.scheme() != "https" {
        return Err(ConsoleTargetError::NotHttps);
    }
    if !parsed.username().is_empty() || parsed.password().is_some() || parsed.port().is_some() {
        return Err(ConsoleTargetError::Suspicious);
    }
    let host = parsed.host_str().unwrap_or("");
    if !allowed_hosts.contains(&host) {
        return Err(ConsoleTargetError::HostNotAllowed(host.to_owned()));
    }
    let prefix = format!("https://{host}");
    // The parser maps some characters of the host (fullwidth letters, say) to ASCII: the raw text
    // is then longer than the prefix it must start with, and a byte offset may fall inside a character.
    let Some(rest) = u.get(prefix.len()..) else { return Err(ConsoleTargetError::Suspicious) };
    if !u.to_ascii_lowercase().starts_with(&prefix) || !(rest.is_empty() || rest.starts_with(['/', '?', '#'])) {
        return Err(ConsoleTargetError::Suspicious);
    }
    Ok(())
}

/// **Is `candidate` our own endpoint `ours`?** Same scheme, host, port and path; no credentials, no
/// fragment, no backslash (the query may differ: it carries the pending request).
pub fn same_endpoint(candidate: &str, ours: &str) -> bool {
    // The raw text first: the URL parser silently drops TAB, CR and LF, which a Location header
    // cannot carry.
    if candidate.len() > MAX_URL_LEN || candidate.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    match (url::Url::parse(candidate), url::Url::parse(ours)) {
        (Ok(a), Ok(b)) => {
            a.scheme() == b.scheme()
                && a.host_str() == b.host_str()
                && a.port_or_known_default() == b.port_or_known_default()
                && a.path() == b.path()
                && a.username().is_empty()
                && a.password().is_none()
                && a.fragment().is_none()
                && !candidate.contains('\\')
        }
        _ => false,
    }
}

/// **The local mock SP's URLs** (its base URL, the IdP endpoints it reads, its notify URL): an absolute
/// http(s) URL with a host and no credentials. Never used for production redirects.
pub fn peer_url(u: &str) -> Result<(), String> {
    let parsed = url::Url::parse(u).map_err(|e| format!("`{u}` is not an absolute URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!("`{u}` is not an http(s) URL with a host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!("`{u}` carries credentials"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_target_survives_hosts_the_parser_rewrites() {
        let hosts = ["console.huaweicloud.com"];
        assert!(console_target("https://console.huaweicloud.com/ecm/", &hosts).is_ok());
        // A fullwidth last letter: the parser maps it to `m`, the raw text is two bytes longer.
        for u in [
            "https://console.huaweicloud.co\u{ff4d}/",
            "https://console.huaweicloud.co\u{ff4d}",
            "https://CONSOLE.huaweicloud.co\u{ff4d}?x",
        ] {
            assert!(matches!(console_target(u, &hosts), Err(ConsoleTargetError::Suspicious)), "{u}");
        }
    }

    #[test]
    fn metadata_endpoint_rules() {
        for ok in [
            "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer",
            "https://sp.example.com:8443/acs?tenant=1",
            "HTTPS://sp.example.com/acs",
        ] {
            assert_eq!(metadata_endpoint(ok, false), Ok(()), "{ok}");
        }
        assert_eq!(metadata_endpoint("http://127.0.0.1:9000/acs", true), Ok(()));
        for (bad, why) in [
            ("http://sp.example.com/acs", "scheme `http`"),
            ("javascript:alert(1)", "scheme `javascript`"),
            ("data:text/html,<script>", "scheme `data`"),
            ("data:text/html;base64,PHNjcmlwdD4=", "scheme `data`"),
            ("file:///etc/passwd", "scheme `file`"),
            ("ftp://x/acs", "scheme `ftp`"),
            ("https://user@evil.com/acs", "userinfo"),
            ("https://good.com:x@evil.com/acs", "userinfo"),
            ("https://good.com\\@evil.com/acs", "backslash"),
            ("https://sp.example.com/a cs", "whitespace"),
            ("https://sp.example.com/acs\t", "whitespace"),
            ("https://sp.example.com/acs#frag", "fragment"),
            ("/relative/acs", "no scheme"),
            ("https:/sp.example.com/acs", "absolute"),
            ("https://sp.exämple.com/acs", "non-ASCII"),
            ("", "empty"),
        ] {
            let e = metadata_endpoint(bad, false).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert!(metadata_endpoint("javascript:alert(1)", true).unwrap_err().contains("javascript"));
    }

    #[test]
    fn same_endpoint_rules() {
        let ours = "https://sso.example/saml/sso";
        assert!(same_endpoint("https://sso.example/saml/sso?SAMLRequest=x", ours));
        assert!(same_endpoint("https://sso.example:443/saml/sso", ours));
        for bad in [
            "https://sso.example/saml/sso#x",
            "https://u@sso.example/saml/sso",
            "https://sso.example.evil/saml/sso",
            "http://sso.example/saml/sso",
            "https://sso.example/saml/slo",
            "https://sso.example\\@evil/saml/sso",
            "https://sso.example/saml/sso?SAMLRequest=x\r\nSet-Cookie:a=b",
            "https://sso.example/saml/\tsso",
        ] {
            assert!(!same_endpoint(bad, ours), "{bad}");
        }
    }
}
