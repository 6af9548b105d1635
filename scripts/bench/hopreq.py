#!/usr/bin/env python3
"""Load-test inputs for scripts/bench-hop: a test SP and thousands of pre-signed AuthnRequests.

  sp        --out DIR
            -> DIR/sp.key, DIR/sp.crt (RSA-2048) and DIR/sp-metadata.xml (Huawei-shaped SP metadata,
               AuthnRequestsSigned=true, HTTP-POST ACS)
  requests  --sp-dir DIR --destination SSO_URL --count N --out FILE [--procs 2]
            -> FILE: one request target per line, `PATH?SAMLRequest=…&RelayState=…&SigAlg=…&Signature=…`,
               each a Redirect-bound AuthnRequest with its own ID, signed RSA-SHA256 with the SP key.

Every value is percent-encoded like urllib's quote (RFC 3986 unreserved characters kept), which is also
what pysaml2 and samlify rebuild when they check the query signature, so one file suits every IdP.
Signing runs in `--procs` processes (OpenSSL via `cryptography`): ~1,000+ requests/s per core.
"""

import argparse
import base64
import datetime
import multiprocessing
import os
import subprocess
import uuid
import zlib
from urllib.parse import quote, urlsplit

SP_ENTITY = "https://auth.huaweicloud.com/"
SP_ACS = "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer"
SP_SLO = "https://auth.huaweicloud.com/authui/saml/logout"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RELAY_STATE = "https://console.huaweicloud.com/iam/?region=cn-north-4"


def cmd_sp(a):
    os.makedirs(a.out, exist_ok=True)
    key, crt = os.path.join(a.out, "sp.key"), os.path.join(a.out, "sp.crt")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30",
         "-subj", "/CN=bench-sp", "-keyout", key, "-out", crt],
        check=True, capture_output=True,
    )
    b64 = "".join(l for l in open(crt).read().splitlines() if "-----" not in l)
    kd = lambda use: (
        f'<md:KeyDescriptor use="{use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64}'
        "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
    )
    md = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{SP_ENTITY}">'
        '<md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        + kd("signing") + kd("encryption")
        + '<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        f'Location="{SP_SLO}"/>'
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>"
        '<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        f'Location="{SP_ACS}" index="0" isDefault="true"/>'
        "</md:SPSSODescriptor></md:EntityDescriptor>\n"
    )
    with open(os.path.join(a.out, "sp-metadata.xml"), "w") as f:
        f.write(md)


def _enc(s):
    return quote(s, safe="")


def _chunk(args):
    key_path, destination, n = args
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    key = serialization.load_pem_private_key(open(key_path, "rb").read(), password=None)
    path = urlsplit(destination).path
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    rs, alg = _enc(RELAY_STATE), _enc(RSA_SHA256)
    out = []
    for _ in range(n):
        xml = (
            '<saml2p:AuthnRequest xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" '
            f'AssertionConsumerServiceURL="{SP_ACS}" Destination="{destination}" ForceAuthn="false" '
            f'ID="_{uuid.uuid4().hex}" IsPassive="false" IssueInstant="{now}" '
            'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Version="2.0">'
            f'<saml2:Issuer xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">{SP_ENTITY}</saml2:Issuer>'
            '<saml2p:NameIDPolicy AllowCreate="true" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient" '
            f'SPNameQualifier="{SP_ENTITY}"/></saml2p:AuthnRequest>'
        )
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        deflated = c.compress(xml.encode()) + c.flush()
        signed = f"SAMLRequest={_enc(base64.b64encode(deflated).decode())}&RelayState={rs}&SigAlg={alg}"
        sig = key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
        out.append(f"{path}?{signed}&Signature={_enc(base64.b64encode(sig).decode())}\n")
    return "".join(out)


def cmd_requests(a):
    key = os.path.join(a.sp_dir, "sp.key")
    per = 500
    jobs = [(key, a.destination, min(per, a.count - i)) for i in range(0, a.count, per)]
    with multiprocessing.Pool(a.procs) as pool, open(a.out, "w") as f:
        for text in pool.imap(_chunk, jobs):
            f.write(text)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sp")
    s.add_argument("--out", required=True)
    s.set_defaults(fn=cmd_sp)
    r = sub.add_parser("requests")
    r.add_argument("--sp-dir", required=True)
    r.add_argument("--destination", required=True)
    r.add_argument("--count", type=int, required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--procs", type=int, default=os.cpu_count() or 2)
    r.set_defaults(fn=cmd_requests)
    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
