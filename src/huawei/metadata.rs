//! Huawei's SP metadata as shipped with samlgate, and the certificate pinned to verify its signature.

use crate::config::HuaweiConfig;

/// Huawei's SP metadata, byte for byte as Huawei publishes it at
/// `https://auth.huaweicloud.com/authui/saml/metadata.xml` (signed), shipped as the default
/// `huawei.sp_metadata` of a production config.
pub const BUNDLED_SP_METADATA: &str = include_str!("../../metadata/huawei-sp-metadata.xml");

/// SHA-256 fingerprint of the certificate that signs Huawei's SP metadata (CN=auth.huaweicloud.com,
/// RSA-4096, valid 2018-06-21 → 2028-06-18): pinned from the bundled copy, so a fetched or imported
/// copy of Huawei's metadata is trusted only when this certificate signed it. After Huawei's
/// rollover, add the new certificate's fingerprint to `huawei.sp_metadata_signers`.
pub const METADATA_SIGNER_SHA256: [u8; 32] = [
    0x70, 0x14, 0x9F, 0xC1, 0xF6, 0x03, 0x92, 0x44, 0x2D, 0x3F, 0x7E, 0xD0, 0x9D, 0xDE, 0x1C, 0x88, 0x1B, 0xA6, 0xD0,
    0x08, 0xA6, 0xAB, 0x3E, 0xB0, 0xF7, 0x69, 0x9B, 0x3D, 0x02, 0xCC, 0x79, 0x3E,
];

/// The certificates trusted to sign SP metadata: Huawei's pinned one and `huawei.sp_metadata_signers`.
pub fn trusted_metadata_signers(cfg: &HuaweiConfig) -> Vec<[u8; 32]> {
    let mut out = vec![METADATA_SIGNER_SHA256];
    out.extend(cfg.sp_metadata_signers.iter().filter_map(|f| crate::util::parse_fingerprint(f)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::metadata::{MetadataError, MetadataSignature, SpParseOptions, parse_sp_metadata};

    fn opts(trusted: Vec<[u8; 32]>) -> SpParseOptions {
        // 2026-12-01: Huawei's certificate is valid until 2028-06-18.
        SpParseOptions { now_unix: 1_796_083_200, trusted_signers: trusted, ..SpParseOptions::default() }
    }

    #[test]
    fn bundled_metadata_is_huaweis_signed_file() {
        let md = parse_sp_metadata(BUNDLED_SP_METADATA.as_bytes(), &opts(vec![METADATA_SIGNER_SHA256])).unwrap();
        assert_eq!(md.entity_id, super::super::CN_SP_ENTITY_ID);
        let MetadataSignature::Verified { algorithm, digest, signer_sha256, signer, .. } = &md.signature else {
            panic!("not verified: {:?}", md.signature);
        };
        assert_eq!(algorithm, crate::saml::dsig::RSA_SHA256);
        assert_eq!(digest, "http://www.w3.org/2000/09/xmldsig#sha1");
        assert!(signer_sha256.starts_with("70:14:9F:C1"), "{signer_sha256}");
        assert!(signer.contains("auth.huaweicloud.com"), "{signer}");
        // The pin is the fingerprint of the certificate the metadata publishes.
        assert!(md.signing_certs.iter().any(|d| crate::util::sha256_fingerprint(d) == METADATA_SIGNER_SHA256));
        let cert = crate::saml::metadata::cert_summary(&md.signing_certs[0], 1_796_083_200).unwrap();
        assert_eq!(cert.key, "RSA 4096");
        assert!(cert.not_after.contains("2028"), "{}", cert.not_after);
    }

    #[test]
    fn tampered_or_untrusted_metadata_is_refused() {
        // One byte inside the signed part: the Location of the ACS.
        let tampered = BUNDLED_SP_METADATA.replacen("SAMLAssertionConsumer\"", "SAMLAssertionConsumeR\"", 1);
        assert_ne!(tampered, BUNDLED_SP_METADATA);
        let e = parse_sp_metadata(tampered.as_bytes(), &opts(vec![METADATA_SIGNER_SHA256])).unwrap_err();
        assert_eq!(e.reason(), "digest_mismatch", "{e}");
        assert!(e.to_string().contains("signature"), "{e}");
        // Signed by a certificate nobody pinned: refused, naming its fingerprint.
        let e = parse_sp_metadata(BUNDLED_SP_METADATA.as_bytes(), &opts(vec![])).unwrap_err();
        assert!(matches!(e, MetadataError::UntrustedSigner { .. }), "{e}");
        assert!(e.to_string().contains("70:14:9F:C1"), "{e}");
        // SHA-1 digests are accepted for metadata only: the same digest in a request is refused.
        let policy = crate::saml::verify::VerifyPolicy::default();
        assert!(!policy.allow_sha1 && !policy.allow_sha1_digest);
    }
}
