//! Which address a request comes from, behind zero or more proxies.
//!
//! `X-Forwarded-For` is a list that every hop appends to: its leftmost entries are whatever the
//! client wrote. Only entries appended by proxies we trust mean anything, so the header is read
//! **from the right**: the TCP peer must be a trusted proxy (else the header is ignored and the peer
//! is the client); then each entry from the right that is itself a trusted proxy is skipped, and the
//! first one that is not is the client. With no trusted proxies configured the peer counts.
//!
//! The deprecated `server.trust_forwarded_for = true` means "one proxy in front, whatever its
//! address": the rightmost entry (the one that proxy appended).
//!
//! `axum-client-ip` offers a rightmost-entry extractor but no list of trusted hops, so the walk is
//! here and the CIDRs are parsed by `ipnet`.

use std::net::IpAddr;

use ipnet::IpNet;

/// Entries read from the right at most, so a long header costs bounded work.
pub const MAX_FORWARDED_HOPS: usize = 32;

/// How the client address is found: the configured trusted proxies, or the deprecated one-hop rule.
#[derive(Debug, Clone, Default)]
pub struct ClientAddrRule {
    trusted: Vec<IpNet>,
    one_proxy: bool,
}

/// Parses a trusted-proxy entry: a CIDR (`10.0.0.0/8`, `fd00::/8`) or a single address.
pub fn parse_proxy(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    if let Ok(n) = s.parse::<IpNet>() {
        return Ok(n.trunc());
    }
    s.parse::<IpAddr>().map(IpNet::from).map_err(|_| format!("`{s}` is not an IP address or CIDR (e.g. 10.0.0.0/8)"))
}

impl ClientAddrRule {
    /// `trusted`: CIDRs as in `server.trusted_proxies`; `one_proxy`: the deprecated
    /// `trust_forwarded_for` (used only when `trusted` is empty).
    pub fn new(trusted: &[String], one_proxy: bool) -> Result<Self, String> {
        let trusted = trusted.iter().map(|s| parse_proxy(s)).collect::<Result<Vec<_>, _>>()?;
        Ok(ClientAddrRule { one_proxy: one_proxy && trusted.is_empty(), trusted })
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|n| n.contains(&ip))
    }

    /// The client address of a request from `peer` carrying these `X-Forwarded-For` header values
    /// (in the order they appear).
    pub fn resolve<'a>(&self, peer: IpAddr, forwarded: impl IntoIterator<Item = &'a str>) -> IpAddr {
        let peer = peer.to_canonical();
        if self.trusted.is_empty() && !self.one_proxy {
            return peer;
        }
        if !self.one_proxy && !self.is_trusted(peer) {
            return peer;
        }
        let values: Vec<&str> = forwarded.into_iter().collect();
        let entries = values.iter().rev().flat_map(|v| v.rsplit(',')).take(MAX_FORWARDED_HOPS);
        let mut nearest = peer;
        for entry in entries {
            let Some(ip) = parse_entry(entry) else {
                // Not an address: nothing left of it can be trusted; the nearest hop we know stands.
                return nearest;
            };
            if self.one_proxy || !self.is_trusted(ip) {
                return ip;
            }
            nearest = ip;
        }
        nearest
    }
}

/// One `X-Forwarded-For` entry: an address, optionally `[v6]` or `v4:port` as some proxies write.
fn parse_entry(e: &str) -> Option<IpAddr> {
    let e = e.trim();
    if let Ok(ip) = e.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(rest) = e.strip_prefix('[') {
        let inner = rest.split(']').next()?;
        return inner.parse::<IpAddr>().ok().map(|ip| ip.to_canonical());
    }
    let (host, port) = e.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_counts() {
        let r = ClientAddrRule::new(&[], false).unwrap();
        assert_eq!(r.resolve(ip("203.0.113.9"), ["1.2.3.4"]), ip("203.0.113.9"));
    }

    #[test]
    fn the_header_is_read_from_the_right_skipping_trusted_hops() {
        let r = ClientAddrRule::new(&["10.0.0.0/8".into(), "192.0.2.7".into()], false).unwrap();
        // The client wrote "6.6.6.6"; the balancer 10.0.0.5 appended the real peer 198.51.100.4.
        let xff = ["6.6.6.6, 198.51.100.4"];
        assert_eq!(r.resolve(ip("10.0.0.5"), xff), ip("198.51.100.4"));
        // Two trusted hops, and a second header line.
        assert_eq!(r.resolve(ip("10.0.0.5"), ["6.6.6.6, 198.51.100.4", "192.0.2.7"]), ip("198.51.100.4"));
        // From an untrusted peer the header means nothing.
        assert_eq!(r.resolve(ip("198.51.100.4"), ["1.1.1.1"]), ip("198.51.100.4"));
        // Everything trusted: the leftmost trusted hop.
        assert_eq!(r.resolve(ip("10.0.0.5"), ["10.1.1.1"]), ip("10.1.1.1"));
        // Garbage stops the walk at the nearest known hop.
        assert_eq!(r.resolve(ip("10.0.0.5"), ["1.1.1.1, nonsense, 10.2.2.2"]), ip("10.2.2.2"));
        // IPv4-mapped peers match IPv4 CIDRs; entries with ports and brackets are understood.
        assert_eq!(r.resolve(ip("::ffff:10.0.0.5"), ["198.51.100.4:5123"]), ip("198.51.100.4"));
        assert_eq!(r.resolve(ip("10.0.0.5"), ["[2001:db8::1]:443"]), ip("2001:db8::1"));
    }

    #[test]
    fn the_deprecated_switch_trusts_one_proxy() {
        let r = ClientAddrRule::new(&[], true).unwrap();
        assert_eq!(r.resolve(ip("10.0.0.5"), ["6.6.6.6, 198.51.100.4"]), ip("198.51.100.4"));
        assert_eq!(r.resolve(ip("10.0.0.5"), []), ip("10.0.0.5"));
        // A list of trusted proxies wins over the switch.
        let r = ClientAddrRule::new(&["10.0.0.0/8".into()], true).unwrap();
        assert_eq!(r.resolve(ip("203.0.113.1"), ["6.6.6.6"]), ip("203.0.113.1"));
    }

    #[test]
    fn a_long_header_is_read_only_so_far() {
        let r = ClientAddrRule::new(&["10.0.0.0/8".into()], false).unwrap();
        let long = std::iter::repeat_n("10.9.9.9", 1000).collect::<Vec<_>>().join(",");
        let v = format!("6.6.6.6,{long}");
        assert_eq!(r.resolve(ip("10.0.0.5"), [v.as_str()]), ip("10.9.9.9"));
    }

    #[test]
    fn bad_entries_are_named() {
        assert!(ClientAddrRule::new(&["10.0.0.0/33".into()], false).unwrap_err().contains("10.0.0.0/33"));
        assert_eq!(parse_proxy("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
    }
}
