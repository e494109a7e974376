//! The Linux target: wg-quick config (the firewall backends follow).

use crate::error::Result;
use crate::store::SECRET_FILE;
use crate::targets::{Artifact, Input};
use crate::templates::LINUX_SERVER;

/// `INTERFACE.conf` for wg-quick.
pub fn render(input: &Input<'_>) -> Result<Vec<Artifact>> {
    let server = input.templates.render(LINUX_SERVER, &input.value)?;
    Ok(vec![Artifact::new(
        format!("{}.conf", input.site.interface),
        server,
        SECRET_FILE,
    )])
}
