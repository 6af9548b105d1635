//! Per-client rate limits on the endpoints an attacker would hammer (`/console`, `/saml/sso`,
//! `/saml/slo`, `/huawei/bind`, admin login) and a cap on request header size.
//!
//! A token bucket per (client IP, endpoint): `rate_limit_per_minute` tokens a minute, bursts up to a
//! tenth of that (at least 10). The client IP is the one [`around_request`](super::error::around_request)
//! resolved: the TCP peer, or behind `server.trusted_proxies` the nearest untrusted
//! `X-Forwarded-For` entry (never the leftmost one, which the client writes). State is per
//! process: with N replicas behind a balancer the effective limit is up to N times the setting.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use axum::body::{Body, HttpBody as _};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{Caller, Refusal};

/// Endpoints under a rate limit.
pub const LIMITED_PATHS: &[&str] =
    &["/console", "/saml/sso", "/saml/init", "/saml/slo", "/logout", "/huawei/bind", "/admin/login"];

/// Largest total size of request headers accepted.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

struct Bucket {
    tokens: f64,
    last: Instant,
}

pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<(IpAddr, &'static str), Bucket>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        RateLimiter { per_minute, buckets: Mutex::new(HashMap::new()) }
    }

    fn burst(&self) -> f64 {
        (self.per_minute as f64 / 10.0).max(10.0)
    }

    /// Takes a token for `ip` on `path`; false when the client is over its limit.
    pub fn allow(&self, ip: IpAddr, path: &'static str, now: Instant) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let rate = self.per_minute as f64 / 60.0;
        let burst = self.burst();
        let Ok(mut map) = self.buckets.lock() else { return true };
        if map.len() > 100_000 {
            // Forget idle clients rather than grow without bound.
            map.retain(|_, b| now.duration_since(b.last).as_secs_f64() * rate < burst);
        }
        let b = map.entry((ip, path)).or_insert(Bucket { tokens: burst, last: now });
        b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * rate).min(burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Middleware: header size cap, then the rate limit for limited endpoints.
pub async fn limit(State(limiter): State<std::sync::Arc<RateLimiter>>, req: Request, next: Next) -> Response {
    let header_bytes: usize = req.headers().iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    if header_bytes > MAX_HEADER_BYTES {
        return Refusal::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "too_large",
            "the request headers are too large",
        )
        .into_response();
    }
    if let Some(path) = LIMITED_PATHS.iter().find(|p| **p == req.uri().path())
        && let Some(ip) = req.extensions().get::<Caller>().and_then(|c| c.client)
        && !limiter.allow(ip, path, Instant::now())
    {
        let mut r = Refusal::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests from this address; try again in a minute",
        )
        .into_response();
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return r;
    }
    next.run(req).await
}

/// Middleware: reads the whole request body, at most `server.max_body_bytes` (else 413), before
/// anything answers the request. An answer sent with part of the body still unread (no admin session,
/// a wrong CSRF token, a rate limit, a refusal by the route) ends the connection with that data in the
/// socket's receive buffer, and the kernel then resets it instead of closing it: the client may see
/// "connection reset" instead of the answer (hyper issues 2384 and 3078). Requests without a body (the
/// Redirect-bound SSO hop) pass untouched.
pub async fn read_body_first(State(max_body_bytes): State<usize>, req: Request, next: Next) -> Response {
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, max_body_bytes).await {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        // Too long: the plain status, rendered by `around_request` with the limit named.
        Err(e) if is_length_limit(&e) => StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        Err(e) => Refusal::bad_request("bad_body", format!("the request body could not be read: {e}")).into_response(),
    }
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = s.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_refills_over_time() {
        let l = RateLimiter::new(60);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let t0 = Instant::now();
        let allowed = (0..100).filter(|_| l.allow(ip, "/console", t0)).count();
        assert_eq!(allowed, 10, "burst");
        assert!(!l.allow(ip, "/console", t0));
        assert!(l.allow(ip, "/saml/sso", t0), "separate bucket per endpoint");
        assert!(l.allow("10.0.0.2".parse().unwrap(), "/console", t0), "separate bucket per client");
        assert!(l.allow(ip, "/console", t0 + Duration::from_secs(2)), "one token a second");
    }

    #[test]
    fn zero_disables() {
        let l = RateLimiter::new(0);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        assert!((0..10_000).all(|_| l.allow(ip, "/console", Instant::now())));
    }
}
