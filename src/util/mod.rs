//! Small helpers every room may use: the clock, certificate fingerprints, the one atomic file write
//! ([`fs`]) and the URL policies ([`url`]).

pub mod fs;
pub mod i18n;
pub mod net;
pub mod url;

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Milliseconds since the Unix epoch (0 for a clock before it).
pub fn now_unix_millis() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// The bytes of standard base64 (A-Z a-z 0-9 + / =), as a table.
const BASE64_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=';
        i += 1;
    }
    t
};

/// Whether `s` holds only the characters of standard base64 (not whether it decodes). Without a
/// branch per byte: the auto-post form checks a ≈ 9 KB message on every SSO hop.
pub fn is_base64_text(s: &str) -> bool {
    s.bytes().fold(true, |ok, b| ok & BASE64_BYTES[b as usize])
}

/// SHA-256 of a DER certificate.
pub fn sha256_fingerprint(der: &[u8]) -> [u8; 32] {
    openssl::sha::sha256(der)
}

/// `70:14:9F:…` — upper-case hex pairs joined by `:`, as `openssl x509 -fingerprint` prints them.
pub fn fingerprint_hex(fp: &[u8]) -> String {
    let mut s = String::with_capacity(fp.len() * 3);
    for (i, b) in fp.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{b:02X}"));
    }
    s
}

/// Parses a SHA-256 fingerprint written as 64 hex digits, with or without `:` between the pairs
/// (either case). `None` for anything else.
pub fn parse_fingerprint(s: &str) -> Option<[u8; 32]> {
    let compact: String = s.trim().chars().filter(|c| *c != ':').collect();
    if compact.len() != 64 {
        return None;
    }
    let bytes = hex::decode(&compact).ok()?;
    bytes.try_into().ok()
}

/// Resolves when Ctrl-C or SIGTERM arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing open requests");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_round_trip() {
        let fp = sha256_fingerprint(b"x");
        let text = fingerprint_hex(&fp);
        assert_eq!(text.len(), 95);
        assert_eq!(parse_fingerprint(&text), Some(fp));
        assert_eq!(parse_fingerprint(&text.replace(':', "").to_lowercase()), Some(fp));
        assert_eq!(parse_fingerprint("ab:cd"), None);
        assert_eq!(parse_fingerprint(&"zz".repeat(32)), None);
    }
}
