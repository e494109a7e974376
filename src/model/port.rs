//! Ports and protocols of camera services.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_with::{DeserializeFromStr, SerializeDisplay};

use crate::error::InvalidValue;

/// A transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Proto {
    /// `tcp` or `udp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One port of a camera: `554/tcp`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, SerializeDisplay, DeserializeFromStr,
)]
pub struct PortSpec {
    /// The port, 1 to 65535.
    pub port: u16,
    /// The protocol.
    pub proto: Proto,
}

impl FromStr for PortSpec {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fix = "write a port as N/tcp or N/udp with N from 1 to 65535, e.g. 554/tcp";
        let Some((port, proto)) = s.split_once('/') else {
            return Err(InvalidValue::new(format!(
                "port '{s}' has no protocol; {fix}"
            )));
        };
        let proto = match proto.to_ascii_lowercase().as_str() {
            "tcp" => Proto::Tcp,
            "udp" => Proto::Udp,
            other => {
                return Err(InvalidValue::new(format!(
                    "'{other}' in port '{s}' is not tcp or udp; {fix}"
                )));
            }
        };
        let port = match port.parse::<u32>() {
            Ok(p @ 1..=65535) => u16::try_from(p).expect("checked range"),
            Ok(p) => {
                return Err(InvalidValue::new(format!(
                    "port {p} is out of range; {fix}"
                )));
            }
            Err(_) => {
                return Err(InvalidValue::new(format!(
                    "'{port}' in port '{s}' is not a number; {fix}"
                )));
            }
        };
        Ok(PortSpec { port, proto })
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.port, self.proto)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let p: PortSpec = "554/TCP".parse().unwrap();
        assert_eq!(
            p,
            PortSpec {
                port: 554,
                proto: Proto::Tcp
            }
        );
        assert_eq!(
            "37778/udp".parse::<PortSpec>().unwrap().to_string(),
            "37778/udp"
        );
    }

    #[test]
    fn rejects() {
        for (bad, says) in [
            ("0/tcp", "out of range"),
            ("65536/tcp", "out of range"),
            ("554", "no protocol"),
            ("554/sctp", "not tcp or udp"),
            ("x/tcp", "not a number"),
            ("-1/tcp", "not a number"),
        ] {
            let err = bad.parse::<PortSpec>().unwrap_err().to_string();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}

/// What a peer may use on its cameras: a service name from the vendor
/// presets (`rtsp`, `web`…) or one port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, SerializeDisplay, DeserializeFromStr)]
pub enum PortFilter {
    /// A service name, as in the vendor presets.
    Service(String),
    /// One port.
    Port(PortSpec),
}

impl PortFilter {
    /// Whether a camera port whose preset service is `service` passes.
    pub fn allows(&self, port: PortSpec, service: Option<&str>) -> bool {
        match self {
            PortFilter::Port(p) => *p == port,
            PortFilter::Service(s) => service == Some(s.as_str()),
        }
    }
}

impl FromStr for PortFilter {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.contains('/') {
            return s.parse().map(PortFilter::Port);
        }
        let known = crate::model::vendor::Catalog::get().services();
        if known.iter().any(|k| k == s) {
            Ok(PortFilter::Service(s.to_owned()))
        } else {
            Err(InvalidValue::new(format!(
                "'{s}' is neither a port (N/tcp, N/udp) nor a service of the vendor presets ({})",
                known.join(", ")
            )))
        }
    }
}

impl fmt::Display for PortFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortFilter::Service(s) => f.write_str(s),
            PortFilter::Port(p) => p.fmt(f),
        }
    }
}
