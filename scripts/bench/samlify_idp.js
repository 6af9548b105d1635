// samlify@2.13.1 IdP for scripts/bench-hop: the same hop as samlgate's GET /saml/sso.
//   node samlify_idp.js DIR PORT WORKERS
// DIR holds idp.key, idp.crt (RSA-2048) and sp-metadata.xml. Per request: session cookie looked up in
// memory, Redirect-bound AuthnRequest parsed with its query signature verified against the SP metadata
// (octet string exactly as received), single-use request ID (in memory, per worker), Response with an
// RSA-SHA256-signed Assertion (xUserId, name, mobile, email attributes), auto-post HTML form.
// samlify refuses to parse without a schema validator; the JVM one is not installed here, so the
// validator is STUBBED (no XSD validation) — the figure is for samlify without schema validation.
'use strict';
const cluster = require('node:cluster');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const [dir, port, workers] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4] || 2)];

if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (w, code) => { if (code) console.error(`worker ${w.process.pid} exited ${code}`); });
} else {
  const saml = require('samlify');
  saml.setSchemaValidator({ validate: () => Promise.resolve('skipped: validator stubbed for the benchmark') });
  const base = `http://127.0.0.1:${port}`;
  const idp = saml.IdentityProvider({
    entityID: `${base}/metadata`,
    privateKey: fs.readFileSync(path.join(dir, 'idp.key')),
    signingCert: fs.readFileSync(path.join(dir, 'idp.crt')),
    isAssertionEncrypted: false,
    wantAuthnRequestsSigned: true,
    requestSignatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    nameIDFormat: ['urn:oasis:names:tc:SAML:2.0:nameid-format:transient'],
    singleSignOnService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: `${base}/saml/sso` }],
  });
  const sp = saml.ServiceProvider({ metadata: fs.readFileSync(path.join(dir, 'sp-metadata.xml')) });
  const sessions = new Map([['bench-session-0001', { xUserId: 'customer-000123', name: 'Zhang San', mobile: '0086-13900000000', email: 'zhang.san@example.com' }]]);
  const seen = new Map();
  const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const id = () => '_' + crypto.randomBytes(16).toString('hex');
  const template = saml.SamlLib.defaultLoginResponseTemplate.context;

  const server = http.createServer(async (req, res) => {
    try {
      const [p, raw = ''] = req.url.split('?', 2);
      if (p === '/healthz') { res.end('ok'); return; }
      if (p !== '/saml/sso') { res.statusCode = 404; res.end(); return; }
      const cookie = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie || '');
      const user = cookie && sessions.get(cookie[1]);
      if (!user) { res.statusCode = 401; res.end('no session'); return; }
      const query = Object.fromEntries(new URLSearchParams(raw));
      // The signed octets exactly as received: SAMLRequest=…&RelayState=…&SigAlg=…
      const parts = raw.split('&');
      const pick = (k) => parts.find((x) => x.startsWith(k + '='));
      const octetString = ['SAMLRequest', 'RelayState', 'SigAlg'].map(pick).filter(Boolean).join('&');
      const info = await idp.parseLoginRequest(sp, 'redirect', { query, octetString });
      const reqId = info.extract.request.id;
      if (seen.has(reqId)) { res.statusCode = 400; res.end('replay'); return; }
      seen.set(reqId, Date.now());
      if (seen.size > 200000) seen.clear();
      const now = new Date();
      const later = new Date(now.getTime() + 5 * 60 * 1000).toISOString();
      const acs = sp.entityMeta.getAssertionConsumerService('post');
      const attrs = [['xUserId', user.xUserId], ['name', user.name], ['mobile', user.mobile], ['email', user.email]]
        .map(([n, v]) => `<saml:Attribute Name="${n}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri"><saml:AttributeValue>${esc(v)}</saml:AttributeValue></saml:Attribute>`)
        .join('');
      const sessionIndex = id();
      const result = await idp.createLoginResponse(sp, info, 'post', user, {
        relayState: query.RelayState,
        customTagReplacement: (tpl) => {
          const rid = id();
          return {
            id: rid,
            context: saml.SamlLib.replaceTagsByValue(template, {
              ID: rid, AssertionID: id(), Destination: acs, Audience: sp.entityMeta.getEntityID(),
              SubjectRecipient: acs, Issuer: idp.entityMeta.getEntityID(), IssueInstant: now.toISOString(),
              StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success', ConditionsNotBefore: now.toISOString(),
              ConditionsNotOnOrAfter: later, SubjectConfirmationDataNotOnOrAfter: later,
              NameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient', NameID: id(), InResponseTo: reqId,
              AuthnStatement: `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="${sessionIndex}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`,
              AttributeStatement: `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>`,
            }),
          };
        },
      });
      const html = `<!DOCTYPE html><html><body onload="document.forms[0].submit()"><form method="post" action="${esc(result.entityEndpoint)}">`
        + `<input type="hidden" name="SAMLResponse" value="${esc(result.context)}">`
        + (query.RelayState ? `<input type="hidden" name="RelayState" value="${esc(query.RelayState)}">` : '')
        + '<noscript><button type="submit">Continue</button></noscript></form></body></html>';
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
    } catch (e) {
      res.statusCode = 400;
      res.end(String(e && e.message || e));
    }
  });
  server.keepAliveTimeout = 60000;
  server.listen(port, '127.0.0.1');
}
