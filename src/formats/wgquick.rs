//! wg-quick's config files (`/etc/wireguard/wg0.conf`): `[Interface]` and
//! `[Peer]` sections of `Key = Value` lines, as `wg-quick` reads them
//! (keys case-insensitive, `#` comments). A comment right above `[Peer]`
//! is kept: managers write the peer's name there (`# Name = alice`,
//! `# alice`).

use std::fmt;

/// A parse error, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WgQuickError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for WgQuickError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for WgQuickError {}

/// One `Key = Value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key, as written.
    pub key: String,
    /// The value, trimmed.
    pub value: String,
    /// Its line.
    pub line: usize,
}

/// A section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    /// The line of its header.
    pub line: usize,
    /// The comment lines right above the header, without `#`.
    pub comment: Vec<String>,
    /// Its lines.
    pub entries: Vec<Entry>,
}

impl Section {
    /// The values of `key` (case-insensitive), in order.
    pub fn all(&self, key: &str) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(move |e| e.key.eq_ignore_ascii_case(key))
    }

    /// The one value of `key`.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.all(key).last()
    }
}

/// A parsed config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `[Interface]`.
    pub interface: Section,
    /// The `[Peer]` sections.
    pub peers: Vec<Section>,
}

/// Parses a wg-quick config.
pub fn parse(text: &str) -> Result<Config, WgQuickError> {
    let mut interface: Option<Section> = None;
    let mut peers: Vec<Section> = Vec::new();
    let mut in_peer = false;
    let mut comment: Vec<String> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let err = |m: String| WgQuickError {
            line: n,
            message: m,
        };
        let line = raw.trim();
        if line.is_empty() {
            comment.clear();
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            comment.push(c.trim().to_owned());
            continue;
        }
        let before = std::mem::take(&mut comment);
        if line.starts_with('[') {
            let section = Section {
                line: n,
                comment: before,
                entries: Vec::new(),
            };
            match line.to_ascii_lowercase().as_str() {
                "[interface]" => {
                    if let Some(first) = &interface {
                        return Err(err(format!(
                            "a second [Interface] (the first is on line {}); one config holds one interface",
                            first.line
                        )));
                    }
                    interface = Some(section);
                    in_peer = false;
                }
                "[peer]" => {
                    peers.push(section);
                    in_peer = true;
                }
                _ => {
                    return Err(err(format!(
                        "'{line}' is no section wg-quick knows; use [Interface] or [Peer]"
                    )));
                }
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(err(format!("'{line}' is not 'Key = Value'")));
        };
        // A value may hold a '#' (a PostUp script); wg-quick strips only
        // comments that start a line or follow whitespace... keep it whole.
        let entry = Entry {
            key: key.trim().to_owned(),
            value: value.trim().to_owned(),
            line: n,
        };
        match (in_peer, &mut interface) {
            (true, _) => peers.last_mut().expect("in a peer").entries.push(entry),
            (false, Some(s)) => s.entries.push(entry),
            (false, None) => {
                return Err(err(format!(
                    "'{}' comes before any [Interface] or [Peer]",
                    entry.key
                )));
            }
        }
    }
    let interface = interface.ok_or(WgQuickError {
        line: 1,
        message: "no [Interface] section: this is not a wg-quick config".into(),
    })?;
    Ok(Config { interface, peers })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_entries_and_names_above_peers() {
        let c = parse(
            "[Interface]\nPrivateKey = abc=\nAddress = 10.8.0.1/24, fd42::1/64\n# a note\n\n# Name = alice\n[Peer]\nPublicKey = k1=\nallowedips = 10.8.0.2/32\n\n[Peer]\nPublicKey = k2=\n",
        )
        .unwrap();
        assert_eq!(c.interface.get("privatekey").unwrap().value, "abc=");
        assert_eq!(c.peers.len(), 2);
        assert_eq!(c.peers[0].comment, ["Name = alice"]);
        assert_eq!(c.peers[0].get("AllowedIPs").unwrap().line, 9);
        assert!(c.peers[1].comment.is_empty());
    }

    #[test]
    fn errors_name_their_line() {
        let e = parse("[Interface]\nPrivateKey = a\n[Interface]\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("second [Interface]"));
        assert_eq!(parse("[Peer]\nPublicKey = x\n").unwrap_err().line, 1);
        assert_eq!(parse("[Interface]\njunk\n").unwrap_err().line, 2);
        assert_eq!(parse("[Wat]\n").unwrap_err().line, 1);
    }
}
