# samlgate admin pages (en). Every message has a twin in the other language (a test checks).
# Partner Center (伙伴中心) shows its field names in Chinese: the pages show them in both languages.
# Arguments: $product is ui.product_name; $zone is the IANA name of ui.timezone; $date is a time
# already formatted in that zone.

## Shared: navigation, titles, tables, pager
admin-brand = { $product } admin
admin-title = { $page } · Admin
admin-nav-overview = Overview
admin-nav-return-urls = Return URLs
admin-nav-bindings = Bindings
admin-nav-audit = Audit log
admin-sign-out = Sign out
admin-newer = ← Newer
admin-older = Older →
admin-page-number = page { $n }
admin-col-time = Time ({ $zone })
admin-col-kind = Kind
admin-col-actor = Actor
admin-col-subject = Subject
admin-col-detail = Detail
admin-time-zoned = { $time } ({ $zone })
admin-full-stop = .
admin-list-separator = {"; "}
admin-level-ok = ok
admin-level-warn = warn
admin-level-bad = bad

## Sign-in
admin-login-title = Sign in
admin-login-name = Name
admin-login-password = Password
admin-login-submit = Sign in
admin-login-wrong = Wrong name or password.
admin-login-locked = This account is locked after repeated failed sign-ins; try again in { $seconds } seconds.

## No admin user yet
admin-setup-title = Admin setup
admin-setup-heading = No admin user yet
admin-setup-what = The admin pages need at least one admin user. Create one on the gateway's host (no restart needed):
admin-setup-password-before = The password is read from standard input, or from an environment variable with
admin-setup-password-after = .
admin-setup-hash-before = Only its argon2id hash is kept, in the gateway's store (every replica sees it). Users in
admin-setup-hash-after = {" "}of the config file work too.

## Overview: the Partner Center checklist
admin-overview-title = Overview
admin-checklist-heading = Access configuration checklist
admin-checklist-where = What to enter in Partner Center → Support (服务支持) → Open APIs (能力开放) → Access Configuration (接入配置).
admin-col-field = Partner Center field
admin-col-value = What to enter
admin-col-notes = Notes
admin-metadata-download = Download IDP Metadata.xml
admin-note-metadata = upload this file ({ $bytes } bytes; the limit is 2 MB)
admin-note-notification = Huawei posts the binding result here after a customer's first login
admin-note-redirects = redirects to { $url }
admin-note-no-target = no target set yet: set it under Return URLs (until then this link answers 404)
admin-cert-fingerprint = IdP certificate SHA-256 fingerprint
admin-cert-valid-until = valid until { $date }, { $days } days left
admin-cert-expired-on = expired on { $date }, { $days } days ago
admin-metadata-size = metadata { $bytes } bytes
admin-status-heading = Status
admin-card-bindings = bindings
admin-card-list = list
admin-card-recent = recent audit events
admin-card-all = all
admin-recent-heading = Recent audit events
admin-none-yet = None yet.

## Overview: status checks
admin-check-entity-id-https = entityID uses https
admin-check-entity-id-not-https = entityID is not https
admin-check-entity-id-not-https-detail = { $url }: Huawei requires https:// in production
admin-check-base-url-https = Public base URL uses https
admin-check-base-url-not-https = Public base URL is not https
admin-check-base-url-not-https-detail = { $url }: fine for local trials only
admin-check-x-account-type-placeholder = xAccountType is still the placeholder
admin-check-x-account-type-placeholder-detail = set huawei.x_account_type to the value shown on Partner Center's Access Configuration page (接入配置)
admin-check-x-account-type-set = xAccountType is set
admin-check-bp-id-set = bpId (partner ID) is set
admin-check-bp-id-unset = bpId (partner ID) is not set
admin-check-bp-id-unset-detail = Huawei's sample assertion carries the partner ID as the `bpId` attribute: set huawei.bp_id to the partner ID Huawei gave your company when it joined the partner network (Partner Center → Partner Information Management / 伙伴信息管理; your Huawei account manager can confirm it)
admin-check-huawei-sp = Huawei's SP metadata
admin-check-huawei-sp-missing = no imported SP has Huawei's entityID `{ $entity }` (huawei.sp_entity_id): the binding notification cannot be verified; import Huawei's SP metadata with `samlgate sp import`
admin-check-huawei-sp-overridden = huawei.sp_metadata names `{ $configured }`, but Huawei's SP metadata was imported with `sp import` from `{ $source }` on { $date } and that import is what the gateway uses (the store wins; the config only seeds an empty store). To use `{ $configured }` instead, run `samlgate sp import { $configured }`
admin-check-cert-days-left = IdP signing certificate: { $days } days left
admin-check-cert-expired = IdP signing certificate: expired { $days } days ago
admin-check-cert-detail = { $key }, valid until { $date }
admin-check-no-sp = No SP metadata imported
admin-check-no-sp-detail = import Huawei's SP Metadata.xml (huawei.sp_metadata)
admin-check-sp-unreadable = SP { $entity }: stored metadata unreadable
admin-check-sp-imported = SP metadata imported: { $entity }
admin-check-sp-detail = from { $source } ({ $origin }), updated { $date }; signature { $signature }
admin-check-sp-cert = signing certificate { $validity }
admin-check-sp-no-cert = no signing certificate: signed requests cannot be verified
admin-check-sp-warning = SP { $entity }
admin-sp-origin-config = config
admin-sp-origin-import = import
admin-sp-unsigned = unsigned (no signature to check; imported as the operator's choice)
admin-sp-verified = verified ({ $algorithm } over a { $digest } digest) by pinned certificate { $signer }, SHA-256 { $fingerprint }
admin-check-return-url = { $label } return URL
admin-check-return-url-unset = { $label } return URL not set
admin-check-return-url-saved = { $url } (saved here)
admin-check-return-url-config = { $url } (config file)

## Return URLs (回跳地址)
admin-return-urls-title = Return URLs
admin-return-urls-heading = Partner return URLs (回跳地址)
admin-return-urls-what-before = Where the gateway sends customers back to the partner platform. A value saved here applies to every gateway replica and overrides the config file's
admin-return-urls-what-after = ; clear a field to use the config file's value again. Only https URLs (http only for 127.0.0.1/localhost), without user names or passwords.
admin-return-after-logout = After logout
admin-return-after-logout-help = The partner page a customer sees after signing out (/logout, /saml/slo).
admin-return-order-paid = Order paid (订单支付成功跳转地址)
admin-return-order-paid-help = Huawei's "View order details" link after a customer pays returns here.
admin-return-recharge = Recharge (订单充值跳转地址)
admin-return-recharge-help = The partner's top-up page, offered by Huawei when the balance is low.
admin-saved = Saved.
admin-nothing-saved = Nothing was saved: fix the fields marked below.
admin-placeholder-config = { $url } (config file)
admin-not-set = Not set.
admin-in-use = In use:
admin-in-use-source = ({ $source })
admin-source-saved = saved here
admin-source-config = config file
admin-source-unset = not set
admin-partner-center-gets = Partner Center gets:
admin-save = Save
admin-url-too-long = must be at most { $max } characters
admin-url-whitespace = must not contain whitespace, control characters or backslashes
admin-url-not-absolute = `{ $url }` is not an absolute URL ({ $error })
admin-url-needs-https = `{ $url }` must use https (http only for 127.0.0.1/localhost)
admin-url-scheme = scheme `{ $scheme }` is not allowed; use https
admin-url-no-host = must name a host
admin-url-credentials = must not carry credentials (user@ or user:password@)

## Bindings
admin-bindings-title = Bindings
admin-bindings-what = { $count } partner customers (xUserId) linked to a HUAWEI CLOUD account — by Huawei's binding notification, or recorded here for customers created with Huawei's create-customer Partner API — newest first.
admin-bindings-remove = To remove one, run
admin-bindings-added = Bound { $user }: its next jump uses isFirstLogin=false.
admin-bindings-add-legend = Add a customer bound through the Partner API
admin-bindings-add-what = A customer created with Huawei's create-customer API (its xaccount_id is the xUserId) is already associated with its HUAWEI CLOUD account.
admin-bindings-add-why = Record it here so that its first jump says
admin-optional = { $field } (optional)
admin-bindings-add = Add binding
admin-bindings-none = No bindings.
admin-bindings-none-on-page = No bindings on this page.
admin-col-bound = Bound ({ $zone })
admin-not-given = (not given)
admin-bind-bad-x-user-id = xUserId must be 1 to 128 characters without control characters
admin-bind-bad-domain-id = domainId must be at most 64 characters without spaces or control characters
admin-bind-bad-domain-name = domainName must be at most 128 characters without control characters
admin-bind-changed = The binding of `{ $user }` changed meanwhile; try again.
admin-bind-conflict = xUserId `{ $user }` is already bound to domainId `{ $domain }`; remove that binding first.

## Audit log
admin-audit-title = Audit log
admin-audit-kind = Event kind
admin-audit-kind-placeholder = admin.login, or a prefix: bind.
admin-audit-show-all = show all
admin-audit-none = No events.
admin-audit-who = Customer (xUserId) or admin
admin-audit-correlation-id = Correlation id
admin-audit-since = From ({ $zone })
admin-audit-until = Until ({ $zone })
admin-audit-search = Search
admin-audit-export = Download this search:
admin-audit-none-found = No events match this search.
admin-audit-newest = ← Newest
admin-bindings-search-placeholder = xUserId or domainId
admin-bindings-none-found = No binding has the xUserId or domainId { $value }.
admin-bindings-removed = The binding of { $user } was removed: its next jump says isFirstLogin=true.
admin-bindings-remove-link = Remove…
admin-bindings-remove-title = Remove a binding
admin-bindings-remove-what = After removal the customer's next “go to console” says isFirstLogin=true, and HUAWEI CLOUD shows its bind page again. Huawei's own association of the account is not changed.
admin-bindings-remove-confirm = Remove this binding
admin-cancel = Cancel
admin-nav-users = Users
admin-users-title = Admin users
admin-users-what = Who may sign in to these pages. Users added here (or with samlgate admin add-user) are kept in the store, as argon2id hashes, and every gateway replica accepts them at once; users of [[admin.users]] in the config file are changed in that file.
admin-users-name = Name
admin-users-source = Defined in
admin-users-updated = Password set ({ $zone })
admin-users-you = you
admin-users-in-config-file = config file
admin-users-in-store = store
admin-users-add-legend = Add a user, or set a new password
admin-users-password = Password (at least 12 characters)
admin-users-password2 = The password again
admin-users-save = Save
admin-users-added = Added admin user { $name }.
admin-users-changed = New password set for { $name }.
admin-users-removed = Removed admin user { $name }.
admin-users-mismatch = The two passwords are not the same.
admin-users-invalid = Not saved: { $reason }.
admin-users-not-found = There is no admin user { $name }.
admin-users-in-config = { $name } is defined in the config file's [[admin.users]]: remove it there.
admin-users-last = { $name } is the last admin user: add another one first.
admin-users-remove-title = Remove an admin user
admin-users-remove-what = { $name } will no longer be able to sign in; its open sessions end at their next request.
admin-users-remove-confirm = Remove this user
admin-nav-sps = Service providers
admin-sps-title = Service providers (SP metadata)
admin-sps-what = The SAML service providers the gateway answers: Huawei's SP (its SP Metadata.xml from Partner Center) and any other. A document signed by Huawei must verify with the pinned certificate; a refused document leaves the stored one in use.
admin-sps-upload = Upload SP Metadata.xml (at most { $kib } KiB)
admin-sps-upload-button = Upload and import
admin-sps-url = Or import from an https URL (fetched again regularly)
admin-sps-url-button = Fetch and import
admin-sps-url-needed = Give an https URL of the SP metadata.
admin-sps-none = No SP imported yet.
admin-sps-huawei = Huawei's SP
admin-sps-source = Source
admin-sps-times = Imported / changed ({ $zone })
admin-sps-signature = Signature
admin-sps-cert = { $cert }; { $days } days left
admin-sps-cert-unreadable = (unreadable certificate)
admin-sps-unreadable = (the stored copy cannot be read; import it again)
admin-sps-last = Last import or refusal
admin-sps-refresh = Fetch again now
admin-sps-delete-link = Delete…
admin-sps-imported = Imported { $entity }.
admin-sps-unchanged = { $entity } is already imported from there (unchanged).
admin-sps-deleted = Deleted { $entity }.
admin-sps-refused = Not imported: { $reason }
admin-sps-delete-title = Delete a service provider
admin-sps-delete-what = The gateway will no longer answer { $entity }: its sign-in requests will be refused as unknown_issuer.
admin-sps-delete-confirm = Delete this SP
admin-nav-decode = Decoder
admin-decode-title = SAML message decoder
admin-decode-what = Paste what the browser or a log captured — a Redirect URL, its query string, a base64 SAMLRequest (deflated or not) or the XML. You see the message indented and every check the gateway would run on it: the SP's signature with the certificates from its imported metadata, Issuer, Destination, times, ACS and whether the request was already answered. Nothing is stored or spent.
admin-decode-button = Decode and check
admin-decode-check = Check
admin-decode-pass = pass
admin-decode-fail = fail
admin-decode-not-saml = Not decoded: { $reason }
