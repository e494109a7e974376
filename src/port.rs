//! Ports and protocols of camera services.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

impl Serialize for PortSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PortSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
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
