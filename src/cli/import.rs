//! `camvpn import`.

use anyhow::Result;
use camvpn::ops::import::{self, Import};
use camvpn::store::SiteDir;

use super::args::ImportArgs;
use super::{Out, Outcome};

pub fn run(dir: &SiteDir, a: ImportArgs, out: &Out) -> Result<Outcome> {
    let created = import::import(
        dir,
        &Import {
            file: a.file,
            platform: a.platform,
            wan_if: a.ifs.wan_if,
            lan_if: a.ifs.lan_if,
            force: a.force,
        },
    )?;
    out.notices(&created.notices);
    Ok(Outcome::Done)
}
