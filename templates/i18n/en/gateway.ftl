# samlgate's pages in English. Every message here has a twin in zh-CN.ftl (a test checks).
# Arguments: $partner is the partner's name (ui.partner_name) or "the partner platform".

## Shared
partner-platform = the partner platform
huawei-cloud = HUAWEI CLOUD
back-to-partner = Back to { $partner }
correlation-id = Reference for support:
refusal-code = Reason code:
technical-detail = Technical detail (for support)
http-status = HTTP status
continue = Continue
footer-gateway = Sign-in gateway of { $product } for HUAWEI CLOUD

## Landing page (/)
landing-title = Sign in to HUAWEI CLOUD
landing-what = This is the sign-in gateway that takes customers of { $partner } to the HUAWEI CLOUD console.
landing-how = To manage your cloud resources, sign in at { $partner } and click “Go to console”.

## The auto-post page
post-title = Signing you in
post-what = Signing you in to HUAWEI CLOUD…
post-noscript = JavaScript is off in this browser: press Continue to go on.

## Back or Reload on the auto-post page
already-title = You are already signed in
already-what = This sign-in step was completed a moment ago (the page was opened again with Back or Reload). Continue to the console, or start again from { $partner }.
already-continue = Continue to the console
already-start-again = Start again from { $partner }

## Signed out
signed-out-title = Signed out
signed-out-heading = You are signed out
signed-out-what = Your HUAWEI CLOUD session through { $partner } has ended. To open the console again, start from { $partner }.

## Binding result
bound-title = Account linked
bound-heading = Your account is linked
bound-heading-already = Your account was already linked
bound-what = Your account { $user } at { $partner } is linked to the HUAWEI CLOUD account { $account }.
bound-next = Next time you go to the console from { $partner } you will not be asked to link it again.
bound-continue = Continue to the HUAWEI CLOUD console

## Refusal pages: a headline and what to do, by cause
refusal-link-expired-title = This link has expired
refusal-link-expired-what = The sign-in link is only valid for a short time. Go back to { $partner } and click “Go to console” again.
refusal-link-used-title = This link was already used
refusal-link-used-what = Each sign-in link works once. Go back to { $partner } and click “Go to console” again.
refusal-link-invalid-title = This sign-in link is not valid
refusal-link-invalid-what = The link may be incomplete or altered. Go back to { $partner } and click “Go to console” again.
refusal-not-signed-in-title = You are not signed in
refusal-not-signed-in-what = Open HUAWEI CLOUD from { $partner }: sign in there and click “Go to console”.
refusal-already-answered-title = This sign-in was already completed
refusal-already-answered-what = This sign-in request was answered before, perhaps in another window. Go back to { $partner } and click “Go to console” again.
refusal-request-expired-title = The sign-in request has expired
refusal-request-expired-what = Too much time passed since HUAWEI CLOUD asked to sign you in. Go back to { $partner } and click “Go to console” again.
refusal-destination-title = This console page cannot be opened from here
refusal-destination-what = The link asks for a page the gateway does not open. Go back to { $partner } and choose the service again.
refusal-request-early-title = The sign-in request is not valid yet
refusal-request-early-what = The clocks of HUAWEI CLOUD and the gateway disagree. Wait a minute and try again from { $partner }; if it keeps happening, contact { $partner } support and quote the reference below.
refusal-logout-title = Signing out could not be completed
refusal-logout-what = You may already be signed out. Close the HUAWEI CLOUD console, and go back to { $partner } to sign in again.
refusal-bind-title = Linking your account could not be completed
refusal-bind-what = Go back to { $partner } and click “Go to console” again; you will be asked to link your HUAWEI CLOUD account again. If it keeps happening, contact { $partner } support and quote the reference below.
refusal-not-configured-title = This page is not set up yet
refusal-not-configured-what = { $partner } has not set where this link leads. Go back to { $partner }.
refusal-rejected-title = The sign-in could not be completed
refusal-rejected-what = The request did not pass one of the gateway's security checks. Go back to { $partner } and try again; if it keeps happening, contact { $partner } support and quote the reference below.
refusal-busy-title = Too many attempts
refusal-busy-what = Please wait a minute, then try again from { $partner }.
refusal-not-found-title = Page not found
refusal-not-found-what = There is no page at this address. Go back to { $partner }.
refusal-unavailable-title = The gateway is not ready
refusal-unavailable-what = The sign-in gateway cannot answer yet. Try again in a few minutes; if it keeps happening, contact { $partner } support and quote the reference below.
refusal-internal-title = Something went wrong
refusal-internal-what = The gateway could not complete this request. Try again in a moment; if it keeps happening, contact { $partner } support and quote the reference below.
refusal-admin-title = The request was refused
refusal-admin-what = Go back to the admin pages and try again.
refusal-sp-not-allowed-title = This service cannot be opened from here
refusal-sp-not-allowed-what = The service you asked for does not accept sign-ins started by { $partner }, or is not known to the gateway. Open it from its own sign-in page, or go back to { $partner }.
