//! Vendor presets: the ports cameras of each vendor use, embedded as data.
//!
//! The table lives in `data/vendors.toml` (facts and sources in the research
//! notes) so that adding a vendor is a data change, not a code change.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::port::PortSpec;

/// How sure we are about a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Confidence {
    /// Read in a source.
    S,
    /// A weak source.
    W,
}

/// A port a vendor's devices are known to use.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownPort {
    /// Port and protocol.
    pub port: PortSpec,
    /// A short service name: web, rtsp, sdk, discovery…
    pub service: String,
    /// What the port is, for people.
    pub what: String,
    /// How sure the source is.
    pub conf: Confidence,
    /// Part of the vendor's default ports (what viewers need).
    pub access: bool,
    /// Known exploited weaknesses of the service on this port.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cves: Vec<String>,
}

/// A vendor preset.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vendor {
    /// The name used on the command line and in `site.toml`.
    pub name: String,
    /// The name for people.
    pub label: String,
    /// The path of the main RTSP stream, where known.
    #[serde(default)]
    pub rtsp_path: Option<String>,
    /// Known ports.
    pub ports: Vec<KnownPort>,
}

impl Vendor {
    /// The default ports of a camera of this vendor.
    pub fn default_ports(&self) -> Vec<PortSpec> {
        self.ports
            .iter()
            .filter(|p| p.access)
            .map(|p| p.port)
            .collect()
    }

    /// What this vendor's devices run on a port, if known.
    pub fn known(&self, port: PortSpec) -> Option<&KnownPort> {
        self.ports.iter().find(|k| k.port == port)
    }
}

/// A port that internet scanners try whatever the vendor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScannerPort {
    /// Port and protocol.
    pub port: PortSpec,
    /// What it usually is.
    pub what: String,
}

/// All presets.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// The vendors, `generic` first.
    #[serde(rename = "vendor")]
    pub vendors: Vec<Vendor>,
    /// Ports that only camera and video systems use.
    pub signature_ports: Vec<PortSpec>,
    /// Ports scanners try.
    #[serde(rename = "scanner_port")]
    pub scanner_ports: Vec<ScannerPort>,
}

impl Catalog {
    /// The embedded presets.
    pub fn get() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            toml::from_str(include_str!("../../data/vendors.toml"))
                .expect("data/vendors.toml is valid (checked by a unit test)")
        })
    }

    /// The vendor called `name`, or an error listing the known ones.
    pub fn vendor(&self, name: &str) -> Result<&Vendor> {
        self.vendors
            .iter()
            .find(|v| v.name == name)
            .ok_or_else(|| Error::not_found("vendor", name, "camvpn's presets", self.names()))
    }

    /// Every service name of the presets, sorted.
    pub fn services(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .vendors
            .iter()
            .flat_map(|v| v.ports.iter().map(|p| p.service.clone()))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The vendor names.
    pub fn names(&self) -> Vec<&str> {
        self.vendors.iter().map(|v| v.name.as_str()).collect()
    }

    /// The one preset `s` is a start or a longer spelling of (`hik`,
    /// `hikvision-nvr` → `hikvision`), if just one.
    pub fn near(&self, s: &str) -> Option<&str> {
        let s = s.to_ascii_lowercase();
        if s.len() < 3 {
            return None;
        }
        let mut near = self
            .names()
            .into_iter()
            .filter(|n| n.starts_with(&s) || s.starts_with(n));
        match (near.next(), near.next()) {
            (Some(n), None) => Some(n),
            _ => None,
        }
    }

    /// The presets for a `--help` text: `hikvision (Hikvision), …`.
    pub fn listing(&self) -> String {
        self.vendors
            .iter()
            .map(|v| format!("{} ({})", v.name, v.label))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A vendor name checked against the presets, for command-line parsing.
pub fn parse_vendor(s: &str) -> std::result::Result<String, String> {
    let catalog = Catalog::get();
    catalog.vendor(s).map(|v| v.name.clone()).map_err(|_| {
        let near = catalog.near(s);
        format!(
            "unknown vendor{}; use one of {} (or 'generic' and --port)",
            near.map(|n| format!(" (did you mean '{n}'?)"))
                .unwrap_or_default(),
            catalog.names().join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_near_name_is_suggested_only_when_one_preset_is_near() {
        let c = Catalog::get();
        assert_eq!(c.near("hik"), Some("hikvision"));
        assert_eq!(c.near("Dahua-NVR"), Some("dahua"));
        assert_eq!(c.near("xy"), None);
        assert!(
            parse_vendor("hik")
                .unwrap_err()
                .contains("did you mean 'hikvision'?")
        );
    }

    #[test]
    fn embedded_presets_parse_and_cover_the_required_vendors() {
        let c = Catalog::get();
        for v in [
            "hikvision",
            "dahua",
            "reolink",
            "axis",
            "amcrest",
            "foscam",
            "unifi-protect",
            "generic",
        ] {
            let vendor = c.vendor(v).unwrap();
            assert!(
                !vendor.default_ports().is_empty(),
                "{v} has no default ports"
            );
        }
    }

    #[test]
    fn names_are_unique_and_ports_unique_per_vendor() {
        let c = Catalog::get();
        let mut names = c.names();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), c.vendors.len());
        for v in &c.vendors {
            let mut ports: Vec<_> = v.ports.iter().map(|p| p.port).collect();
            ports.sort();
            ports.dedup();
            assert_eq!(ports.len(), v.ports.len(), "{}", v.name);
        }
    }

    #[test]
    fn dahua_defaults_match_the_research_notes() {
        let d = Catalog::get().vendor("dahua").unwrap();
        let ports: Vec<String> = d.default_ports().iter().map(ToString::to_string).collect();
        assert_eq!(
            ports,
            ["80/tcp", "443/tcp", "554/tcp", "37777/tcp", "37778/udp"]
        );
        assert!(
            d.known("5000/tcp".parse().unwrap())
                .is_some_and(|k| !k.access)
        );
    }

    #[test]
    fn unknown_vendor_lists_known() {
        let err = Catalog::get().vendor("acme").unwrap_err().to_string();
        assert!(err.contains("hikvision") && err.contains("'acme'"), "{err}");
    }
}
