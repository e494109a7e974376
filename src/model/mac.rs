//! MAC addresses: how camvpn knows a camera over IPv6. Cameras pick their
//! own IPv6 addresses (SLAAC, often EUI-64 from the MAC, sometimes privacy
//! addresses that change), so the firewall matches what they send by MAC.

use std::fmt;
use std::net::Ipv6Addr;
use std::str::FromStr;

use ipnet::Ipv6Net;
use serde_with::{DeserializeFromStr, SerializeDisplay};

use crate::error::InvalidValue;

/// A unicast Ethernet address, printed as `00:11:22:aa:bb:cc`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, SerializeDisplay, DeserializeFromStr,
)]
pub struct MacAddr([u8; 6]);

impl MacAddr {
    /// The six bytes.
    pub fn octets(self) -> [u8; 6] {
        self.0
    }

    /// The address SLAAC derives from this MAC under `prefix` (EUI-64), when
    /// the prefix is a /64.
    pub fn eui64_in(self, prefix: Ipv6Net) -> Option<Ipv6Addr> {
        if prefix.prefix_len() != 64 {
            return None;
        }
        let m = self.0;
        let iid = [m[0] ^ 0x02, m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]];
        let mut bytes = prefix.network().octets();
        bytes[8..].copy_from_slice(&iid);
        Some(Ipv6Addr::from(bytes))
    }
}

impl FromStr for MacAddr {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let bad = || {
            InvalidValue::new(format!(
                "'{s}' is not a MAC address; write it like 00:11:22:aa:bb:cc (the camera's label, or `ip neigh` on the router)"
            ))
        };
        // Also as labels print it: twelve hex digits, no separators.
        let parts: Vec<&str> = if s.len() == 12 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..6).map(|i| &s[2 * i..2 * i + 2]).collect()
        } else {
            s.split([':', '-']).collect()
        };
        if parts.len() != 6 {
            return Err(bad());
        }
        let mut b = [0u8; 6];
        for (o, p) in b.iter_mut().zip(&parts) {
            if p.len() != 2 {
                return Err(bad());
            }
            *o = u8::from_str_radix(p, 16).map_err(|_| bad())?;
        }
        if b[0] & 1 == 1 || b == [0; 6] {
            return Err(InvalidValue::new(format!(
                "'{s}' is a multicast or empty MAC address, not a camera's; write the camera's own, like 00:11:22:aa:bb:cc"
            )));
        }
        Ok(MacAddr(b))
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_separators_and_prints_lowercase_colons() {
        let m: MacAddr = "00-1A-2b-3C-4d-5E".parse().unwrap();
        assert_eq!(m.to_string(), "00:1a:2b:3c:4d:5e");
        assert_eq!("00:1a:2b:3c:4d:5e".parse::<MacAddr>().unwrap(), m);
    }

    #[test]
    fn refuses_what_is_no_camera_mac() {
        for bad in [
            "",
            "00:11:22:33:44",
            "00:11:22:33:44:55:66",
            "0:11:22:33:44:55",
            "00:11:22:33:44:zz",
            "01:00:5e:00:00:01",
            "00:00:00:00:00:00",
            "00:11:22:33:44:55\n",
        ] {
            assert!(bad.parse::<MacAddr>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn eui64_flips_the_universal_bit_and_inserts_fffe() {
        let m: MacAddr = "00:11:22:33:44:55".parse().unwrap();
        assert_eq!("001122334455".parse::<MacAddr>().unwrap(), m);
        assert_eq!("00-11-22-33-44-55".parse::<MacAddr>().unwrap(), m);
        let p: Ipv6Net = "2001:db8:2::/64".parse().unwrap();
        assert_eq!(
            m.eui64_in(p).unwrap(),
            "2001:db8:2::211:22ff:fe33:4455"
                .parse::<Ipv6Addr>()
                .unwrap()
        );
        assert!(m.eui64_in("2001:db8::/48".parse().unwrap()).is_none());
    }
}
