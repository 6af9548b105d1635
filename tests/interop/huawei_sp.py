#!/usr/bin/env python3
"""Independent SAML SP playing Huawei Cloud IAM ("authui") in samlgate's interop tests.

This is a foreign SAML stack on purpose: python3-saml (OneLogin) is the primary verifier,
pysaml2 (which shells out to /usr/bin/xmlsec1) the second. Nothing here imports samlgate code.

Every command prints one JSON object on stdout and exits 0 on success. On failure it prints
{"error": "...", ...} on stdout (and the same line on stderr) and exits 1 (2 for usage errors).
See tests/interop/README.md for the interface.
"""

import argparse
import base64
import datetime
import json
import logging
import os
import re
import secrets
import sys
import warnings
from urllib.parse import parse_qsl, quote_plus, urlsplit

warnings.filterwarnings("ignore")

DEFAULT_ENTITY_ID = "https://auth.huaweicloud.com/"
DEFAULT_ACS_URL = "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer"
DEFAULT_SLO_URL = "https://auth.huaweicloud.com/authui/saml/LogoutServiceHTTPRedirect"
DEFAULT_SLO_RESPONSE_URL = "https://auth.huaweicloud.com/authui/saml/LogoutServiceHTTPRedirectResponse"

NAMEID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata"

SIG_ALGS = {
    "rsa-sha1": "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "rsa-sha256": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "rsa-sha384": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "rsa-sha512": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
}
XMLSEC1 = os.environ.get("SAMLGATE_XMLSEC1", "/usr/bin/xmlsec1")


class Fail(Exception):
    """A rejection or usage problem; becomes {"error": msg, **extra} and exit 1."""

    def __init__(self, msg, **extra):
        super().__init__(msg)
        self.extra = extra


def emit(obj):
    sys.stdout.write(json.dumps(obj, indent=None, sort_keys=True) + "\n")
    sys.stdout.flush()


# ----------------------------------------------------------------------------------------------
# SP directory: sp.key, sp.crt, sp-metadata.xml, sp.json (endpoints), requests/<id>.json


def read_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def load_sp(sp_dir):
    cfg_path = os.path.join(sp_dir, "sp.json")
    cfg = {
        "entity_id": DEFAULT_ENTITY_ID,
        "acs_url": DEFAULT_ACS_URL,
        "slo_url": DEFAULT_SLO_URL,
        "slo_response_url": DEFAULT_SLO_RESPONSE_URL,
    }
    if os.path.exists(cfg_path):
        cfg.update(json.loads(read_text(cfg_path)))
    for name in ("sp.key", "sp.crt"):
        if not os.path.exists(os.path.join(sp_dir, name)):
            raise Fail("missing %s in --sp-dir %s (run gen-sp first)" % (name, sp_dir))
    cfg["key"] = read_text(os.path.join(sp_dir, "sp.key"))
    cfg["cert"] = read_text(os.path.join(sp_dir, "sp.crt"))
    cfg["dir"] = sp_dir
    return cfg


def request_record_path(sp_dir, request_id):
    if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,200}", request_id or ""):
        return None
    return os.path.join(sp_dir, "requests", request_id + ".json")


# ----------------------------------------------------------------------------------------------
# python3-saml (OneLogin) settings


def onelogin_sp_settings(sp):
    from onelogin.saml2.constants import OneLogin_Saml2_Constants as C

    out = {
        "entityId": sp["entity_id"],
        "assertionConsumerService": {"url": sp["acs_url"], "binding": C.BINDING_HTTP_POST},
        "NameIDFormat": NAMEID_TRANSIENT,
        "x509cert": sp["cert"],
        "privateKey": sp["key"],
    }
    if sp.get("slo_url"):
        out["singleLogoutService"] = {"url": sp["slo_url"], "binding": C.BINDING_HTTP_REDIRECT}
    return out


def onelogin_security(sig_alg_uri=None, **overrides):
    from onelogin.saml2.constants import OneLogin_Saml2_Constants as C

    sec = {
        "authnRequestsSigned": True,
        "logoutRequestSigned": True,
        "logoutResponseSigned": True,
        "wantAssertionsSigned": True,
        "wantMessagesSigned": False,
        "wantNameId": True,
        "wantNameIdEncrypted": False,
        "wantAssertionsEncrypted": False,
        "wantAttributeStatement": True,
        "requestedAuthnContext": False,
        "rejectDeprecatedAlgorithm": True,
        "signatureAlgorithm": sig_alg_uri or C.RSA_SHA256,
        "digestAlgorithm": C.SHA256,
        "allowRepeatAttributeName": True,
    }
    sec.update(overrides)
    return sec


def parse_idp_metadata(path):
    """IdP part of the OneLogin settings, from the IdP metadata file (Redirect SSO/SLO endpoints)."""
    from lxml import etree
    from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

    xml = read_text(path)
    data = OneLogin_Saml2_IdPMetadataParser.parse(
        xml, required_sso_binding=BINDING_REDIRECT, required_slo_binding=BINDING_REDIRECT
    )
    idp = data.get("idp")
    if not idp or "entityId" not in idp:
        raise Fail("no IDPSSODescriptor in IdP metadata %s" % path)
    if "singleSignOnService" not in idp:
        raise Fail("IdP metadata %s has no HTTP-Redirect SingleSignOnService" % path)
    if "x509cert" not in idp and "x509certMulti" not in idp:
        raise Fail("IdP metadata %s has no signing certificate" % path)
    # OneLogin's parser ignores ResponseLocation; pick it up for completeness.
    root = etree.fromstring(xml.encode("utf-8"))
    for slo in root.iter("{%s}SingleLogoutService" % MD_NS):
        if slo.get("Binding") == BINDING_REDIRECT and slo.get("ResponseLocation"):
            idp.setdefault("singleLogoutService", {})["responseUrl"] = slo.get("ResponseLocation")
            break
    return idp


def onelogin_settings(sp, idp_metadata, sig_alg_uri=None, **security):
    from onelogin.saml2.settings import OneLogin_Saml2_Settings

    settings = {
        "strict": True,
        "debug": False,
        "sp": onelogin_sp_settings(sp),
        "idp": parse_idp_metadata(idp_metadata),
        "security": onelogin_security(sig_alg_uri, **security),
    }
    return OneLogin_Saml2_Settings(settings)


def fake_request(url, **extra):
    """A python3-saml request dict for a request that arrived at `url` (scheme/host/path)."""
    u = urlsplit(url)
    if u.scheme not in ("http", "https") or not u.netloc:
        raise Fail("not an absolute http(s) URL: %r" % url)
    req = {
        "https": "on" if u.scheme == "https" else "off",
        "http_host": u.netloc,
        "script_name": u.path or "/",
        "get_data": {},
        "post_data": {},
    }
    req.update(extra)
    return req


def sig_alg_uri(name):
    try:
        return SIG_ALGS[name]
    except KeyError:
        raise Fail("unknown --sig-alg %r (known: %s)" % (name, ", ".join(sorted(SIG_ALGS))))


def single_valued_query(raw_query):
    pairs = parse_qsl(raw_query, keep_blank_values=True, strict_parsing=False)
    out = {}
    for k, v in pairs:
        if k in out:
            raise Fail("duplicate query parameter %r" % k)
        out[k] = v
    return out


# ----------------------------------------------------------------------------------------------
# gen-sp


def cmd_gen_sp(a):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    from lxml import etree
    from onelogin.saml2.settings import OneLogin_Saml2_Settings

    os.makedirs(a.out, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.timezone.utc)
    not_after = now + datetime.timedelta(days=a.valid_days)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Huawei SP stand-in (samlgate interop tests)"),
            x509.NameAttribute(NameOID.COMMON_NAME, urlsplit(a.entity_id).hostname or "huawei-sp-test"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()

    key_path = os.path.join(a.out, "sp.key")
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key_pem)
    with open(os.path.join(a.out, "sp.crt"), "w") as f:
        f.write(cert_pem)

    sp = {
        "entity_id": a.entity_id,
        "acs_url": a.acs_url,
        "slo_url": a.slo_url,
        "slo_response_url": a.slo_response_url,
        "key": key_pem,
        "cert": cert_pem,
    }
    settings = OneLogin_Saml2_Settings(
        {
            "strict": True,
            "sp": onelogin_sp_settings(sp),
            "security": onelogin_security(
                metadataValidUntil=not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
                metadataCacheDuration="P1D",
            ),
        },
        sp_validation_only=True,
    )
    metadata = settings.get_sp_metadata()
    errors = settings.validate_metadata(metadata)
    if errors:
        raise Fail("python3-saml rejected its own SP metadata", reasons=errors)
    if isinstance(metadata, bytes):
        metadata = metadata.decode("utf-8")
    if a.slo_url and a.slo_response_url:
        # python3-saml 1.16 cannot emit ResponseLocation; add it like Huawei's real metadata has it.
        root = etree.fromstring(metadata.encode("utf-8"))
        for slo in root.iter("{%s}SingleLogoutService" % MD_NS):
            slo.set("ResponseLocation", a.slo_response_url)
        metadata = etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")
        errors = settings.validate_metadata(metadata)
        if errors:
            raise Fail("SP metadata invalid after adding ResponseLocation", reasons=errors)
    with open(os.path.join(a.out, "sp-metadata.xml"), "w", encoding="utf-8") as f:
        f.write(metadata if metadata.endswith("\n") else metadata + "\n")
    with open(os.path.join(a.out, "sp.json"), "w") as f:
        json.dump({k: sp[k] for k in ("entity_id", "acs_url", "slo_url", "slo_response_url")}, f, indent=2)
        f.write("\n")

    emit(
        {
            "sp_dir": os.path.abspath(a.out),
            "key": os.path.abspath(key_path),
            "cert": os.path.abspath(os.path.join(a.out, "sp.crt")),
            "metadata": os.path.abspath(os.path.join(a.out, "sp-metadata.xml")),
            "entity_id": a.entity_id,
            "acs_url": a.acs_url,
            "slo_url": a.slo_url,
            "slo_response_url": a.slo_response_url,
        }
    )


# ----------------------------------------------------------------------------------------------
# authn-request / logout-request (python3-saml builds and signs, Redirect binding)


def cmd_authn_request(a):
    from onelogin.saml2.auth import OneLogin_Saml2_Auth

    sp = load_sp(a.sp_dir)
    extra = {}
    if a.authn_context:
        extra["requestedAuthnContext"] = a.authn_context.split(",")
        extra["requestedAuthnContextComparison"] = a.authn_comparison
    settings = onelogin_settings(sp, a.idp_metadata, sig_alg_uri(a.sig_alg), **extra)
    auth = OneLogin_Saml2_Auth(fake_request(sp["acs_url"]), old_settings=settings)
    url = auth.login(
        return_to=a.relay_state, force_authn=a.force_authn, is_passive=a.is_passive, name_id_value_req=a.subject
    )
    request_id = auth.get_last_request_id()
    sent = single_valued_query(urlsplit(url).query)
    rec_path = request_record_path(a.sp_dir, request_id)
    if rec_path:
        os.makedirs(os.path.dirname(rec_path), exist_ok=True)
        with open(rec_path, "w") as f:
            json.dump({"request_id": request_id, "relay_state": sent.get("RelayState")}, f)
    emit(
        {
            "url": url,
            "request_id": request_id,
            "relay_state": sent.get("RelayState"),
            "xml": auth.get_last_request_xml(),
        }
    )


def cmd_logout_request(a):
    from onelogin.saml2.auth import OneLogin_Saml2_Auth

    sp = load_sp(a.sp_dir)
    settings = onelogin_settings(sp, a.idp_metadata, sig_alg_uri(a.sig_alg))
    if not settings.get_idp_slo_url():
        raise Fail("IdP metadata has no HTTP-Redirect SingleLogoutService")
    auth = OneLogin_Saml2_Auth(fake_request(sp["slo_url"] or sp["acs_url"]), old_settings=settings)
    url = auth.logout(
        return_to=a.relay_state,
        name_id=a.name_id,
        session_index=a.session_index,
        name_id_format=a.name_id_format,
    )
    emit({"url": url, "request_id": auth.get_last_request_id(), "xml": auth.get_last_request_xml()})


# ----------------------------------------------------------------------------------------------
# consume (HTTP-POST SAMLResponse at the ACS)


def consume_onelogin(sp, a):
    from onelogin.saml2.auth import OneLogin_Saml2_Auth

    settings = onelogin_settings(sp, a.idp_metadata)
    post = {"SAMLResponse": a.saml_response}
    if a.relay_state is not None:
        post["RelayState"] = a.relay_state
    auth = OneLogin_Saml2_Auth(fake_request(sp["acs_url"], post_data=post), old_settings=settings)
    auth.process_response(request_id=a.request_id)
    errors = auth.get_errors()
    if errors or not auth.is_authenticated():
        raise Fail(
            "python3-saml rejected the response: %s" % (auth.get_last_error_reason() or ", ".join(errors)),
            errors=errors,
            reason=auth.get_last_error_reason(),
        )
    return {
        "nameid": auth.get_nameid(),
        "nameid_format": auth.get_nameid_format(),
        "session_index": auth.get_session_index(),
        "attributes": {k: list(v) for k, v in auth.get_attributes().items()},
        "in_response_to": auth.get_last_response_in_response_to(),
        "assertion_id": auth.get_last_assertion_id(),
        "response_id": auth.get_last_message_id(),
    }


def pysaml2_client(sp, idp_metadata):
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.client import Saml2Client
    from saml2.config import SPConfig

    tmp_key = os.path.join(sp["dir"], "sp.key")
    tmp_crt = os.path.join(sp["dir"], "sp.crt")
    slo = []
    if sp.get("slo_url"):
        slo = [(sp["slo_url"], BINDING_HTTP_REDIRECT)]
    conf = SPConfig()
    conf.load(
        {
            "entityid": sp["entity_id"],
            "xmlsec_binary": XMLSEC1,
            "key_file": tmp_key,
            "cert_file": tmp_crt,
            "metadata": {"local": [idp_metadata]},
            "allow_unknown_attributes": True,
            "service": {
                "sp": {
                    "endpoints": {
                        "assertion_consumer_service": [(sp["acs_url"], BINDING_HTTP_POST)],
                        "single_logout_service": slo,
                    },
                    "name_id_format": [NAMEID_TRANSIENT],
                    "authn_requests_signed": True,
                    "want_assertions_signed": True,
                    "want_response_signed": False,
                    "allow_unsolicited": False,
                }
            },
        }
    )
    return Saml2Client(config=conf)


def huawei_subject_locality(sp):
    """pysaml2 refuses a SubjectLocality@Address that is not an IPv4/IPv6 address (a ShouldValueError:
    SAML core says SHOULD, the schema says xs:string). Huawei's partner documentation requires the SP
    entityID there. This context allows exactly that one value - the consuming SP's own entityID -
    and leaves every other check of pysaml2 (signature, audience, recipient, times...) as it is."""
    import contextlib

    from saml2 import saml

    @contextlib.contextmanager
    def scope():
        original = saml.SubjectLocality.verify

        def verify(self):
            if self.address == sp["entity_id"]:
                return saml.SubjectLocalityType_.verify(self)
            return original(self)

        saml.SubjectLocality.verify = verify
        try:
            yield
        finally:
            saml.SubjectLocality.verify = original

    return scope()


def consume_pysaml2(sp, a):
    from saml2 import BINDING_HTTP_POST

    client = pysaml2_client(sp, a.idp_metadata)
    try:
        with huawei_subject_locality(sp):
            resp = client.parse_authn_request_response(
                a.saml_response, BINDING_HTTP_POST, outstanding={a.request_id: "/"}
            )
    except Exception as e:  # pysaml2 signals rejection by raising many different types
        raise Fail("pysaml2 rejected the response: %s: %s" % (type(e).__name__, e), exception=type(e).__name__)
    if resp is None:
        raise Fail("pysaml2 rejected the response (parse returned None)")
    if not resp.assertion or not resp.assertion.signature:
        raise Fail("pysaml2: assertion is not signed")
    session_index = None
    if resp.assertion.authn_statement:
        session_index = resp.assertion.authn_statement[0].session_index
    name_id = resp.name_id
    attributes = {}
    for stmt in resp.assertion.attribute_statement or []:
        for attr in stmt.attribute:
            # Like python3-saml: empty values are not listed (Huawei's sample sends an empty email).
            attributes.setdefault(attr.name, []).extend(v.text for v in attr.attribute_value if v.text)
    return {
        "nameid": name_id.text if name_id is not None else None,
        "nameid_format": name_id.format if name_id is not None else None,
        "session_index": session_index,
        "attributes": attributes,
        "ava": {k: list(v) for k, v in (resp.ava or {}).items()},
        "in_response_to": resp.in_response_to,
        "assertion_id": resp.assertion.id,
        "response_id": resp.response.id,
    }


def cmd_consume(a):
    sp = load_sp(a.sp_dir)
    # RelayState: Huawei's SP needs its RelayState back unchanged. When this harness issued the
    # AuthnRequest (authn-request wrote requests/<id>.json), the posted RelayState must equal it.
    rec_path = request_record_path(a.sp_dir, a.request_id)
    if rec_path and os.path.exists(rec_path):
        rec = json.loads(read_text(rec_path))
        if rec.get("relay_state") is not None and rec["relay_state"] != a.relay_state:
            raise Fail(
                "RelayState not returned unchanged",
                expected=rec["relay_state"],
                got=a.relay_state,
            )
    verifiers = ["onelogin", "pysaml2"] if a.verifier == "both" else [a.verifier]
    out, failures = {}, {}
    for v in verifiers:
        try:
            out[v] = consume_onelogin(sp, a) if v == "onelogin" else consume_pysaml2(sp, a)
        except Fail as e:
            failures[v] = dict(error=str(e), **e.extra)
        except Exception as e:
            failures[v] = {"error": "%s: %s" % (type(e).__name__, e)}
    if failures:
        raise Fail(
            "; ".join("%s: %s" % (k, v["error"]) for k, v in failures.items()),
            **{k: v for k, v in list(out.items()) + list(failures.items())},
        )
    if a.relay_state is not None:
        out["relay_state"] = a.relay_state
    if len(out.get("onelogin", {})) and len(out.get("pysaml2", {})):
        o, p = out["onelogin"], out["pysaml2"]
        out["agree"] = all(o[k] == p[k] for k in ("nameid", "nameid_format", "session_index", "attributes"))
    emit(out)


def cmd_status_response(a):
    """A Response that carries only a status (a demand the IdP could not meet): its signature checked
    by python3-saml (xmlsec) with the IdP metadata's certificate, its status codes and message."""
    from lxml import etree
    from onelogin.saml2.utils import OneLogin_Saml2_Utils

    idp = parse_idp_metadata(a.idp_metadata)
    certs = [idp["x509cert"]] if "x509cert" in idp else idp["x509certMulti"]["signing"]
    xml = base64.b64decode(a.saml_response)
    valid = any(
        OneLogin_Saml2_Utils.validate_sign(xml, cert=OneLogin_Saml2_Utils.format_cert(c), raise_exceptions=False)
        for c in certs
    )
    root = etree.fromstring(xml)
    p = "{urn:oasis:names:tc:SAML:2.0:protocol}"
    emit(
        {
            "signature_valid": bool(valid),
            "in_response_to": root.get("InResponseTo"),
            "destination": root.get("Destination"),
            "codes": [e.get("Value") for e in root.iter(p + "StatusCode")],
            "message": root.findtext(p + "Status/" + p + "StatusMessage"),
            "assertions": len(list(root.iter("{urn:oasis:names:tc:SAML:2.0:assertion}Assertion"))),
        }
    )


# ----------------------------------------------------------------------------------------------
# sign-query (Huawei's binding notification: bindRequest=…&SigAlg=…&Signature=…)


def cmd_sign_query(a):
    import xmlsec
    from onelogin.saml2.utils import OneLogin_Saml2_Utils

    sp = load_sp(a.sp_dir)
    alg = sig_alg_uri(a.sig_alg)
    transform = {
        "rsa-sha1": xmlsec.Transform.RSA_SHA1,
        "rsa-sha256": xmlsec.Transform.RSA_SHA256,
        "rsa-sha384": xmlsec.Transform.RSA_SHA384,
        "rsa-sha512": xmlsec.Transform.RSA_SHA512,
    }[a.sig_alg]
    signed = "%s&SigAlg=%s" % (a.query, quote_plus(alg))
    sig = OneLogin_Saml2_Utils.sign_binary(signed, sp["key"], transform)
    sig_b64 = base64.b64encode(sig).decode("ascii")
    emit(
        {
            "query": "%s&Signature=%s" % (signed, quote_plus(sig_b64)),
            "signed_octets": signed,
            "sig_alg": alg,
            "signature": sig_b64,
        }
    )


# ----------------------------------------------------------------------------------------------
# verify-logout-response (Redirect-bound LogoutResponse from the IdP)


def cmd_verify_logout_response(a):
    from onelogin.saml2.auth import OneLogin_Saml2_Auth
    from onelogin.saml2.logout_response import OneLogin_Saml2_Logout_Response

    sp = load_sp(a.sp_dir)
    u = urlsplit(a.url)
    base = "%s://%s%s" % (u.scheme, u.netloc, u.path)
    allowed = [x for x in (sp.get("slo_response_url"), sp.get("slo_url")) if x]
    if base not in allowed:
        raise Fail("LogoutResponse sent to %s, expected one of %s" % (base, allowed))
    get_data = single_valued_query(u.query)
    if "SAMLResponse" not in get_data:
        raise Fail("no SAMLResponse in URL")
    settings = onelogin_settings(sp, a.idp_metadata, wantMessagesSigned=True)
    req = fake_request(a.url, get_data=get_data, query_string=u.query, validate_signature_from_qs=True)
    auth = OneLogin_Saml2_Auth(req, old_settings=settings)
    lr = OneLogin_Saml2_Logout_Response(settings, get_data["SAMLResponse"])
    info = {
        "status": lr.get_status(),
        "in_response_to": lr.get_in_response_to(),
        "issuer": lr.get_issuer(),
        "destination": lr.document.get("Destination"),
        "relay_state": get_data.get("RelayState"),
        "sig_alg": get_data.get("SigAlg"),
    }
    auth.process_slo(keep_local_session=True, request_id=a.request_id)
    errors = auth.get_errors()
    if not errors and lr.get_in_response_to() != a.request_id:
        errors = ["InResponseTo %r does not match request %r" % (lr.get_in_response_to(), a.request_id)]
    if errors:
        raise Fail(
            "python3-saml rejected the LogoutResponse: %s" % (auth.get_last_error_reason() or ", ".join(errors)),
            errors=errors,
            reason=auth.get_last_error_reason(),
            **info,
        )
    info["valid"] = True
    emit(info)


# ----------------------------------------------------------------------------------------------


def main(argv=None):
    p = argparse.ArgumentParser(prog="huawei_sp.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--debug", action="store_true", help="library logging on stderr")
    sub = p.add_subparsers(dest="cmd", required=True)

    g = sub.add_parser("gen-sp", help="SP key, self-signed cert and python3-saml SP metadata")
    g.add_argument("--out", required=True)
    g.add_argument("--entity-id", default=DEFAULT_ENTITY_ID)
    g.add_argument("--acs-url", default=DEFAULT_ACS_URL)
    g.add_argument("--slo-url", default=DEFAULT_SLO_URL, help="'' for no SingleLogoutService")
    g.add_argument("--slo-response-url", default=DEFAULT_SLO_RESPONSE_URL, help="'' for no ResponseLocation")
    g.add_argument("--valid-days", type=int, default=3650, help="cert and metadata validUntil")
    g.set_defaults(fn=cmd_gen_sp)

    def common(sp_, idp=True):
        sp_.add_argument("--sp-dir", required=True)
        if idp:
            sp_.add_argument("--idp-metadata", required=True)

    r = sub.add_parser("authn-request", help="signed Redirect-bound AuthnRequest URL")
    common(r)
    r.add_argument("--relay-state")
    r.add_argument("--sig-alg", default="rsa-sha256", choices=sorted(SIG_ALGS))
    r.add_argument("--force-authn", action="store_true")
    r.add_argument("--is-passive", action="store_true")
    r.add_argument("--subject", help="NameID value for the request's Subject")
    r.add_argument("--authn-context", help="comma-separated AuthnContextClassRef URIs to request")
    r.add_argument("--authn-comparison", default="exact", choices=["exact", "minimum", "maximum", "better"])
    r.set_defaults(fn=cmd_authn_request)

    st = sub.add_parser("status-response", help="check a status-only SAMLResponse (signature, codes)")
    common(st)
    st.add_argument("--saml-response", required=True, help="base64 SAMLResponse; '@FILE' reads it from FILE")
    st.set_defaults(fn=cmd_status_response)

    c = sub.add_parser("consume", help="verify a POSTed SAMLResponse as Huawei's SP (strict)")
    common(c)
    c.add_argument("--request-id", required=True)
    c.add_argument("--saml-response", required=True, help="base64 SAMLResponse; '@FILE' reads it from FILE")
    c.add_argument("--relay-state")
    c.add_argument("--verifier", default="both", choices=["onelogin", "pysaml2", "both"])
    c.set_defaults(fn=cmd_consume)

    lo = sub.add_parser("logout-request", help="signed Redirect-bound LogoutRequest URL")
    common(lo)
    lo.add_argument("--name-id", required=True)
    lo.add_argument("--session-index", required=True)
    lo.add_argument("--name-id-format", default=NAMEID_TRANSIENT)
    lo.add_argument("--relay-state")
    lo.add_argument("--sig-alg", default="rsa-sha256", choices=sorted(SIG_ALGS))
    lo.set_defaults(fn=cmd_logout_request)

    s = sub.add_parser("sign-query", help="Redirect-style signature over QUERY&SigAlg=…")
    common(s, idp=False)
    s.add_argument("--query", required=True, help="e.g. bindRequest=<urlencoded base64 JSON>; signed as given")
    s.add_argument("--sig-alg", default="rsa-sha256", choices=sorted(SIG_ALGS))
    s.set_defaults(fn=cmd_sign_query)

    v = sub.add_parser("verify-logout-response", help="verify a Redirect-bound LogoutResponse URL")
    common(v)
    v.add_argument("--url", required=True)
    v.add_argument("--request-id", required=True)
    v.set_defaults(fn=cmd_verify_logout_response)

    a = p.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if a.debug else logging.CRITICAL, stream=sys.stderr)
    if getattr(a, "saml_response", None) and a.saml_response.startswith("@"):
        a.saml_response = read_text(a.saml_response[1:]).strip()
    try:
        a.fn(a)
    except Fail as e:
        err = dict(error=str(e), **e.extra)
        emit(err)
        sys.stderr.write(json.dumps(err, sort_keys=True) + "\n")
        return 1
    except Exception as e:
        err = {"error": "%s: %s" % (type(e).__name__, e)}
        if a.debug:
            import traceback

            err["traceback"] = traceback.format_exc()
        emit(err)
        sys.stderr.write(json.dumps(err, sort_keys=True) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
