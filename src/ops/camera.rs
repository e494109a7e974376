//! Cameras: add, change, remove.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{Change, Notices, modify};
use crate::error::Result;
use crate::model::camera::Camera;
use crate::model::mac::MacAddr;
use crate::model::name::CameraName;
use crate::model::peer::Access;
use crate::model::port::PortSpec;
use crate::model::site::Site;
use crate::store::SiteDir;

/// A camera to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCamera {
    /// Its name.
    pub name: CameraName,
    /// Its LAN address.
    pub ip: Ipv4Addr,
    /// A stable IPv6 address worth protecting.
    pub ip6: Option<Ipv6Addr>,
    /// Its MAC address.
    pub mac: Option<MacAddr>,
    /// A vendor preset name.
    pub vendor: String,
    /// Ports replacing the vendor's (none: the vendor's).
    pub ports: Vec<PortSpec>,
    /// May it reach the internet.
    pub internet: bool,
}

impl NewCamera {
    /// A camera at `ip` with the vendor's ports and no internet.
    pub fn new(name: CameraName, ip: Ipv4Addr, vendor: String) -> Self {
        NewCamera {
            name,
            ip,
            ip6: None,
            mac: None,
            vendor,
            ports: Vec::new(),
            internet: false,
        }
    }

    /// Adds it to `site` in memory, refusing a name the site has.
    pub(crate) fn add_to(self, site: &mut Site) -> Result<()> {
        site.check_new_camera_name(&self.name)?;
        site.cameras.push(Camera {
            name: self.name,
            ip: self.ip,
            ip6: self.ip6,
            mac: self.mac,
            vendor: self.vendor,
            ports: (!self.ports.is_empty()).then_some(self.ports),
            internet: self.internet,
        });
        Ok(())
    }
}

/// Tells which peers must re-import their config because what they route
/// into the tunnel changed.
fn note_reimport(site: &Site, camera: &CameraName, notices: &mut Notices) {
    let affected: Vec<&str> = site
        .peers
        .iter()
        .filter(|p| !p.full_tunnel && p.cameras.allows(camera))
        .map(|p| p.name.as_str())
        .collect();
    if !affected.is_empty() {
        notices.note(format!(
            "the AllowedIPs of {} changed: render again and re-import their configs",
            affected.join(", ")
        ));
    }
}

/// Adds a camera.
pub fn add(dir: &SiteDir, camera: NewCamera) -> Result<Notices> {
    let name = camera.name.clone();
    let (site, ()) = modify(dir, |site| camera.add_to(site))?;
    let cam = site.cameras.last().expect("just added");
    let ports: Vec<String> = cam.ports().iter().map(ToString::to_string).collect();
    let mut notices = Notices::default();
    notices.note(format!(
        "added camera {} {} ({}: {})",
        cam.name,
        cam.ip,
        cam.vendor,
        ports.join(" ")
    ));
    note_reimport(&site, &name, &mut notices);
    Ok(notices)
}

/// A change to one camera; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct CameraChange {
    /// Its LAN address.
    pub ip: Option<Ipv4Addr>,
    /// Its MAC address.
    pub mac: Option<MacAddr>,
    /// Its vendor preset.
    pub vendor: Option<String>,
    /// Its ports (reset: the vendor's).
    pub ports: Change<Vec<PortSpec>>,
    /// Its stable IPv6 address.
    pub ip6: Option<Ipv6Addr>,
    /// May it reach the internet.
    pub internet: Option<bool>,
}

/// Changes one camera.
pub fn set(dir: &SiteDir, name: &CameraName, change: CameraChange) -> Result<Notices> {
    let (site, routes_changed) = modify(dir, |site| {
        let c = site.camera_mut(name.as_str())?;
        let moved = change.ip.is_some_and(|ip| ip != c.ip);
        if let Some(ip) = change.ip {
            c.ip = ip;
        }
        if let Some(m) = change.mac {
            c.mac = Some(m);
        }
        if let Some(v) = change.vendor {
            c.vendor = v;
        }
        change.ports.apply(&mut c.ports);
        let ip6_changed = change.ip6.is_some() && change.ip6 != c.ip6;
        if change.ip6.is_some() {
            c.ip6 = change.ip6;
        }
        if let Some(i) = change.internet {
            c.internet = i;
        }
        Ok(moved || (ip6_changed && site.subnet6.is_some()))
    })?;
    let mut notices = Notices::default();
    if routes_changed {
        note_reimport(&site, name, &mut notices);
    }
    notices.note(format!(
        "updated camera {name}; {} for the firewall",
        site.platform.to_take_effect()
    ));
    Ok(notices)
}

/// Removes cameras, and takes them off the peers that list them.
pub fn remove(dir: &SiteDir, names: &[CameraName]) -> Result<Notices> {
    let (_, mut notices) = modify(dir, |site| {
        for n in names {
            site.camera(n.as_str())?;
        }
        let mut notices = Notices::default();
        for n in names {
            note_reimport(site, n, &mut notices);
        }
        site.cameras.retain(|c| !names.contains(&c.name));
        for p in &mut site.peers {
            if let Access::Only(list) = &mut p.cameras {
                let before = list.len();
                list.retain(|c| !names.contains(c));
                if list.len() != before {
                    notices.note(format!(
                        "peer {} no longer lists the removed camera(s)",
                        p.name
                    ));
                }
            }
        }
        Ok(notices)
    })?;
    for n in names {
        notices.note(format!("removed camera {n}"));
    }
    Ok(notices)
}
