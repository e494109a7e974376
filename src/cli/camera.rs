//! `camvpn camera add|list|set|remove`.

use anyhow::Result;
use camvpn::ops::camera::{self, CameraChange, NewCamera};
use camvpn::ops::{Change, export};
use camvpn::store::SiteDir;

use super::args::{CameraCmd, CameraSetArgs};
use super::{Out, Outcome};

pub fn run(dir: &SiteDir, cmd: CameraCmd, out: &Out) -> Result<Outcome> {
    let notices = match cmd {
        CameraCmd::Add(a) => camera::add(
            dir,
            NewCamera {
                name: a.name,
                ip: a.ip,
                ip6: a.ip6,
                mac: a.mac,
                vendor: a.vendor,
                ports: a.ports,
                internet: a.internet,
            },
        )?,
        CameraCmd::List => return list(dir, out),
        CameraCmd::Set(a) => set(dir, a)?,
        CameraCmd::Remove { names } => camera::remove(dir, &names)?,
    };
    out.notices(&notices);
    Ok(Outcome::Done)
}

fn set(dir: &SiteDir, a: CameraSetArgs) -> camvpn::Result<camvpn::ops::Notices> {
    let change = CameraChange {
        ip: a.ip,
        mac: a.mac,
        vendor: a.vendor,
        ports: Change::from_flags((!a.ports.is_empty()).then_some(a.ports), a.preset_ports),
        ip6: a.ip6,
        internet: a.internet,
    };
    camera::set(dir, &a.name, change)
}

fn list(dir: &SiteDir, out: &Out) -> Result<Outcome> {
    let (ctx, _) = export::context(dir, false)?;
    if out.json {
        out.print_json(&ctx.cameras)?;
        return Ok(Outcome::Done);
    }
    let rows: Vec<Vec<String>> = ctx
        .cameras
        .iter()
        .map(|c| {
            let ports: Vec<&str> = c.ports.iter().map(|p| p.spec.as_str()).collect();
            vec![
                c.name.clone(),
                c.ip.clone(),
                c.mac.clone().unwrap_or_else(|| "-".into()),
                c.vendor.clone(),
                if c.internet || ctx.site.camera_internet {
                    "allowed"
                } else {
                    "blocked"
                }
                .to_owned(),
                ports.join(" "),
            ]
        })
        .collect();
    out.print_table(&["NAME", "IP", "MAC", "VENDOR", "INTERNET", "PORTS"], &rows)?;
    Ok(Outcome::Done)
}
