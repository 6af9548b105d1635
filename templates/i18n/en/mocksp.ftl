# samlgate mocksp pages (en). Every message has a twin in the other language (a test checks).
# The mock SP plays HUAWEI CLOUD (mock); its demo partner page plays "Acme Cloud Store".

## Shared by the mock SP's pages (mocksp_base.html)
mock-site-name = samlgate mock SP
mock-logo-huawei = HUAWEI
mock-logo-cloud = { " " }CLOUD
mock-tag = MOCK SP
mock-footer = samlgate mock-sp — a local stand-in for Huawei Cloud's SAML service provider, for demos and tests. Not Huawei.
mock-back-to-partner = Back to the partner platform
mock-partner-platform = Partner platform

## Index (/)
mock-index-title = samlgate mock SP
mock-index-what = A local stand-in for Huawei Cloud's SAML service provider. Start at the partner platform's “Go to console” link.
mock-index-metadata = SP metadata

## Not signed in
mock-not-signed-in-title = Not signed in
mock-not-signed-in-what = There is no mock console session in this browser. Start from the partner platform's “Go to console” link.

## Bind page (/authui/bind)
mock-bind-heading = Bind a HUAWEI CLOUD account
mock-bind-who = partner customer { $user }
mock-bind-came-as = Partner platform customer:
mock-bind-name = ({ $name })
mock-bind-first-visit = This is your first visit: choose the HUAWEI CLOUD account to use. Binding creates a reseller association between the partner and this account.
mock-bind-new = Create a new HUAWEI CLOUD account
mock-bind-new-what = The mock makes up an account name and ID.
mock-bind-existing = Use an existing HUAWEI CLOUD account
mock-bind-account-name = Account name:
mock-bind-account-placeholder = e.g. acme-dev
mock-bind-submit = Bind and continue
mock-bind-notify-what = After you submit, the mock SP sends the signed binding notification from this browser, as Huawei does, to
mock-bind-notify-fields = Fields:

## Binding notification page (POST /authui/bind)
mock-notify-title = Binding…
mock-notify-heading = Binding your HUAWEI CLOUD account…
mock-notify-account-name = Account name
mock-notify-account-id = Account ID (domainId)
mock-notify-sending = Notifying the partner platform at
mock-notify-noscript = JavaScript is off: press both buttons.
mock-notify-send = Send notification
mock-notify-frame-title = binding notification
mock-notify-continue = Continue to the console

## Console (/console)
mock-console-title = Console
mock-console-heading = Welcome to the (mock) HUAWEI CLOUD console
mock-console-signed-in = Signed in through SAML single sign-on from the partner platform.
mock-console-name = Name
mock-console-service = Going to (service)
mock-console-bound = Bound account
mock-console-binding = { $name } (domainId { $id })
mock-console-attributes = Attributes in the assertion
mock-console-logout = Log out
mock-console-logout-what = Log out sends a signed LogoutRequest (HTTP-Redirect) to the IdP and expects a signed LogoutResponse back.

## Signed out
mock-signed-out-title = Signed out
mock-signed-out-what = You are signed out of the (mock) HUAWEI CLOUD console and of the partner gateway session.
mock-signed-out-here-title = Signed out here
mock-signed-out-here-what = You are signed out of the (mock) HUAWEI CLOUD console, but the IdP answered the logout with status { $status }.
mock-idp-ended-what = The IdP ended your session.

## No partner page
mock-no-partner-title = No partner page
mock-no-partner-what = This mock SP runs without the gateway's hand-off secret (start it next to the gateway's config, or use “samlgate demo”).

## Refusal page: the failed check (#check) and what it means
mock-refused-title = Refused
mock-refused-heading = { $status } — the mock SP refused this
mock-refused-check = Failed check:
mock-refused-detail = Technical detail:
mock-refused-real-sp = A real SP refuses such a message too. The mock SP log has the details.
mock-check-account-name = The account name must be 1–64 letters, digits, “_”, “-” or “.”.
mock-check-assertion = The response must carry exactly one unencrypted assertion.
mock-check-assertion-replay = This assertion was already used: an SP accepts each assertion only once.
mock-check-assertion-signature = The assertion is not signed by the IdP, or it was changed after signing.
mock-check-audience = The assertion is not addressed to this SP (Audience).
mock-check-authn-request = The mock SP could not build its AuthnRequest.
mock-check-bad-encoding = The form is not UTF-8.
mock-check-base64 = SAMLResponse is not valid Base64.
mock-check-bind-signature = The mock SP could not sign the binding notification.
mock-check-busy = The mock SP is busy. Try again in a moment.
mock-check-choice = Choose a new or an existing account.
mock-check-destination = The message was sent to another address (Destination).
mock-check-duplicate-parameter = A parameter appears more than once.
mock-check-idp-metadata = The IdP metadata cannot be loaded, or it lacks an endpoint the mock SP needs.
mock-check-in-response-to = The message answers no outstanding request of this SP (unknown, expired or already answered), or answers none at all (unsolicited: accepted only when the mock runs with --allow-unsolicited).
mock-check-is-first-login = isFirstLogin must be true, false or empty.
mock-check-issuer = The message does not come from the IdP (Issuer).
mock-check-logout-request = The mock SP could not build its LogoutRequest.
mock-check-logout-response = The mock SP could not build its LogoutResponse.
mock-check-message = The SAML message is missing or malformed.
mock-check-recipient = The assertion is meant for another address (Recipient), not this ACS.
mock-check-name = The name is not accepted by HUAWEI CLOUD.
mock-check-relay-state = RelayState is not the one sent with the request.
mock-check-response-signature = The signature of the response is not valid.
mock-check-return-to = return_to must be the gateway's /saml/sso URL.
mock-check-service = The service parameter is too long.
mock-check-signature = The message is not signed by the IdP, or it was changed after signing.
mock-check-size = The request is too large.
mock-check-status = The IdP did not answer with Success.
mock-check-subject = The assertion has no usable subject (NameID).
mock-check-subject-confirmation = The assertion has no valid bearer subject confirmation.
mock-check-time-window = The assertion is not valid now (expired or not yet valid).
mock-check-too-large = The query string is too long.
mock-check-user = The customer ID must be 1–128 characters.
mock-check-x-account-type = The xAccountType is not this partner platform's.
mock-check-xml = The message is not well-formed XML, or it exceeds the parser's limits.
mock-check-other = The request was refused.

## Demo partner platform (/partner)
partner-demo-brand = Acme Cloud Store
partner-demo-title = { partner-demo-brand } — partner platform (demo)
partner-demo-tagline = partner sales platform · demo
partner-demo-heading = Your cloud resources
partner-demo-what = You are a customer of this partner platform. “Go to console” takes you to HUAWEI CLOUD already signed in: the platform hands you to samlgate with a one-time token, samlgate sends you to Huawei, and Huawei asks samlgate for a SAML assertion.
partner-demo-mock-at = Here Huawei is played by the mock SP at
partner-demo-user = Customer ID (xUserId)
partner-demo-name = Name
partner-demo-service = Go to
partner-demo-service-console = Console home
partner-demo-service-ecs = Elastic Cloud Server (ECS)
partner-demo-service-evs = Elastic Volume Service (EVS)
partner-demo-service-vpc = Virtual Private Cloud (VPC)
partner-demo-service-iam = Identity and Access Management (IAM)
partner-demo-go = Go to console
partner-demo-gateway = Gateway:
partner-demo-token = The token is made server-side with
