//! Parsing of networks and addresses given on the command line, with messages
//! that say how to write them.

use std::net::IpAddr;

use ipnet::{Ipv4Net, Ipv6Net};

use crate::error::InvalidValue;

/// Why the internet cannot reach `ip`, when it cannot: its kind of
/// address, for a message (`carrier-grade NAT (100.64.0.0/10)`).
pub fn unreachable_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(a) => {
            let [x, y, ..] = a.octets();
            if x == 100 && (64..128).contains(&y) {
                Some("carrier-grade NAT (100.64.0.0/10)")
            } else if a.is_private() {
                Some("private (RFC 1918)")
            } else if a.is_link_local() {
                Some("link-local (169.254.0.0/16)")
            } else if a.is_loopback() {
                Some("loopback")
            } else {
                None
            }
        }
        IpAddr::V6(a) => {
            let first = a.segments()[0];
            if a.is_loopback() {
                Some("loopback")
            } else if first & 0xffc0 == 0xfe80 {
                Some("link-local (fe80::/10)")
            } else if first & 0xfe00 == 0xfc00 {
                Some("unique local (fc00::/7)")
            } else {
                None
            }
        }
    }
}

/// An IPv4 network in CIDR form with no host bits set: `10.66.0.0/24`.
pub fn parse_net4(s: &str) -> Result<Ipv4Net, InvalidValue> {
    let net: Ipv4Net = s.parse().map_err(|_| {
        InvalidValue::new(format!(
            "'{s}' is not an IPv4 network in CIDR form; write it like 10.66.0.0/24"
        ))
    })?;
    if net.trunc() != net {
        return Err(InvalidValue::new(format!(
            "'{s}' has host bits set; the network is {}",
            net.trunc()
        )));
    }
    Ok(net)
}

/// An IPv6 prefix in CIDR form with no host bits set: `fd66::/64`.
pub fn parse_net6(s: &str) -> Result<Ipv6Net, InvalidValue> {
    let net: Ipv6Net = s.parse().map_err(|_| {
        InvalidValue::new(format!(
            "'{s}' is not an IPv6 prefix in CIDR form; write it like fd66::/64"
        ))
    })?;
    if net.trunc() != net {
        return Err(InvalidValue::new(format!(
            "'{s}' has host bits set; the prefix is {}",
            net.trunc()
        )));
    }
    Ok(net)
}

/// An IP address.
pub fn parse_ip(s: &str) -> Result<IpAddr, InvalidValue> {
    s.parse().map_err(|_| {
        InvalidValue::new(format!(
            "'{s}' is not an IP address; write it like 192.168.1.1 or fd00::1"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr() {
        assert_eq!(
            parse_net4("10.66.0.0/24").unwrap().to_string(),
            "10.66.0.0/24"
        );
        assert!(parse_net4("10.66.0.0/33").unwrap_err().0.contains("CIDR"));
        assert!(parse_net4("10.66.0.0").unwrap_err().0.contains("CIDR"));
        assert!(
            parse_net4("10.66.0.1/24")
                .unwrap_err()
                .0
                .contains("10.66.0.0/24")
        );
        assert!(
            parse_net6("fd66::1/64")
                .unwrap_err()
                .0
                .contains("fd66::/64")
        );
        assert!(parse_ip("300.1.1.1").is_err());
    }
}
