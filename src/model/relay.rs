//! A relay for sites behind carrier-grade NAT: a small Linux host on the
//! internet that forwards the phones' WireGuard packets to the router
//! through a second tunnel, which the router keeps up from behind the NAT.
//!
//! The relay terminates no phone session: it holds its own key and the
//! router's relay-tunnel public key, nothing else. Everything about the
//! relay tunnel is derived from the relay's port, so that one relay host
//! can serve several sites, each on its own port:
//!
//! - phones dial `HOST:PORT`;
//! - the router's tunnel to the relay ends on `HOST:PORT+1`;
//! - the tunnel's /30 is taken from 10.255.0.0/16 by the port, so two
//!   sites on one relay never share addresses.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::error::InvalidValue;
use crate::model::endpoint::Endpoint;
use crate::model::keys::PublicKey;
use crate::model::site::DEFAULT_PORT;

/// The router's interface of the tunnel to the relay.
pub const RELAY_IF: &str = "wgrelay";

/// The range the relay tunnels' /30s are taken from.
const RELAY_NETS: Ipv4Addr = Ipv4Addr::new(10, 255, 0, 0);

/// WireGuard's header over IPv6, the larger: what the relay tunnel adds.
const WG_OVERHEAD: u16 = 80;

/// Seconds between the router's keepalives to the relay: carrier NATs drop
/// a UDP mapping after 30 s of silence, some sooner.
pub const RELAY_KEEPALIVE: u16 = 25;

/// The relay of a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relay {
    /// Where phones dial: the relay host and its port for this site.
    pub endpoint: Endpoint,
    /// The relay host's public key (its private key is in `keys/`).
    pub public_key: PublicKey,
    /// The public key of the router's end of the relay tunnel.
    pub router_public_key: PublicKey,
}

impl Relay {
    /// The port phones dial on the relay.
    pub fn port(&self) -> u16 {
        self.endpoint.port.unwrap_or(DEFAULT_PORT)
    }

    /// The port the relay tunnel listens on: the next one.
    pub fn tunnel_port(&self) -> u16 {
        self.port() + 1
    }

    /// `host:port` phones dial.
    pub fn phone_endpoint(&self) -> String {
        self.endpoint.with_port(DEFAULT_PORT)
    }

    /// `host:port` the router's relay tunnel dials.
    pub fn tunnel_endpoint(&self) -> String {
        Endpoint {
            host: self.endpoint.host.clone(),
            port: Some(self.tunnel_port()),
        }
        .with_port(DEFAULT_PORT)
    }

    /// The relay tunnel's /30.
    pub fn net(&self) -> Ipv4Net {
        let index = u32::from(self.port()) % (1 << 14);
        let base = u32::from(RELAY_NETS) + index * 4;
        Ipv4Net::new(Ipv4Addr::from(base), 30).expect("valid prefix")
    }

    /// The relay's address in the relay tunnel.
    pub fn relay_address(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.net().network()) + 1)
    }

    /// The router's address in the relay tunnel.
    pub fn router_address(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.net().network()) + 2)
    }

    /// The relay tunnel's MTU: the phones' packets, whole, inside it.
    pub fn mtu(tunnel_mtu: u16) -> u16 {
        tunnel_mtu + WG_OVERHEAD
    }

    /// Checks what holds for the relay alone.
    pub fn check(&self) -> Result<(), InvalidValue> {
        if self.port() == u16::MAX {
            return Err(InvalidValue::new(format!(
                "relay port {} leaves no port for the relay tunnel (it uses the next one); use a lower port, e.g. {}",
                self.port(),
                DEFAULT_PORT
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::keys::PrivateKey;

    fn relay(endpoint: &str) -> Relay {
        Relay {
            endpoint: endpoint.parse().unwrap(),
            public_key: PrivateKey::generate().public_key(),
            router_public_key: PrivateKey::generate().public_key(),
        }
    }

    #[test]
    fn sites_on_one_relay_get_their_own_ports_and_addresses() {
        let a = relay("relay.example.net");
        let b = relay("relay.example.net:51822");
        assert_eq!((a.port(), a.tunnel_port()), (51820, 51821));
        assert_eq!((b.port(), b.tunnel_port()), (51822, 51823));
        assert_ne!(a.net(), b.net());
        assert!(a.net().contains(&a.relay_address()) && a.net().contains(&a.router_address()));
        assert_eq!(a.tunnel_endpoint(), "relay.example.net:51821");
        assert_eq!(
            relay("[2001:db8::9]:443").tunnel_endpoint(),
            "[2001:db8::9]:444"
        );
    }

    #[test]
    fn the_last_port_is_refused() {
        assert!(relay("r.example.net:65535").check().is_err());
        assert!(relay("r.example.net:65534").check().is_ok());
    }
}
