//! The Redirect binding from the raw query string to a parsed AuthnRequest/LogoutRequest.
#![no_main]
use libfuzzer_sys::fuzz_target;
use samlgate::saml::{redirect, request};

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else { return };
    if let Ok(q) = redirect::parse_redirect_query(query) {
        let _ = q.signed_octets();
        let _ = q.relay_state();
        if let Ok(xml) = q.decode_message(redirect::DEFAULT_MAX_INFLATED) {
            let _ = request::parse_authn_request(&xml);
            let _ = request::parse_logout_request(&xml);
        }
    }
    // The message itself, as bytes that were already inflated.
    let _ = request::parse_authn_request(data);
});
