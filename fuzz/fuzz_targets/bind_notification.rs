//! Huawei's binding notification: the raw form body, the signed octets, and the base64 JSON payload.
#![no_main]
use libfuzzer_sys::fuzz_target;
use samlgate::huawei::bind::{bind_signed_octets, decode_bind_request};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else { return };
    if let Ok(form) = bind_signed_octets(body) {
        assert!(form.signed_octets.starts_with("bindRequest="));
        if let Ok(b64) = samlgate::saml::redirect::form_decode(form.bind_request_raw, "bindRequest") {
            let _ = decode_bind_request(&b64);
        }
    }
    let _ = decode_bind_request(body);
});
