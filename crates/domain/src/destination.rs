//! Where webhooks may be sent: no request from Slotline may reach the machine it runs on, its
//! private network or a cloud metadata service unless the operator allows those addresses.
//! Checked against every address a host name resolves to, at connect time.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// Why an address is refused, or `None` when it is public or explicitly allowed.
pub fn refused(ip: IpAddr, allowed: &[IpNet]) -> Option<&'static str> {
    // An IPv4 address written as IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address.
    let ip = match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    if allowed.iter().any(|net| net.contains(&ip)) {
        return None;
    }
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u8) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let table: [([u8; 4], u8, &'static str); 14] = [
        ([0, 0, 0, 0], 8, "unspecified"),
        ([127, 0, 0, 0], 8, "loopback"),
        ([10, 0, 0, 0], 8, "private"),
        ([172, 16, 0, 0], 12, "private"),
        ([192, 168, 0, 0], 16, "private"),
        ([169, 254, 0, 0], 16, "link-local (cloud metadata)"),
        ([100, 64, 0, 0], 10, "carrier-grade NAT"),
        ([192, 0, 0, 0], 24, "IETF protocol assignments"),
        ([198, 18, 0, 0], 15, "benchmarking"),
        ([192, 0, 2, 0], 24, "documentation"),
        ([198, 51, 100, 0], 24, "documentation"),
        ([203, 0, 113, 0], 24, "documentation"),
        ([224, 0, 0, 0], 4, "multicast"),
        ([240, 0, 0, 0], 4, "reserved"),
    ];
    table
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, why)| *why)
}

/// The IPv4 address in the last 32 bits of `ip`.
fn low_v4(ip: Ipv6Addr) -> Ipv4Addr {
    let [.., a, b, c, d] = ip.octets();
    Ipv4Addr::new(a, b, c, d)
}

fn in_v6(ip: Ipv6Addr, net: [u16; 8], prefix: u8) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    };
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(net)) & mask
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_unspecified() {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if in_v6(ip, [0, 0, 0, 0, 0, 0, 0, 0], 96) {
        // ::a.b.c.d, deprecated (RFC 4291): no real destination is written so.
        Some("IPv4-compatible (deprecated)")
    } else if in_v6(ip, [0, 0, 0, 0, 0xffff, 0, 0, 0], 96) {
        // ::ffff:0:a.b.c.d, IPv4-translated (SIIT): judged by the IPv4 address inside.
        refused_v4(low_v4(ip))
    } else if in_v6(ip, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96) {
        // NAT64: judged by the IPv4 address inside.
        refused_v4(low_v4(ip))
    } else if in_v6(ip, [0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48) {
        Some("local-use NAT64")
    } else if s[0] == 0x2002 {
        // 6to4: the IPv4 address of the relay's far end sits in bits 16..48.
        let [a, b] = s[1].to_be_bytes();
        let [c, d] = s[2].to_be_bytes();
        refused_v4(Ipv4Addr::new(a, b, c, d))
    } else if in_v6(ip, [0x2001, 0, 0, 0, 0, 0, 0, 0], 32) {
        // Teredo hides the client's IPv4 address (obfuscated) and tunnels through a relay.
        Some("Teredo tunnel")
    } else if in_v6(ip, [0x2001, 0x10, 0, 0, 0, 0, 0, 0], 28)
        || in_v6(ip, [0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28)
    {
        Some("ORCHID (not routable)")
    } else if in_v6(ip, [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32)
        || in_v6(ip, [0x3fff, 0, 0, 0, 0, 0, 0, 0], 20)
    {
        Some("documentation")
    } else if in_v6(ip, [0x100, 0, 0, 0, 0, 0, 0, 0], 64) {
        Some("discard-only")
    } else if s[0] & 0xfe00 == 0xfc00 {
        Some("unique local (cloud metadata)")
    } else if s[0] & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if s[0] & 0xffc0 == 0xfec0 {
        Some("site-local (deprecated)")
    } else if s[0] & 0xff00 == 0xff00 {
        Some("multicast")
    } else {
        None
    }
}

/// Parses an allow list such as `127.0.0.0/8,::1/128` (a bare address means just it).
pub fn parse_allowed(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("not an address or CIDR: '{s}'"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn internal_addresses_are_refused() {
        for (a, why) in [
            ("127.0.0.1", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local (cloud metadata)"),
            ("100.64.0.1", "carrier-grade NAT"),
            ("100.100.100.200", "carrier-grade NAT"),
            ("0.0.0.0", "unspecified"),
            ("224.0.0.1", "multicast"),
            ("255.255.255.255", "reserved"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fd00:ec2::254", "unique local (cloud metadata)"),
            ("fe80::1", "link-local"),
            ("ff02::1", "multicast"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "link-local (cloud metadata)"),
            ("64:ff9b::a00:1", "private"),
            // IPv6 forms that carry or stand for an internal IPv4 address.
            ("::127.0.0.1", "IPv4-compatible (deprecated)"),
            ("::10.0.0.1", "IPv4-compatible (deprecated)"),
            ("::8.8.8.8", "IPv4-compatible (deprecated)"),
            ("::ffff:0:10.1.2.3", "private"),
            ("2002:a00:1::1", "private"),
            ("2002:7f00:1::", "loopback"),
            ("2002:a9fe:a9fe::1", "link-local (cloud metadata)"),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo tunnel"),
            ("64:ff9b:1::a00:1", "local-use NAT64"),
            ("fec0::1", "site-local (deprecated)"),
            ("feff::1", "site-local (deprecated)"),
            ("2001:db8::1", "documentation"),
            ("100::1", "discard-only"),
            ("2001:10::1", "ORCHID (not routable)"),
            ("192.0.2.1", "documentation"),
        ] {
            assert_eq!(refused(ip(a), &[]), Some(why), "{a}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for a in [
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "8.8.8.8",
            "2606:2800:220:1:248:1893:25c8:1946",
            "2002:808:808::1",  // 6to4 around a public address
            "64:ff9b::808:808", // NAT64 of a public address
            "2001:4860:4860::8888",
        ] {
            assert_eq!(refused(ip(a), &[]), None, "{a}");
        }
    }

    #[test]
    fn an_allow_list_opens_exactly_its_ranges() {
        let allowed = parse_allowed("127.0.0.0/8, ::1").unwrap();
        assert_eq!(refused(ip("127.0.0.1"), &allowed), None);
        assert_eq!(refused(ip("::1"), &allowed), None);
        assert_eq!(refused(ip("::ffff:127.0.0.2"), &allowed), None);
        assert_eq!(refused(ip("10.0.0.1"), &allowed), Some("private"));
        assert!(parse_allowed("10.0.0.0/33").is_err());
        assert!(parse_allowed("nope").is_err());
    }
}
