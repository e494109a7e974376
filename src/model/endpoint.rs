//! The public address phones dial: `HOST[:PORT]`.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

use serde_with::{DeserializeFromStr, SerializeDisplay};

use crate::error::InvalidValue;

/// The host part of an endpoint: a DNS name or an IP address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A DNS name, checked against RFC 1123.
    Name(String),
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(n) => f.write_str(n),
            Host::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// Where phones reach the router: a host and, when it differs from the
/// listen port (a port forward in front of the router), a port.
#[derive(Debug, Clone, PartialEq, Eq, SerializeDisplay, DeserializeFromStr)]
pub struct Endpoint {
    /// The host.
    pub host: Host,
    /// The public port; `None` means the site's listen port.
    pub port: Option<u16>,
}

const EXAMPLE: &str =
    "write it as HOST[:PORT], e.g. vpn.example.net:51820, 203.0.113.1 or [2001:db8::1]:51820";

impl Endpoint {
    /// `host:port` as WireGuard's `Endpoint =` wants it, IPv6 in brackets.
    pub fn with_port(&self, default_port: u16) -> String {
        let port = self.port.unwrap_or(default_port);
        match &self.host {
            Host::Ip(IpAddr::V6(ip)) => format!("[{ip}]:{port}"),
            host => format!("{host}:{port}"),
        }
    }
}

fn parse_port(s: &str, whole: &str) -> Result<u16, InvalidValue> {
    match s.parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) => Ok(u16::try_from(p).expect("checked range")),
        Ok(p) => Err(InvalidValue::new(format!(
            "the port {p} in endpoint '{whole}' is out of range; use 1 to 65535"
        ))),
        Err(_) => Err(InvalidValue::new(format!(
            "'{s}' in endpoint '{whole}' is not a port number; {EXAMPLE}"
        ))),
    }
}

fn check_dns_name(name: &str, whole: &str) -> Result<(), InvalidValue> {
    let bad = |why: &str| InvalidValue::new(format!("endpoint '{whole}': {why}; {EXAMPLE}"));
    if name.len() > 253 {
        return Err(bad("the host name is longer than 253 characters"));
    }
    let name = name.strip_suffix('.').unwrap_or(name);
    for label in name.split('.') {
        if label.is_empty() {
            return Err(bad("the host name has an empty label"));
        }
        if label.len() > 63 {
            return Err(bad("a label of the host name is longer than 63 characters"));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(bad(&format!(
                "the host name cannot contain {}",
                crate::model::name::describe(c)
            )));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(bad("a label of the host name starts or ends with '-'"));
        }
    }
    // A name made only of digits and dots is a mistyped IPv4 address.
    if name.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(bad("the host is neither an IPv4 address nor a DNS name"));
    }
    Ok(())
}

impl FromStr for Endpoint {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(InvalidValue::new(format!(
                "the endpoint is empty; {EXAMPLE}"
            )));
        }
        // [v6] or [v6]:port
        if let Some(rest) = s.strip_prefix('[') {
            let (ip, after) = rest.split_once(']').ok_or_else(|| {
                InvalidValue::new(format!("endpoint '{s}' has no closing ']'; {EXAMPLE}"))
            })?;
            let ip: Ipv6Addr = ip.parse().map_err(|_| {
                InvalidValue::new(format!(
                    "'{ip}' in endpoint '{s}' is not an IPv6 address; {EXAMPLE}"
                ))
            })?;
            let port = match after {
                "" => None,
                p => Some(parse_port(
                    p.strip_prefix(':').ok_or_else(|| {
                        InvalidValue::new(format!("endpoint '{s}': expected ':PORT' after ']'"))
                    })?,
                    s,
                )?),
            };
            return Ok(Endpoint {
                host: Host::Ip(IpAddr::V6(ip)),
                port,
            });
        }
        // A bare IPv6 address has more than one colon.
        if s.matches(':').count() > 1 {
            let ip: Ipv6Addr = s.parse().map_err(|_| {
                InvalidValue::new(format!("endpoint '{s}' is not a valid address; {EXAMPLE}"))
            })?;
            return Ok(Endpoint {
                host: Host::Ip(IpAddr::V6(ip)),
                port: None,
            });
        }
        let (host, port) = match s.split_once(':') {
            Some((h, p)) => (h, Some(parse_port(p, s)?)),
            None => (s, None),
        };
        if host.is_empty() {
            return Err(InvalidValue::new(format!(
                "endpoint '{s}' has no host; {EXAMPLE}"
            )));
        }
        let host = if let Ok(ip) = host.parse::<IpAddr>() {
            Host::Ip(ip)
        } else {
            check_dns_name(host, s)?;
            Host::Name(host.to_ascii_lowercase())
        };
        Ok(Endpoint { host, port })
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.host, self.port) {
            (Host::Ip(IpAddr::V6(ip)), Some(p)) => write!(f, "[{ip}]:{p}"),
            (host, Some(p)) => write!(f, "{host}:{p}"),
            (host, None) => write!(f, "{host}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(s: &str) -> Endpoint {
        s.parse().unwrap()
    }

    #[test]
    fn forms() {
        assert_eq!(
            ep("vpn.example.net").with_port(51820),
            "vpn.example.net:51820"
        );
        assert_eq!(
            ep("VPN.Example.net:443").with_port(51820),
            "vpn.example.net:443"
        );
        assert_eq!(ep("203.0.113.1").with_port(1), "203.0.113.1:1");
        assert_eq!(
            ep("[2001:db8::1]:51820").with_port(1),
            "[2001:db8::1]:51820"
        );
        assert_eq!(ep("2001:db8::1").with_port(7), "[2001:db8::1]:7");
        assert_eq!(ep("[2001:db8::1]:51820").to_string(), "[2001:db8::1]:51820");
    }

    #[test]
    fn rejects() {
        for (bad, says) in [
            (":51820", "has no host"),
            ("", "empty"),
            ("host:0", "out of range"),
            ("host:65536", "out of range"),
            ("host:x", "not a port"),
            ("bad_host", "cannot contain '_'"),
            ("a..b", "empty label"),
            ("-a.b", "starts or ends"),
            ("1.2.3.400", "neither"),
            ("[::1", "closing"),
            ("h$(x)", "'$'"),
        ] {
            let err = bad.parse::<Endpoint>().unwrap_err().to_string();
            assert!(err.contains(says), "{bad:?}: {err}");
        }
    }
}
