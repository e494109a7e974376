//! A camera or NVR on the LAN.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::mac::MacAddr;
use crate::model::name::CameraName;
use crate::model::port::PortSpec;
use crate::model::vendor::{Catalog, Vendor};

/// A camera, NVR or VMS server that must be reachable only through the tunnel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    /// Its name.
    pub name: CameraName,
    /// Its LAN address.
    pub ip: Ipv4Addr,
    /// Its IPv6 address, where it has a stable one worth protecting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip6: Option<Ipv6Addr>,
    /// Its MAC address: how the firewall knows it over IPv6, whatever
    /// address it picks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<MacAddr>,
    /// A vendor preset name.
    pub vendor: String,
    /// Ports that replace the vendor's default ports (installers move them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<PortSpec>>,
    /// May this camera open connections to the internet (vendor cloud)?
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub internet: bool,
}

impl Camera {
    /// The vendor preset.
    pub fn vendor(&self) -> Result<&'static Vendor> {
        Catalog::get().vendor(&self.vendor)
    }

    /// The camera's ports: its own list, else the vendor's defaults.
    pub fn ports(&self) -> Vec<PortSpec> {
        match &self.ports {
            Some(p) => p.clone(),
            None => self.vendor().map(Vendor::default_ports).unwrap_or_default(),
        }
    }
}
