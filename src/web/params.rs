//! Query-string and form parsing, the same for every endpoint (and for the mock SP): only the
//! parameters an endpoint knows are kept, a repeated one is refused (parameter pollution), and the
//! size is capped.

use std::collections::HashMap;

use axum::http::StatusCode;

use super::Refusal;

/// Longest query string accepted on any endpoint.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;

/// The refusal for a query string over [`MAX_QUERY_BYTES`] (414).
pub fn query_too_long() -> Refusal {
    Refusal::new(StatusCode::URI_TOO_LONG, "too_large", "the query string is too long")
}

/// Checks the length of a raw query string.
pub fn check_query_len(raw: &str) -> Result<(), Refusal> {
    if raw.len() > MAX_QUERY_BYTES { Err(query_too_long()) } else { Ok(()) }
}

/// Decodes a query string into the `known` parameters, refusing duplicates of any of them and
/// oversized input. Unknown parameters are ignored.
pub fn query_params(raw: &str, known: &[&str]) -> Result<HashMap<String, String>, Refusal> {
    check_query_len(raw)?;
    unique_params(raw, known)
}

fn unique_params(raw: &str, known: &[&str]) -> Result<HashMap<String, String>, Refusal> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
        if let Some(name) = known.iter().find(|n| **n == k)
            && out.insert((*name).to_owned(), v.into_owned()).is_some()
        {
            return Err(Refusal::bad_request(
                "duplicate_parameter",
                format!("parameter `{name}` appears more than once"),
            ));
        }
    }
    Ok(out)
}

/// Decodes an `application/x-www-form-urlencoded` body into the `known` fields, refusing duplicates.
pub fn form_fields(body: &[u8], known: &[&str]) -> Result<HashMap<String, String>, Refusal> {
    match std::str::from_utf8(body) {
        Ok(s) => unique_params(s, known),
        Err(_) => Err(Refusal::bad_request("bad_encoding", "the form body is not UTF-8")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_of_known_parameters_are_refused_unknown_ones_ignored() {
        let q = query_params("a=1&b=2&x=3&x=4", &["a", "b"]).unwrap();
        assert_eq!((q["a"].as_str(), q["b"].as_str(), q.get("x")), ("1", "2", None));
        assert_eq!(query_params("a=1&a=1", &["a"]).unwrap_err().reason, "duplicate_parameter");
        let long = "a=".to_owned() + &"x".repeat(MAX_QUERY_BYTES);
        assert_eq!(query_params(&long, &["a"]).unwrap_err().status, StatusCode::URI_TOO_LONG);
        assert_eq!(form_fields(&[0xff, b'='], &["a"]).unwrap_err().reason, "bad_encoding");
    }
}
