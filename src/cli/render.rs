//! `camvpn render`.

use std::path::Path;

use anyhow::Result;
use camvpn::model::site::Platform;
use camvpn::ops::render::{self, RenderRequest};
use camvpn::store::SiteDir;
use camvpn::targets::PeerFiles;

use super::args::RenderArgs;
use super::{Out, Outcome};

fn writing(path: &Path) {
    eprintln!("writing {}", path.display());
}

pub fn run(dir: &SiteDir, a: &RenderArgs, out: &Out) -> Result<Outcome> {
    let templates = out.templates()?;
    let bar = out.progress("rendering peers");
    let req = RenderRequest {
        out: a.out.clone(),
        target: a.target,
        firewall: a.firewall.map(Into::into),
        peer_files: if a.no_peers {
            PeerFiles::None
        } else if a.no_qr {
            PeerFiles::ConfigOnly
        } else {
            PeerFiles::All
        },
        uci_dir: a.uci.uci_dir.clone(),
        nvram_budget: a.nvram_budget,
        progress: Some(bar.clone()),
        on_file: out.verbose().then_some(writing as fn(&Path)),
    };
    let rendered = render::render(dir, &req, &templates);
    bar.finish();
    let rendered = rendered?;
    out.notices(&rendered.notices);
    out.note(format!(
        "rendered {} files for {} into {}",
        rendered.files,
        rendered.target,
        a.out.display()
    ));
    if rendered.target.0 == Platform::Ddwrt {
        out.note(format!(
            "next: copy {} to the router (scp -O), run it there with 'sh camvpn-ddwrt.sh', delete it (it holds the router's private key), then reboot the router or restart its firewall (stopservice firewall; startservice firewall)",
            a.out.join("camvpn-ddwrt.sh").display()
        ));
    }
    Ok(Outcome::Done)
}
