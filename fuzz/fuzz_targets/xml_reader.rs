//! The one strict XML reader, and exclusive canonicalization of whatever it accepts.
#![no_main]
use libfuzzer_sys::fuzz_target;
use samlgate::saml::{verify, xml};

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = xml::parse(data, &xml::ReadLimits::default()) {
        let mut out = Vec::new();
        verify::exc_c14n(&doc.root, &mut out, None);
        // Canonical output must itself be readable by the reader.
        assert!(xml::parse(&out, &xml::ReadLimits { max_bytes: usize::MAX, ..Default::default() }).is_ok());
        let _ = doc.root.text();
    }
});
