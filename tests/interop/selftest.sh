#!/usr/bin/env bash
# Proves the interop harness (huawei_sp.py) works WITHOUT samlgate: a throwaway pysaml2 IdP
# (selftest_idp.py) answers the harness's AuthnRequests, and every verifier must accept the good
# messages and refuse the tampered ones. Ends with "N passed, N failed"; exit 1 on any failure.
# Usage: tests/interop/selftest.sh   (runs scripts/setup-interop first unless SAMLGATE_VENV is set up)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
PY="$("$repo/scripts/setup-interop" | tail -n1)"
SP="$PY $here/huawei_sp.py"
IDP="$PY $here/selftest_idp.py"
T="$(mktemp -d "${TMPDIR:-/tmp}/samlgate-interop-selftest.XXXXXX")"
trap 'rm -rf "$T"' EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); printf 'ok    %s\n' "$1"; }
bad() { fail=$((fail + 1)); printf 'FAIL  %s\n' "$1"; [[ -f "$T/last" ]] && sed 's/^/      | /' "$T/last" | head -c 2000 && echo; }
# expect_ok NAME CMD...   : CMD must exit 0 (its stdout kept in $T/out)
expect_ok() { local n="$1"; shift; if "$@" >"$T/out" 2>"$T/last"; then ok "$n"; else cat "$T/out" >>"$T/last"; bad "$n"; fi; }
# expect_fail NAME CMD... : CMD must exit non-zero
expect_fail() {
    local n="$1"; shift
    if "$@" >"$T/out" 2>"$T/last"; then cat "$T/out" >>"$T/last"; bad "$n (was accepted)"; else
        ok "$n -> refused: $(head -c 160 "$T/out" | tr '\n' ' ')"
    fi
}
jget() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
xmlsec_verify() {
    xmlsec1 --verify --enabled-key-data key-name --pubkey-cert-pem "$1" \
        --id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion "$2"
}
b64file() { "$PY" -c 'import base64,sys; print(base64.b64encode(open(sys.argv[1],"rb").read()).decode())' "$1"; }

echo "== setup: SP (python3-saml) and throwaway IdP (pysaml2) in $T"
expect_ok "gen-sp writes key, cert, python3-saml SP metadata" $SP gen-sp --out "$T/sp"
for f in sp.key sp.crt sp-metadata.xml; do [[ -s "$T/sp/$f" ]] || bad "missing $f"; done
grep -q 'AuthnRequestsSigned="true" WantAssertionsSigned="true"' "$T/sp/sp-metadata.xml" &&
    grep -q 'ResponseLocation="https://auth.huaweicloud.com/authui/saml/LogoutServiceHTTPRedirectResponse"' "$T/sp/sp-metadata.xml" &&
    grep -q 'entityID="https://auth.huaweicloud.com/"' "$T/sp/sp-metadata.xml" &&
    ok "SP metadata: entityID, AuthnRequestsSigned, WantAssertionsSigned, SLO ResponseLocation" ||
    bad "SP metadata content"
expect_ok "pysaml2 IdP generated (loads the SP metadata)" $IDP gen --out "$T/idp" --sp-metadata "$T/sp/sp-metadata.xml"
expect_ok "second pysaml2 IdP with the same entityID but another key" \
    $IDP gen --out "$T/idp2" --sp-metadata "$T/sp/sp-metadata.xml"
IDPMD="$T/idp/idp-metadata.xml"

echo "== SSO: AuthnRequest (python3-saml, Redirect, signed) -> pysaml2 IdP -> consume"
RS='https://console.huaweicloud.com/iam/?a=1&b="><script>x'
$SP authn-request --sp-dir "$T/sp" --idp-metadata "$IDPMD" --relay-state "$RS" >"$T/ar.json"
URL="$(jget "$T/ar.json" url)"
case "$URL" in https://idp.selftest.invalid/saml/sso\?SAMLRequest=*RelayState=*Signature=*SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256)
    ok "authn-request URL: SSO Location + SAMLRequest, RelayState, Signature, SigAlg=rsa-sha256" ;;
*) bad "authn-request URL shape: $URL" ;; esac
expect_ok "pysaml2 IdP verifies the Redirect signature and answers (sign_assertion=True)" \
    $IDP respond --idp-dir "$T/idp" --url "$URL" --user cust-42 \
    --attr xUserId=cust-42 --attr name=Alice_Test --attr mobile=0086-13900000000 --attr email=a@example.com
cp "$T/out" "$T/resp.json"
RID="$(jget "$T/ar.json" request_id)"
[[ "$(jget "$T/resp.json" request_id)" == "$RID" ]] && ok "IdP saw the same request ID" || bad "request ID mismatch"
"$PY" -c 'import json,sys; open(sys.argv[2],"w").write(json.load(open(sys.argv[1]))["xml"])' "$T/resp.json" "$T/resp.xml"
B64="$(jget "$T/resp.json" saml_response)"

expect_ok "consume (python3-saml strict + pysaml2) accepts the good response" \
    $SP consume --sp-dir "$T/sp" --idp-metadata "$IDPMD" --request-id "$RID" --saml-response "$B64" --relay-state "$RS"
cp "$T/out" "$T/consume.json"
echo "      consume output: $(cat "$T/consume.json")"
"$PY" - "$T/consume.json" "$T/resp.json" <<'EOF' && ok "both verifiers read the same NameID, format, SessionIndex and attributes" || bad "verifier outputs"
import json, sys
c = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2]))
for v in ("onelogin", "pysaml2"):
    o = c[v]
    assert o["nameid"] == r["nameid"], (v, o["nameid"])
    assert o["nameid_format"] == "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
    assert o["session_index"] == r["session_index"]
    assert o["attributes"]["xUserId"] == ["cust-42"] and o["attributes"]["mobile"] == ["0086-13900000000"]
assert c["agree"] is True
EOF
expect_ok "consume --verifier onelogin" $SP consume --sp-dir "$T/sp" --idp-metadata "$IDPMD" --request-id "$RID" \
    --saml-response "$B64" --relay-state "$RS" --verifier onelogin
expect_ok "consume --verifier pysaml2 with @FILE input" bash -c "echo '$B64' >'$T/b64' && $SP consume --sp-dir '$T/sp' \
    --idp-metadata '$IDPMD' --request-id '$RID' --saml-response @'$T/b64' --relay-state '$RS' --verifier pysaml2"
expect_ok "xmlsec1 --verify accepts the pysaml2-signed assertion" xmlsec_verify "$T/idp/idp.crt" "$T/resp.xml"

echo "== negative: the verifiers must refuse these"
sed 's/>cust-42</>cust-43</' "$T/resp.xml" >"$T/tampered.xml"
cmp -s "$T/resp.xml" "$T/tampered.xml" && bad "tamper step changed nothing"
TB64="$(b64file "$T/tampered.xml")"
for v in onelogin pysaml2 both; do
    expect_fail "tampered attribute value, --verifier $v" $SP consume --sp-dir "$T/sp" --idp-metadata "$IDPMD" \
        --request-id "$RID" --saml-response "$TB64" --relay-state "$RS" --verifier $v
done
expect_fail "xmlsec1 --verify on the tampered assertion" xmlsec_verify "$T/idp/idp.crt" "$T/tampered.xml"
# one flipped character inside the SignatureValue
"$PY" - "$T/resp.xml" "$T/badsig.xml" <<'EOF'
import re, sys
x = open(sys.argv[1]).read()
m = re.search(r"SignatureValue>(.)", x)
c = "A" if m.group(1) != "A" else "B"
open(sys.argv[2], "w").write(x[:m.start(1)] + c + x[m.end(1):])
EOF
SB64="$(b64file "$T/badsig.xml")"
for v in onelogin pysaml2; do
    expect_fail "flipped SignatureValue byte, --verifier $v" $SP consume --sp-dir "$T/sp" --idp-metadata "$IDPMD" \
        --request-id "$RID" --saml-response "$SB64" --relay-state "$RS" --verifier $v
done
expect_fail "xmlsec1 --verify with the flipped SignatureValue" xmlsec_verify "$T/idp/idp.crt" "$T/badsig.xml"
expect_fail "xmlsec1 --verify with a foreign cert" xmlsec_verify "$T/idp2/idp.crt" "$T/resp.xml"
for v in onelogin pysaml2; do
    expect_fail "wrong request ID (InResponseTo), --verifier $v" $SP consume --sp-dir "$T/sp" --idp-metadata "$IDPMD" \
        --request-id ONELOGIN_0000 --saml-response "$B64" --verifier $v
done
expect_fail "RelayState not returned unchanged" $SP consume --sp-dir "$T/sp" --idp-metadata "$IDPMD" \
    --request-id "$RID" --saml-response "$B64" --relay-state "changed"

# a response signed by another key (same entityID) -> not the key in the IdP metadata
$SP authn-request --sp-dir "$T/sp" --idp-metadata "$IDPMD" --relay-state r2 >"$T/ar2.json"
$IDP respond --idp-dir "$T/idp2" --url "$(jget "$T/ar2.json" url)" --attr xUserId=cust-42 >"$T/resp2.json"
for v in onelogin pysaml2; do
    expect_fail "assertion signed by a key not in the IdP metadata, --verifier $v" $SP consume --sp-dir "$T/sp" \
        --idp-metadata "$IDPMD" --request-id "$(jget "$T/ar2.json" request_id)" \
        --saml-response "$(jget "$T/resp2.json" saml_response)" --relay-state r2 --verifier $v
done
# an unsigned assertion
$SP authn-request --sp-dir "$T/sp" --idp-metadata "$IDPMD" --relay-state r3 >"$T/ar3.json"
$IDP respond --idp-dir "$T/idp" --url "$(jget "$T/ar3.json" url)" --attr xUserId=cust-42 --no-sign >"$T/resp3.json"
for v in onelogin pysaml2; do
    expect_fail "unsigned assertion, --verifier $v" $SP consume --sp-dir "$T/sp" --idp-metadata "$IDPMD" \
        --request-id "$(jget "$T/ar3.json" request_id)" --saml-response "$(jget "$T/resp3.json" saml_response)" \
        --relay-state r3 --verifier $v
done
# the harness's own AuthnRequest signature is real: the pysaml2 IdP refuses a tampered one
BADURL="$(printf '%s' "$URL" | sed 's/Signature=\(.\)/Signature=\1\1/')"
expect_fail "pysaml2 IdP refuses an AuthnRequest with a damaged Signature" \
    $IDP respond --idp-dir "$T/idp" --url "$BADURL"
for alg in rsa-sha512 rsa-sha1; do
    $SP authn-request --sp-dir "$T/sp" --idp-metadata "$IDPMD" --sig-alg $alg >"$T/ar-$alg.json"
    expect_ok "authn-request --sig-alg $alg verifies at the pysaml2 IdP" \
        $IDP respond --idp-dir "$T/idp" --url "$(jget "$T/ar-$alg.json" url)"
done

echo "== SLO: LogoutRequest (python3-saml) -> pysaml2 IdP -> verify-logout-response"
expect_ok "logout-request" $SP logout-request --sp-dir "$T/sp" --idp-metadata "$IDPMD" \
    --name-id "$(jget "$T/resp.json" nameid)" --session-index "$(jget "$T/resp.json" session_index)"
cp "$T/out" "$T/lo.json"
LRID="$(jget "$T/lo.json" request_id)"
expect_ok "pysaml2 IdP verifies the LogoutRequest signature and answers (signed Redirect)" \
    $IDP logout-respond --idp-dir "$T/idp" --url "$(jget "$T/lo.json" url)"
LURL="$(jget "$T/out" url)"
expect_ok "verify-logout-response accepts it" $SP verify-logout-response --sp-dir "$T/sp" --idp-metadata "$IDPMD" \
    --url "$LURL" --request-id "$LRID"
echo "      verify-logout-response output: $(cat "$T/out")"
expect_fail "verify-logout-response: wrong request ID" $SP verify-logout-response --sp-dir "$T/sp" \
    --idp-metadata "$IDPMD" --url "$LURL" --request-id ONELOGIN_0000
expect_fail "verify-logout-response: damaged Signature" $SP verify-logout-response --sp-dir "$T/sp" \
    --idp-metadata "$IDPMD" --url "$(printf '%s' "$LURL" | sed 's/Signature=\(.\)/Signature=\1\1/')" --request-id "$LRID"
expect_fail "verify-logout-response: Signature stripped" $SP verify-logout-response --sp-dir "$T/sp" \
    --idp-metadata "$IDPMD" --url "$(printf '%s' "$LURL" | sed 's/&Signature=[^&]*//')" --request-id "$LRID"
expect_fail "verify-logout-response: RelayState changed after signing" $SP verify-logout-response --sp-dir "$T/sp" \
    --idp-metadata "$IDPMD" --url "$(printf '%s' "$LURL" | sed 's/RelayState=[^&]*/RelayState=evil/')" --request-id "$LRID"

echo "== sign-query (binding notification) checked with openssl"
BIND="$("$PY" -c 'import base64,json,urllib.parse; print(urllib.parse.quote_plus(base64.b64encode(json.dumps({"xUserId":"cust-42","domainName":"alice","domainId":"0a1b","userName":"alice","userId":"u1"}).encode()).decode()))')"
expect_ok "sign-query" $SP sign-query --sp-dir "$T/sp" --query "bindRequest=$BIND"
cp "$T/out" "$T/sq.json"
openssl x509 -in "$T/sp/sp.crt" -pubkey -noout >"$T/sp.pub"
"$PY" -c 'import base64,json,sys; j=json.load(open(sys.argv[1])); open(sys.argv[2],"wb").write(base64.b64decode(j["signature"])); open(sys.argv[3],"w").write(j["signed_octets"])' \
    "$T/sq.json" "$T/sq.sig" "$T/sq.msg"
[[ "$(jget "$T/sq.json" query)" == "bindRequest=$BIND&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256&Signature="* ]] &&
    ok "sign-query output is QUERY&SigAlg=<rsa-sha256>&Signature=…" || bad "sign-query output shape"
expect_ok "openssl dgst -sha256 -verify accepts the bindRequest signature" \
    openssl dgst -sha256 -verify "$T/sp.pub" -signature "$T/sq.sig" "$T/sq.msg"
printf 'x' >>"$T/sq.msg"
expect_fail "openssl refuses the signature over altered octets" \
    openssl dgst -sha256 -verify "$T/sp.pub" -signature "$T/sq.sig" "$T/sq.msg"

echo "== error contract"
expect_fail "unknown IdP metadata file gives JSON error" $SP authn-request --sp-dir "$T/sp" --idp-metadata "$T/nope.xml"
"$PY" -c 'import json,sys; assert "error" in json.load(open(sys.argv[1]))' "$T/out" && ok "error is JSON on stdout" || bad "error JSON"

echo
echo "interop-selftest: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
