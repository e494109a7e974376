//! `camvpn camera add|list|remove`.

use anyhow::Result;
use camvpn::camera::Camera;
use camvpn::context::Context;
use camvpn::error::Error;
use camvpn::name::CameraName;
use camvpn::peer::Access;
use camvpn::site::Site;
use camvpn::store::{Batch, SiteDir};

use super::args::{CameraAddArgs, CameraCmd, CameraSetArgs};
use super::{Out, Outcome};

pub fn run(dir: &SiteDir, cmd: CameraCmd, out: &Out) -> Result<Outcome> {
    match cmd {
        CameraCmd::Add(a) => add(dir, a, out),
        CameraCmd::List => list(dir, out),
        CameraCmd::Set(a) => set(dir, a, out),
        CameraCmd::Remove { names } => remove(dir, &names, out),
    }
}

fn save(dir: &SiteDir, site: &Site) -> Result<()> {
    let mut batch = Batch::new();
    dir.stage_site(&mut batch, site)?;
    batch.commit()?;
    Ok(())
}

/// Tells which peers must re-import their config because what they route
/// into the tunnel changed.
fn note_reimport(site: &Site, camera: &CameraName, out: &Out) {
    let affected: Vec<&str> = site
        .peers
        .iter()
        .filter(|p| !p.full_tunnel && p.cameras.allows(camera))
        .map(|p| p.name.as_str())
        .collect();
    if !affected.is_empty() {
        out.note(format!(
            "the AllowedIPs of {} changed: render again and re-import their configs",
            affected.join(", ")
        ));
    }
}

fn add(dir: &SiteDir, a: CameraAddArgs, out: &Out) -> Result<Outcome> {
    let _lock = dir.lock(false)?;
    let mut site = dir.load()?;
    site.check_new_camera_name(&a.name)?;
    site.cameras.push(Camera {
        name: a.name.clone(),
        ip: a.ip,
        ip6: a.ip6,
        vendor: a.vendor,
        ports: (!a.ports.is_empty()).then_some(a.ports),
        internet: a.internet,
    });
    site.validate().map_err(Error::from)?;
    save(dir, &site)?;
    let cam = site.cameras.last().expect("just added");
    let ports: Vec<String> = cam.ports().iter().map(ToString::to_string).collect();
    out.note(format!(
        "added camera {} {} ({}: {})",
        cam.name,
        cam.ip,
        cam.vendor,
        ports.join(" ")
    ));
    note_reimport(&site, &a.name, out);
    Ok(Outcome::Done)
}

fn set(dir: &SiteDir, a: CameraSetArgs, out: &Out) -> Result<Outcome> {
    let _lock = dir.lock(false)?;
    let mut site = dir.load()?;
    site.camera(a.name.as_str())?;
    let c = site
        .cameras
        .iter_mut()
        .find(|c| c.name == a.name)
        .expect("checked");
    if let Some(v) = a.vendor {
        c.vendor = v;
    }
    if !a.ports.is_empty() {
        c.ports = Some(a.ports);
    } else if a.preset_ports {
        c.ports = None;
    }
    let ip6_changed = a.ip6.is_some() && a.ip6 != c.ip6;
    if a.ip6.is_some() {
        c.ip6 = a.ip6;
    }
    if let Some(i) = a.internet {
        c.internet = i;
    }
    site.validate().map_err(Error::from)?;
    save(dir, &site)?;
    if ip6_changed && site.subnet6.is_some() {
        note_reimport(&site, &a.name, out);
    }
    out.note(format!(
        "updated camera {}; run 'camvpn apply' (or render) for the firewall",
        a.name
    ));
    Ok(Outcome::Done)
}

fn list(dir: &SiteDir, out: &Out) -> Result<Outcome> {
    let _lock = dir.lock_shared()?;
    let site = dir.load()?;
    let ctx = Context::new(&site, None);
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
                c.vendor.clone(),
                if c.internet || site.camera_internet {
                    "allowed"
                } else {
                    "blocked"
                }
                .to_owned(),
                ports.join(" "),
            ]
        })
        .collect();
    out.print_table(&["NAME", "IP", "VENDOR", "INTERNET", "PORTS"], &rows)?;
    Ok(Outcome::Done)
}

fn remove(dir: &SiteDir, names: &[CameraName], out: &Out) -> Result<Outcome> {
    let _lock = dir.lock(false)?;
    let mut site = dir.load()?;
    for n in names {
        site.camera(n.as_str())?;
    }
    for n in names {
        note_reimport(&site, n, out);
    }
    site.cameras.retain(|c| !names.contains(&c.name));
    for p in &mut site.peers {
        if let Access::Only(list) = &mut p.cameras {
            let before = list.len();
            list.retain(|c| !names.contains(c));
            if list.len() != before {
                out.note(format!(
                    "peer {} no longer lists the removed camera(s)",
                    p.name
                ));
            }
        }
    }
    site.validate().map_err(Error::from)?;
    save(dir, &site)?;
    for n in names {
        out.note(format!("removed camera {n}"));
    }
    Ok(Outcome::Done)
}
