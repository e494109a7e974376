//! A peer: a phone or laptop that views the cameras through the tunnel.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::model::camera::Camera;
use crate::model::keys::PublicKey;
use crate::model::name::{CameraName, PeerName};
use crate::model::port::{PortFilter, PortSpec};
use crate::model::vendor::Vendor;

/// Which cameras a peer may reach.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Access {
    /// Every camera of the site, including cameras added later.
    #[default]
    All,
    /// Only these cameras.
    Only(Vec<CameraName>),
}

impl Access {
    /// Whether the peer may reach `camera`.
    pub fn allows(&self, camera: &CameraName) -> bool {
        match self {
            Access::All => true,
            Access::Only(list) => list.contains(camera),
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Access::All => f.write_str("all"),
            Access::Only(list) if list.is_empty() => f.write_str("none"),
            Access::Only(list) => {
                let names: Vec<&str> = list.iter().map(CameraName::as_str).collect();
                f.write_str(&names.join(","))
            }
        }
    }
}

impl Serialize for Access {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Access::All => s.serialize_str("all"),
            Access::Only(list) => list.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Access {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Access;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"all\" or a list of camera names")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Access, E> {
                if v == "all" {
                    Ok(Access::All)
                } else {
                    Err(E::custom(format!(
                        "expected \"all\" or a list of camera names, found \"{v}\""
                    )))
                }
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Access, A::Error> {
                let mut list = Vec::new();
                while let Some(name) = seq.next_element::<CameraName>()? {
                    list.push(name);
                }
                Ok(Access::Only(list))
            }
        }
        d.deserialize_any(V)
    }
}

/// A peer of the site's WireGuard interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Peer {
    /// Its name.
    pub name: PeerName,
    /// Its tunnel address.
    pub address: Ipv4Addr,
    /// Its IPv6 tunnel address, when the site has an IPv6 tunnel prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address6: Option<Ipv6Addr>,
    /// Its public key.
    pub public_key: PublicKey,
    /// The peer brought its own key pair (`--public-key`): camvpn holds no
    /// private key for it and cannot render a complete config or QR code.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own_key: bool,
    /// Which cameras it may reach.
    #[serde(default)]
    pub cameras: Access,
    /// Only these services or ports of its cameras (all of them when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<Vec<PortFilter>>,
    /// Route all traffic through the tunnel (and out of the router's WAN).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub full_tunnel: bool,
    /// DNS servers for this peer, replacing the site's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<Vec<IpAddr>>,
    /// MTU for this peer, replacing the site's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u16>,
    /// PersistentKeepalive in seconds for this peer, replacing the site's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive: Option<u16>,
    /// The peer has no preshared key (adopted from a setup without one):
    /// its config, and the phone's, stay as they were.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_psk: bool,
    /// Networks the router routes to this peer besides its own addresses
    /// (a site-to-site link, adopted as it was).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<IpNet>,
}

impl Peer {
    /// The ports of `camera` this peer may use (none when it may not reach
    /// the camera at all).
    pub fn ports_on(&self, camera: &Camera) -> Vec<PortSpec> {
        if !self.cameras.allows(&camera.name) {
            return Vec::new();
        }
        allowed_ports(self.only.as_deref(), &camera.ports(), camera.vendor().ok())
    }

    /// A peer at `address` with `public_key` (camvpn holds its private
    /// key) that may reach every camera, with the site's settings.
    pub fn new(
        name: PeerName,
        address: Ipv4Addr,
        address6: Option<Ipv6Addr>,
        public_key: PublicKey,
    ) -> Self {
        Peer {
            name,
            address,
            address6,
            public_key,
            own_key: false,
            cameras: Access::All,
            only: None,
            full_tunnel: false,
            dns: None,
            mtu: None,
            keepalive: None,
            no_psk: false,
            routes: Vec::new(),
        }
    }

    /// The addresses of the peer's end of the tunnel.
    pub fn addresses(&self) -> Vec<IpAddr> {
        let mut v = vec![IpAddr::V4(self.address)];
        v.extend(self.address6.map(IpAddr::V6));
        v
    }
}

/// The `ports` of a camera of `vendor` that a peer limited to `only` may
/// use: all of them without a limit.
pub fn allowed_ports(
    only: Option<&[PortFilter]>,
    ports: &[PortSpec],
    vendor: Option<&Vendor>,
) -> Vec<PortSpec> {
    ports
        .iter()
        .copied()
        .filter(|port| match only {
            None => true,
            Some(filters) => {
                let service = vendor
                    .and_then(|v| v.known(*port))
                    .map(|k| k.service.as_str());
                filters.iter().any(|f| f.allows(*port, service))
            }
        })
        .collect()
}
