//! SIGINT, SIGTERM and SIGHUP while files are staged: a signal's default
//! action ends the process at once, leaving temp files behind, and those of
//! a render hold private keys (of peers that may be removed later). While a
//! [`Guard`] lives, a signal is only noted (signal-hook's flag); the writer
//! sees it at its next file ([`Guard::check`]), fails, and drops what it
//! staged, which removes the temp files; the guard then takes its handlers
//! away and acts on the signal as it would have, so that the process ends as
//! the signal says.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::{SigId, flag, low_level};

use crate::error::{Error, Result};

/// Signals noted rather than acted on, until dropped.
pub struct Guard {
    caught: Arc<AtomicUsize>,
    ids: Vec<SigId>,
}

impl Guard {
    /// Notes SIGINT, SIGTERM and SIGHUP from now on.
    pub fn new() -> Self {
        let caught = Arc::new(AtomicUsize::new(0));
        let ids = [SIGINT, SIGTERM, SIGHUP]
            .into_iter()
            .filter_map(|s| {
                flag::register_usize(s, Arc::clone(&caught), usize::try_from(s).unwrap_or(0)).ok()
            })
            .collect();
        Guard { caught, ids }
    }

    /// An error once a signal came: the caller stops and drops its files.
    pub fn check(&self) -> Result<()> {
        match self.caught.load(Ordering::SeqCst) {
            0 => Ok(()),
            s => Err(Error::Failed(format!(
                "stopped by signal {s}: nothing was written"
            ))),
        }
    }
}

impl Default for Guard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            low_level::unregister(id);
        }
        if let Ok(s) = i32::try_from(self.caught.load(Ordering::SeqCst))
            && s != 0
        {
            let _ = low_level::emulate_default_handler(s);
        }
    }
}
