//! The site directory on disk: `site.toml`, `keys/`, and the lock.
//!
//! Writes are staged in a [`Batch`] (see [`batch`]). Callers add key files
//! before `site.toml`, so that `site.toml` never names a peer whose key is
//! not on disk yet.

mod batch;
pub mod interrupt;

pub use batch::{Batch, Staged, make_dir, stage, sweep_stale, write_file};

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::par::prelude::*;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::model::keys::{PresharedKey, PrivateKey, PublicKey};
use crate::model::name::PeerName;
use crate::model::peer::Peer;
use crate::model::site::Site;

/// Mode of files holding secrets, and of the directories holding them.
pub const SECRET_FILE: u32 = 0o600;
/// Mode of directories holding secrets.
pub const SECRET_DIR: u32 = 0o700;
/// Mode of files that hold no secrets.
pub const PUBLIC_FILE: u32 = 0o644;

/// A held lock on the site directory; released on drop.
pub struct Lock(#[allow(dead_code)] Option<File>);

/// The secrets of a site.
pub struct Secrets {
    /// The router's private key.
    pub server: PrivateKey,
    /// Per peer: its private key (absent for peers with their own key) and PSK.
    pub peers: BTreeMap<String, PeerSecrets>,
    /// The relay tunnel's keys, when the site has a relay.
    pub relay: Option<RelaySecrets>,
    /// Warnings about the key files (modes too open).
    pub warnings: Vec<String>,
}

/// The two private keys of the relay tunnel.
pub struct RelaySecrets {
    /// The relay host's.
    pub relay: PrivateKey,
    /// The router's end.
    pub router: PrivateKey,
}

/// The secrets of one peer.
pub struct PeerSecrets {
    /// Its private key, unless it brought its own.
    pub private: Option<PrivateKey>,
    /// The preshared key; `None` for a peer adopted without one.
    pub psk: Option<PresharedKey>,
}

/// A site directory.
#[derive(Debug, Clone)]
pub struct SiteDir {
    root: PathBuf,
}

impl SiteDir {
    /// The site directory at `root` (which need not exist yet).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        SiteDir { root: root.into() }
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `site.toml`.
    pub fn site_file(&self) -> PathBuf {
        self.root.join("site.toml")
    }

    /// `keys/`.
    pub fn keys_dir(&self) -> PathBuf {
        self.root.join("keys")
    }

    /// The router's private key file.
    pub fn server_key_file(&self) -> PathBuf {
        self.keys_dir().join("server.key")
    }

    /// A peer's private key file.
    pub fn peer_key_file(&self, peer: &PeerName) -> PathBuf {
        self.keys_dir().join(format!("peer-{peer}.key"))
    }

    /// A peer's preshared key file.
    pub fn peer_psk_file(&self, peer: &PeerName) -> PathBuf {
        self.keys_dir().join(format!("peer-{peer}.psk"))
    }

    /// The relay host's private key file.
    pub fn relay_key_file(&self) -> PathBuf {
        self.keys_dir().join("relay.key")
    }

    /// The private key file of the router's end of the relay tunnel.
    pub fn relay_router_key_file(&self) -> PathBuf {
        self.keys_dir().join("relay-router.key")
    }

    /// Whether a site exists here.
    pub fn exists(&self) -> bool {
        self.site_file().exists()
    }

    fn lock_file(&self) -> PathBuf {
        self.root.join(".lock")
    }

    /// Takes the exclusive lock, for commands that change the site. Creates
    /// the directory when `create` is set (for `init`). Waits for other
    /// camvpn processes holding the lock.
    pub fn lock(&self, create: bool) -> Result<Lock> {
        if create {
            make_dir(&self.root, 0o755)?;
        } else {
            self.require()?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(SECRET_FILE)
            .open(self.lock_file())
            .map_err(|source| Error::Write {
                path: self.lock_file(),
                source,
            })?;
        file.lock().map_err(|source| Error::Write {
            path: self.lock_file(),
            source,
        })?;
        Ok(Lock(Some(file)))
    }

    /// Takes a shared lock, for commands that only read; readers never block
    /// each other. A read-only site directory is read without a lock.
    pub fn lock_shared(&self) -> Result<Lock> {
        self.require()?;
        match File::open(self.lock_file()) {
            Ok(file) => {
                file.lock_shared().map_err(|source| Error::Read {
                    path: self.lock_file(),
                    source,
                })?;
                Ok(Lock(Some(file)))
            }
            Err(_) => Ok(Lock(None)),
        }
    }

    fn require(&self) -> Result<()> {
        if self.exists() {
            Ok(())
        } else {
            Err(Error::Conflict(format!(
                "no site at {}; run 'camvpn init' first, or point --dir (or $CAMVPN_DIR) at the site",
                self.root.display()
            )))
        }
    }

    /// Reads and validates `site.toml`.
    pub fn load(&self) -> Result<Site> {
        let path = self.site_file();
        let text = fs::read_to_string(&path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        parse_site(&text, &path)
    }

    /// Reads the keys of `site`, checking every private key against the
    /// public key in `site.toml`.
    pub fn load_secrets(&self, site: &Site) -> Result<Secrets> {
        let mut warnings = Vec::new();
        let dir = self.keys_dir();
        let meta = fs::metadata(&dir).map_err(|source| Error::Read {
            path: dir.clone(),
            source,
        })?;
        if !meta.is_dir() {
            return Err(Error::Read {
                path: dir,
                source: std::io::Error::new(ErrorKind::NotADirectory, "not a directory"),
            });
        }
        if meta.permissions().mode() & 0o077 != 0 {
            warnings.push(format!(
                "{} is accessible by other users (mode {:o}); run: chmod 700 {}",
                dir.display(),
                meta.permissions().mode() & 0o777,
                dir.display()
            ));
        }
        let server_file = self.server_key_file();
        let server = PrivateKey::from_base64(
            &read_secret(&server_file, &mut warnings)?,
            &server_file.display().to_string(),
        )?;
        if server.public_key() != site.server_public_key {
            return Err(Error::Key {
                origin: server_file.display().to_string(),
                reason: "it does not match server_public_key in site.toml".into(),
            });
        }
        // Reading and checking a key is independent per peer; on a big
        // site the curve operations add up, so they run on all cores.
        let loaded: Vec<_> = site
            .peers
            .par_iter()
            .map(|p| {
                let mut warnings = Vec::new();
                self.load_peer_secrets(p, &mut warnings)
                    .map(|s| (p.name.to_string(), s, warnings))
            })
            .collect();
        let mut peers = BTreeMap::new();
        for peer in loaded {
            let (name, secrets, peer_warnings) = peer?;
            warnings.extend(peer_warnings);
            peers.insert(name, secrets);
        }
        let relay = match &site.relay {
            Some(r) => Some(RelaySecrets {
                relay: self.load_key(
                    &self.relay_key_file(),
                    &r.public_key,
                    "relay.public_key",
                    &mut warnings,
                )?,
                router: self.load_key(
                    &self.relay_router_key_file(),
                    &r.router_public_key,
                    "relay.router_public_key",
                    &mut warnings,
                )?,
            }),
            None => None,
        };
        Ok(Secrets {
            server,
            peers,
            relay,
            warnings,
        })
    }

    /// The private key in `path`, checked against `public` (`what` in site.toml).
    fn load_key(
        &self,
        path: &Path,
        public: &PublicKey,
        what: &str,
        warnings: &mut Vec<String>,
    ) -> Result<PrivateKey> {
        let k =
            PrivateKey::from_base64(&read_secret(path, warnings)?, &path.display().to_string())?;
        if k.public_key() != *public {
            return Err(Error::Key {
                origin: path.display().to_string(),
                reason: format!("it does not match {what} in site.toml"),
            });
        }
        Ok(k)
    }

    /// Adds the relay tunnel's key files to `batch`.
    pub fn stage_relay_keys(&self, batch: &mut Batch, keys: &RelaySecrets) -> Result<()> {
        batch.write(
            self.relay_key_file(),
            line(&keys.relay.to_base64()),
            SECRET_FILE,
        )?;
        batch.write(
            self.relay_router_key_file(),
            line(&keys.router.to_base64()),
            SECRET_FILE,
        )?;
        Ok(())
    }

    /// The private key (unless the peer brought its own) and PSK of `p`,
    /// checked against its public key in `site.toml`.
    fn load_peer_secrets(&self, p: &Peer, warnings: &mut Vec<String>) -> Result<PeerSecrets> {
        let private = if p.own_key {
            None
        } else {
            let key_file = self.peer_key_file(&p.name);
            let k = self.load_key(
                &key_file,
                &p.public_key,
                &format!("the public key of peer '{}'", p.name),
                warnings,
            )?;
            Some(k)
        };
        let psk = if p.no_psk {
            None
        } else {
            let psk_file = self.peer_psk_file(&p.name);
            Some(PresharedKey::from_base64(
                &read_secret(&psk_file, warnings)?,
                &psk_file.display().to_string(),
            )?)
        };
        Ok(PeerSecrets { private, psk })
    }

    /// Writes `site.toml` alone, atomically (a change that adds no keys).
    pub fn save(&self, site: &Site) -> Result<()> {
        let mut batch = Batch::new();
        self.stage_site(&mut batch, site)?;
        batch.commit()
    }

    /// Adds the writes that store `site` to `batch` (after any key files).
    pub fn stage_site(&self, batch: &mut Batch, site: &Site) -> Result<()> {
        batch.write(self.site_file(), site_to_toml(site)?, PUBLIC_FILE)?;
        Ok(())
    }

    /// Adds the key files of a new peer to `batch`.
    pub fn stage_peer_keys(
        &self,
        batch: &mut Batch,
        peer: &PeerName,
        private: Option<&PrivateKey>,
        psk: Option<&PresharedKey>,
    ) -> Result<()> {
        if let Some(k) = private {
            batch.write(self.peer_key_file(peer), line(&k.to_base64()), SECRET_FILE)?;
        }
        if let Some(psk) = psk {
            batch.write(
                self.peer_psk_file(peer),
                line(&psk.to_base64()),
                SECRET_FILE,
            )?;
        }
        Ok(())
    }

    /// Adds the removal of a peer's key files to `batch`.
    pub fn stage_peer_removal(&self, batch: &mut Batch, peer: &PeerName) {
        batch.remove(self.peer_key_file(peer));
        batch.remove(self.peer_psk_file(peer));
    }
}

/// A key as a file's contents: base64 and a newline, like `wg genkey`.
pub fn line(s: &str) -> Zeroizing<Vec<u8>> {
    let mut v = Zeroizing::new(Vec::with_capacity(s.len() + 1));
    v.extend_from_slice(s.as_bytes());
    v.push(b'\n');
    v
}

fn read_secret(path: &Path, warnings: &mut Vec<String>) -> Result<Zeroizing<String>> {
    let read_error = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(read_error)?;
    let mode = file.metadata().map_err(read_error)?.permissions().mode();
    if mode & 0o077 != 0 {
        warnings.push(format!(
            "{} is readable by other users (mode {:o}); run: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        ));
    }
    // A key is 44 characters; reading through `take` skips the size probe
    // (stat and seek) that reading a whole file does, and bounds the read.
    let mut text = Zeroizing::new(String::with_capacity(64));
    file.take(4096)
        .read_to_string(&mut text)
        .map_err(read_error)?;
    Ok(text)
}

/// The header of `site.toml`.
pub const SITE_HEADER: &str = "# camvpn site description. No secrets: the keys are in keys/.\n\
# camvpn rewrites this file on every change; comments added here are not kept.\n\n";

/// `site` as the text of `site.toml`.
pub fn site_to_toml(site: &Site) -> Result<String> {
    let body = toml::to_string(site)
        .map_err(|e| Error::Failed(format!("cannot serialize the site: {e}")))?;
    Ok(format!("{SITE_HEADER}{body}"))
}

/// Parses and validates the text of `site.toml`; errors name `path`, and the
/// line and column where the parser knows them.
pub fn parse_site(text: &str, path: &Path) -> Result<Site> {
    let site: Site = toml::from_str(text).map_err(|e| Error::File {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_owned(),
    })?;
    site.validate().map_err(|e| Error::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(site)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::site::tests::site;

    #[test]
    fn site_round_trips_through_toml() {
        let s = site();
        let text = site_to_toml(&s).unwrap();
        let back = parse_site(&text, Path::new("site.toml")).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn broken_toml_reports_line_and_column() {
        let s = site();
        let text = site_to_toml(&s)
            .unwrap()
            .replace("subnet = \"10.66.0.0/29\"", "subnet = \"10.66.0.0/29");
        let err = parse_site(&text, Path::new("/x/site.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/x/site.toml: "), "{err}");
        assert!(err.contains("line"), "{err}");
        assert!(err.contains("column"), "{err}");
    }

    #[test]
    fn bad_value_in_toml_names_it() {
        let text = site_to_toml(&site())
            .unwrap()
            .replace("lan_if = \"eth1\"", "lan_if = \"eth 1\"");
        let err = parse_site(&text, Path::new("site.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cannot contain a space") && err.contains("line"),
            "{err}"
        );
    }

    #[test]
    fn batch_writes_modes_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = Batch::new();
        b.dir(dir.path().join("k"), SECRET_DIR)
            .unwrap()
            .write(dir.path().join("k/secret"), b"s", SECRET_FILE)
            .unwrap()
            .write(dir.path().join("public"), b"p", PUBLIC_FILE)
            .unwrap();
        b.commit().unwrap();
        let mode = |p: &str| {
            fs::metadata(dir.path().join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("k"), 0o700);
        assert_eq!(mode("k/secret"), 0o600);
        assert_eq!(mode("public"), 0o644);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn failed_batch_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a"), "old").unwrap();
        let mut b = Batch::new();
        b.write(dir.path().join("a"), b"new", PUBLIC_FILE).unwrap();
        // Staging the second file fails; the batch is dropped uncommitted.
        assert!(
            b.write(dir.path().join("missing-dir/b"), b"x", PUBLIC_FILE)
                .is_err()
        );
        drop(b);
        assert_eq!(fs::read_to_string(dir.path().join("a")).unwrap(), "old");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "a temp file was left"
        );
    }
}
