//! SP metadata import (what an admin uploads or a URL serves), signature check included (Huawei's
//! metadata-signing certificate is trusted, as in a real gateway).
#![no_main]
use libfuzzer_sys::fuzz_target;
use samlgate::saml::metadata::{SpParseOptions, parse_sp_metadata};

fuzz_target!(|data: &[u8]| {
    let opts = SpParseOptions {
        allow_http: true,
        now_unix: 1_800_000_000,
        max_bytes: 512 * 1024,
        trusted_signers: vec![samlgate::huawei::METADATA_SIGNER_SHA256],
    };
    let _ = parse_sp_metadata(data, &opts);
});
