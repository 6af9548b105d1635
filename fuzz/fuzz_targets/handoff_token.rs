//! Hand-off tokens from the partner platform.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    let _ = samlgate::handoff::verify("0123456789abcdef0123456789abcdef", token, 1_800_000_000, 120, 30);
});
