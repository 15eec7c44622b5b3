//! Which IP addresses webhooks may be delivered to: the public internet
//! only, when deployed.
//!
//! [`is_public`] is the one classification both checks use: the creation
//! check on a URL's literal host
//! ([`ReturnUrl::is_internal`](super::ReturnUrl::is_internal)) and the
//! delivery connector's, on every address a name resolves to (the real
//! guard: a name can resolve anywhere, and resolve elsewhere later).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` is a globally routable unicast address: not this machine,
/// not a private, shared or link-local network, not multicast, broadcast,
/// reserved, benchmarking or documentation space. An IPv6 address that
/// carries an IPv4 one (IPv4-mapped `::ffff:0:0/96`, IPv4-compatible
/// `::/96`, NAT64 `64:ff9b::/96`) is judged by the IPv4 address it carries.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0 // "this network", 0.0.0.0 among it
        || a == 10 // private
        || (a == 100 && (64..128).contains(&b)) // shared (CGNAT), 100.64.0.0/10
        || a == 127 // loopback
        || (a == 169 && b == 254) // link-local (cloud metadata)
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // TEST-NET-1
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast (deprecated)
        || (a == 192 && b == 168) // private
        || (a == 198 && (b == 18 || b == 19)) // benchmarking, 198.18.0.0/15
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // TEST-NET-3
        || a >= 224; // multicast 224/4, reserved 240/4, broadcast
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // Forms that carry an IPv4 address in their last 32 bits.
    let embedded = || Ipv4Addr::from(u128::from(ip) as u32);
    if ip.is_unspecified() || ip.is_loopback() {
        return false;
    }
    if s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0) {
        // IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d.
        return is_public_v4(embedded());
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        // NAT64, well-known prefix: the gateway connects to the IPv4 address.
        return is_public_v4(embedded());
    }
    // Global unicast is 2000::/3; everything outside it (unique local
    // fc00::/7, link-local fe80::/10, site-local fec0::/10, multicast
    // ff00::/8, discard 100::/64, local-use NAT64 64:ff9b:1::/48,
    // unassigned space) is not public.
    if s[0] & 0xe000 != 0x2000 {
        return false;
    }
    // 2001::/23: IETF protocol assignments (Teredo, benchmarking, ORCHID);
    // 2001:db8::/32: documentation.
    let refused = (s[0] == 0x2001 && (s[1] < 0x0200 || s[1] == 0x0db8))
        || s[0] == 0x2002 // 6to4 (deprecated; carries an IPv4 address)
        || (s[0] == 0x3fff && s[1] < 0x1000); // documentation 3fff::/20
    !refused
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().unwrap())
    }

    fn assert_refused(addrs: &[&str]) {
        for a in addrs {
            assert!(!public(a), "{a} must not be public");
        }
    }

    fn assert_public(addrs: &[&str]) {
        for a in addrs {
            assert!(public(a), "{a} must be public");
        }
    }

    #[test]
    fn public_addresses() {
        assert_public(&[
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ]);
    }

    #[test]
    fn loopback() {
        assert_refused(&["127.0.0.1", "127.255.255.255", "127.1.2.3", "::1"]);
        assert_public(&["126.255.255.255", "128.0.0.0"]);
    }

    #[test]
    fn private() {
        assert_refused(&[
            "10.0.0.0",
            "10.255.255.255",
            "172.16.0.0",
            "172.31.255.255",
            "192.168.0.0",
            "192.168.255.255",
        ]);
        assert_public(&[
            "9.255.255.255",
            "11.0.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.255.255",
            "192.169.0.0",
        ]);
    }

    #[test]
    fn link_local() {
        assert_refused(&[
            "169.254.0.0",
            "169.254.169.254",
            "169.254.255.255",
            "fe80::1",
            "febf::1",
        ]);
        assert_public(&["169.253.255.255", "169.255.0.0"]);
    }

    #[test]
    fn shared_cgnat() {
        assert_refused(&["100.64.0.0", "100.64.0.1", "100.127.255.255"]);
        assert_public(&["100.63.255.255", "100.128.0.0"]);
    }

    #[test]
    fn benchmarking() {
        assert_refused(&["198.18.0.0", "198.19.255.255", "2001:2::1"]);
        assert_public(&["198.17.255.255", "198.20.0.0"]);
    }

    #[test]
    fn reserved_broadcast_and_multicast() {
        assert_refused(&[
            "224.0.0.0",
            "239.255.255.255",
            "240.0.0.0",
            "250.1.2.3",
            "255.255.255.254",
            "255.255.255.255",
            "ff00::",
            "ff02::1",
            "ff0e::1",
        ]);
        assert_public(&["223.255.255.255"]);
    }

    #[test]
    fn unspecified_and_this_network() {
        assert_refused(&["0.0.0.0", "0.1.2.3", "0.255.255.255", "::"]);
        assert_public(&["1.0.0.0"]);
    }

    #[test]
    fn documentation_and_protocol_ranges() {
        assert_refused(&[
            "192.0.0.0",
            "192.0.0.255",
            "192.0.2.1",
            "192.88.99.1",
            "198.51.100.1",
            "203.0.113.1",
            "2001:db8::1",
            "2001:db8:ffff::1",
            "3fff::1",
            "3fff:fff::1",
            "2001::1",
            "2002:a00:1::1",
            "2002:808:808::1",
        ]);
        assert_public(&[
            "192.0.1.255",
            "192.0.3.0",
            "198.51.99.255",
            "203.0.114.0",
            "2001:200::1",
            "2001:db9::1",
            "2003::1",
        ]);
    }

    #[test]
    fn ipv4_mapped_and_compatible_are_judged_by_their_ipv4() {
        assert_refused(&[
            "::ffff:127.0.0.1",
            "::ffff:0.0.0.0",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:100.64.0.1",
            "::ffff:255.255.255.255",
            "::127.0.0.1",
            "::a00:1",
            "::0.0.0.2",
        ]);
        assert_public(&["::ffff:8.8.8.8", "::8.8.8.8"]);
    }

    #[test]
    fn nat64() {
        assert_refused(&[
            "64:ff9b::a00:1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::808:808",
        ]);
        assert_public(&["64:ff9b::808:808"]);
    }

    #[test]
    fn unique_local_and_unassigned_ipv6() {
        assert_refused(&[
            "fc00::",
            "fd00::1",
            "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "fec0::1",
            "100::1",
            "1fff::1",
            "4000::1",
        ]);
        assert_public(&["2600::1", "2c0f:f248::1"]);
    }
}
