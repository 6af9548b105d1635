"""pysaml2 7.5.5 IdP for scripts/bench-hop, served by gunicorn: the same hop as samlgate's GET /saml/sso.

    BENCH_IDP_DIR=DIR BENCH_IDP_BASE=http://127.0.0.1:PORT gunicorn -w 2 -b 127.0.0.1:PORT pysaml2_idp:app

DIR holds idp.key, idp.crt (RSA-2048) and sp-metadata.xml. Per request: session cookie looked up in memory,
Redirect-bound AuthnRequest parsed with its query signature verified against the SP metadata
(want_authn_requests_signed), single-use request ID (in memory, per worker), Response with an
RSA-SHA256-signed Assertion (pysaml2 signs through the xmlsec1 binary) carrying xUserId, name, mobile and
email, auto-post HTML form from pysaml2's HTTP-POST binding.
"""

import logging
import os
import warnings
from urllib.parse import parse_qs

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.saml import AUTHN_PASSWORD_PROTECTED, NAMEID_FORMAT_TRANSIENT
from saml2.server import Server

warnings.filterwarnings("ignore")
logging.basicConfig(level=logging.CRITICAL)

DIR = os.environ["BENCH_IDP_DIR"]
BASE = os.environ["BENCH_IDP_BASE"].rstrip("/")
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

conf = IdPConfig()
conf.load(
    {
        "entityid": BASE + "/metadata",
        "xmlsec_binary": os.environ.get("XMLSEC1", "/usr/bin/xmlsec1"),
        "key_file": os.path.join(DIR, "idp.key"),
        "cert_file": os.path.join(DIR, "idp.crt"),
        "metadata": {"local": [os.path.join(DIR, "sp-metadata.xml")]},
        "allow_unknown_attributes": True,
        "service": {
            "idp": {
                "endpoints": {"single_sign_on_service": [(BASE + "/saml/sso", BINDING_HTTP_REDIRECT)]},
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
IDP = Server(config=conf)
SESSIONS = {
    "bench-session-0001": {
        "xUserId": ["customer-000123"],
        "name": ["Zhang San"],
        "mobile": ["0086-13900000000"],
        "email": ["zhang.san@example.com"],
    }
}
SEEN = set()


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    if path != "/saml/sso":
        start_response("404 Not Found", [])
        return [b""]
    cookies = dict(c.strip().split("=", 1) for c in environ.get("HTTP_COOKIE", "").split(";") if "=" in c)
    user = SESSIONS.get(cookies.get("sid", ""))
    if user is None:
        start_response("401 Unauthorized", [])
        return [b"no session"]
    q = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    try:
        req = IDP.parse_authn_request(
            q["SAMLRequest"], BINDING_HTTP_REDIRECT,
            relay_state=q.get("RelayState"), sigalg=q.get("SigAlg"), signature=q.get("Signature"),
        )
        if req is None:
            raise ValueError("AuthnRequest rejected")
        msg = req.message
        if msg.id in SEEN:
            raise ValueError("replay")
        SEEN.add(msg.id)
        _, destination = IDP.pick_binding(
            "assertion_consumer_service", bindings=[BINDING_HTTP_POST], entity_id=msg.issuer.text, request=msg
        )
        resp = IDP.create_authn_response(
            user,
            in_response_to=msg.id,
            destination=destination,
            sp_entity_id=msg.issuer.text,
            name_id_policy=msg.name_id_policy,
            userid=user["xUserId"][0],
            authn={"class_ref": AUTHN_PASSWORD_PROTECTED, "authn_auth": BASE + "/metadata"},
            sign_assertion=True,
            sign_response=False,
            sign_alg=RSA_SHA256,
            digest_alg=SHA256,
        )
        info = IDP.apply_binding(BINDING_HTTP_POST, str(resp), destination, q.get("RelayState", ""), response=True)
    except Exception as e:  # noqa: BLE001 - any failure is a refused request
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [str(e).encode()]
    body = info["data"].encode() if isinstance(info["data"], str) else info["data"]
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")])
    return [body]
