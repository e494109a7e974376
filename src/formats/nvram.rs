//! DD-WRT's `nvram show`: `name=value` lines, as the router prints them.

use std::collections::BTreeMap;

/// The variables of a dump, and how much of it was one.
#[derive(Debug, Clone, Default)]
pub struct Dump {
    /// Each variable's value and the line it starts on.
    pub vars: BTreeMap<String, (String, usize)>,
    /// Lines that are of the dump.
    pub understood: usize,
    /// Lines that are not (before the first variable, after the end).
    pub skipped: Vec<(usize, String)>,
}

impl Dump {
    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|(v, _)| v.as_str())
    }

    /// The line `name` is on.
    pub fn line(&self, name: &str) -> usize {
        self.vars.get(name).map_or(0, |(_, l)| *l)
    }
}

/// `name=value` lines; a line without `=` continues the previous value
/// (multi-line values such as `rc_firewall`), `size: …` ends the dump. Lines
/// before the first variable, and after the end, are not of the dump.
pub fn parse(text: &str) -> Dump {
    let mut d = Dump::default();
    let mut last: Option<String> = None;
    let mut ended = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if ended {
            d.skipped.push((i + 1, line.to_owned()));
            continue;
        }
        if line.starts_with("size: ") && line.contains("bytes") {
            d.understood += 1;
            ended = true;
            continue;
        }
        let key = line.split_once('=').map(|(k, _)| k).filter(|k| {
            !k.is_empty()
                && k.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
        });
        match key {
            Some(k) => {
                let v = &line[k.len() + 1..];
                d.vars.insert(k.to_owned(), (v.to_owned(), i + 1));
                last = Some(k.to_owned());
                d.understood += 1;
            }
            None => match &last {
                Some(k) => {
                    if let Some((v, _)) = d.vars.get_mut(k) {
                        v.push('\n');
                        v.push_str(line);
                    }
                    d.understood += 1;
                }
                None => d.skipped.push((i + 1, line.to_owned())),
            },
        }
    }
    d
}
