#!/usr/bin/env python3
"""Throwaway pysaml2 IdP, used only by selftest.sh to prove huawei_sp.py without samlgate.

  gen            --out DIR --sp-metadata FILE [--entity-id URL]
                 -> DIR/idp.key, idp.crt, idp-metadata.xml (pysaml2-generated), idp.json
  respond        --idp-dir DIR --url AUTHN_REQUEST_URL [--user ID] [--attr NAME=VALUE ...]
                 parses + verifies the Redirect-bound AuthnRequest (signature checked against the SP
                 metadata), answers with a pysaml2 Response whose Assertion is signed (sign_assertion=True)
                 -> {"saml_response": b64, "request_id", "relay_state", "xml", "session_index", "nameid"}
  logout-respond --idp-dir DIR --url LOGOUT_REQUEST_URL
                 verifies the signed LogoutRequest and answers with a signed Redirect LogoutResponse
                 -> {"url": ...}
"""

import argparse
import base64
import json
import logging
import os
import subprocess
import sys
import warnings
from urllib.parse import parse_qsl, urlsplit

warnings.filterwarnings("ignore")
logging.basicConfig(level=logging.CRITICAL)

XMLSEC1 = os.environ.get("SAMLGATE_XMLSEC1", "/usr/bin/xmlsec1")
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


def idp_config(d, sp_metadata, entity_id):
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.config import IdPConfig
    from saml2.saml import NAMEID_FORMAT_TRANSIENT

    base = entity_id.rstrip("/")
    conf = IdPConfig()
    conf.load(
        {
            "entityid": entity_id,
            "xmlsec_binary": XMLSEC1,
            "key_file": os.path.join(d, "idp.key"),
            "cert_file": os.path.join(d, "idp.crt"),
            "metadata": {"local": [sp_metadata]} if sp_metadata else {},
            "allow_unknown_attributes": True,
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [(base + "/saml/sso", BINDING_HTTP_REDIRECT)],
                        "single_logout_service": [(base + "/saml/slo", BINDING_HTTP_REDIRECT)],
                    },
                    "name_id_format": [NAMEID_FORMAT_TRANSIENT],
                    "want_authn_requests_signed": True,
                    "sign_response": False,
                    "signing_algorithm": RSA_SHA256,
                    "digest_algorithm": SHA256,
                    "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None}},
                }
            },
        }
    )
    return conf


def server(d):
    from saml2.server import Server

    meta = json.load(open(os.path.join(d, "idp.json")))
    return Server(config=idp_config(d, meta["sp_metadata"], meta["entity_id"])), meta


def cmd_gen(a):
    from saml2.metadata import entity_descriptor
    from saml2.validate import valid_instance

    os.makedirs(a.out, exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30",
         "-subj", "/CN=selftest-idp", "-keyout", os.path.join(a.out, "idp.key"),
         "-out", os.path.join(a.out, "idp.crt")],
        check=True, capture_output=True,
    )
    conf = idp_config(a.out, None, a.entity_id)
    ed = entity_descriptor(conf)
    valid_instance(ed)
    with open(os.path.join(a.out, "idp-metadata.xml"), "w") as f:
        f.write(str(ed))
    with open(os.path.join(a.out, "idp.json"), "w") as f:
        json.dump({"entity_id": a.entity_id, "sp_metadata": os.path.abspath(a.sp_metadata)}, f)
    print(json.dumps({"metadata": os.path.abspath(os.path.join(a.out, "idp-metadata.xml"))}))


def cmd_respond(a):
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.saml import AUTHN_PASSWORD_PROTECTED

    srv, meta = server(a.idp_dir)
    q = dict(parse_qsl(urlsplit(a.url).query, keep_blank_values=True))
    req = srv.parse_authn_request(
        q["SAMLRequest"], BINDING_HTTP_REDIRECT,
        relay_state=q.get("RelayState"), sigalg=q.get("SigAlg"), signature=q.get("Signature"),
    )
    if req is None:
        raise SystemExit("AuthnRequest rejected")
    msg = req.message
    binding_out, destination = srv.pick_binding(
        "assertion_consumer_service", bindings=[BINDING_HTTP_POST], entity_id=msg.issuer.text, request=msg
    )
    identity = {}
    for kv in a.attr:
        k, v = kv.split("=", 1)
        identity.setdefault(k, []).append(v)
    resp = srv.create_authn_response(
        identity,
        in_response_to=msg.id,
        destination=destination,
        sp_entity_id=msg.issuer.text,
        name_id_policy=msg.name_id_policy,
        userid=a.user,
        authn={"class_ref": AUTHN_PASSWORD_PROTECTED, "authn_auth": meta["entity_id"]},
        sign_assertion=not a.no_sign,
        sign_response=False,
        sign_alg=RSA_SHA256,
        digest_alg=SHA256,
    )
    xml = str(resp)
    from saml2.samlp import response_from_string

    parsed = response_from_string(xml)
    a0 = parsed.assertion[0]
    print(json.dumps({
        "saml_response": base64.b64encode(xml.encode("utf-8")).decode("ascii"),
        "request_id": msg.id,
        "relay_state": q.get("RelayState"),
        "destination": destination,
        "nameid": a0.subject.name_id.text,
        "session_index": a0.authn_statement[0].session_index,
        "xml": xml,
    }))


def cmd_logout_respond(a):
    from saml2 import BINDING_HTTP_REDIRECT

    srv, meta = server(a.idp_dir)
    q = dict(parse_qsl(urlsplit(a.url).query, keep_blank_values=True))
    # want_authn_requests_signed=True makes pysaml2 verify the Redirect signature here as well.
    req = srv.parse_logout_request(
        q["SAMLRequest"], BINDING_HTTP_REDIRECT,
        relay_state=q.get("RelayState"), sigalg=q.get("SigAlg"), signature=q.get("Signature"),
    )
    sp_entity = req.message.issuer.text
    resp = srv.create_logout_response(req.message, [BINDING_HTTP_REDIRECT], sign=False)
    dest = srv.metadata.single_logout_service(sp_entity, BINDING_HTTP_REDIRECT, "spsso")[0]
    dest_url = dest.get("response_location") or dest["location"]
    resp.destination = dest_url
    info = srv.apply_binding(
        BINDING_HTTP_REDIRECT, str(resp), dest_url, q.get("RelayState", ""),
        response=True, sign=True, sigalg=RSA_SHA256,
    )
    url = dict(info["headers"])["Location"]
    print(json.dumps({"url": url, "request_id": req.message.id, "response_id": resp.id}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--out", required=True)
    g.add_argument("--sp-metadata", required=True)
    g.add_argument("--entity-id", default="https://idp.selftest.invalid/")
    g.set_defaults(fn=cmd_gen)
    r = sub.add_parser("respond")
    r.add_argument("--idp-dir", required=True)
    r.add_argument("--url", required=True)
    r.add_argument("--user", default="cust-0001")
    r.add_argument("--attr", action="append", default=[])
    r.add_argument("--no-sign", action="store_true", help="leave the Assertion unsigned (negative test)")
    r.set_defaults(fn=cmd_respond)
    lo = sub.add_parser("logout-respond")
    lo.add_argument("--idp-dir", required=True)
    lo.add_argument("--url", required=True)
    lo.set_defaults(fn=cmd_logout_respond)
    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
