#!/usr/bin/env bash
# Regenerates pysaml2-response.xml and pysaml2-idp.crt (the PUBLIC cert only; the throwaway IdP key is
# deleted with the temp dir). The interop harness plays both sides: python3-saml issues a signed
# AuthnRequest, the throwaway pysaml2 IdP (tests/interop/selftest_idp.py) answers with a Response whose
# Assertion is signed (rsa-sha256, sha256 digest). tests/verify.rs verifies it with samlgate's verifier.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
out="$repo/tests/data/verify"
PY="${SAMLGATE_VENV:-$repo/.venv}/bin/python"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
"$PY" "$repo/tests/interop/huawei_sp.py" gen-sp --out "$T/sp" >/dev/null
"$PY" "$repo/tests/interop/selftest_idp.py" gen --out "$T/idp" --sp-metadata "$T/sp/sp-metadata.xml" >/dev/null
"$PY" "$repo/tests/interop/huawei_sp.py" authn-request --sp-dir "$T/sp" --idp-metadata "$T/idp/idp-metadata.xml" \
    --relay-state x >"$T/ar.json"
url="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$T/ar.json")"
"$PY" "$repo/tests/interop/selftest_idp.py" respond --idp-dir "$T/idp" --url "$url" --user cust-42 \
    --attr xUserId=cust-42 --attr 'name=Alice & <Bob>' --attr email=a@example.com >"$T/resp.json"
"$PY" -c 'import json,sys; open(sys.argv[2], "w").write(json.load(open(sys.argv[1]))["xml"])' \
    "$T/resp.json" "$out/pysaml2-response.xml"
cp "$T/idp/idp.crt" "$out/pysaml2-idp.crt"
xmlsec1 --verify --enabled-key-data key-name --pubkey-cert-pem "$out/pysaml2-idp.crt" \
    --id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion "$out/pysaml2-response.xml"
