//! `uci batch` applied to a set of configs, the way `uci` applies it: the
//! model of the router camvpn's tests and renders work against.

use std::collections::{BTreeMap, BTreeSet};

use super::lexer::{Arg, Lexer};
use super::{Package, Section, UciError, Value, valid_name, valid_package, valid_type};

/// The configs a batch works on, and which of them it committed.
#[derive(Debug, Clone, Default)]
pub struct Configs {
    /// By name.
    pub packages: BTreeMap<String, Package>,
    /// Committed by the batch.
    pub committed: BTreeSet<String>,
    /// Changed since the last commit of each package.
    pub changed: BTreeSet<String>,
}

/// A parsed `package.section[.option][=value]`.
struct Ptr {
    package: String,
    section: Option<String>,
    option: Option<String>,
    value: Option<String>,
}

fn parse_ptr(s: &str, line: usize) -> Result<Ptr, UciError> {
    let err = |m: String| UciError { line, message: m };
    let (path, value) = match s.split_once('=') {
        Some((p, v)) => (p, Some(v.to_owned())),
        None => (s, None),
    };
    let mut parts = path.split('.');
    let package = parts.next().unwrap_or_default().to_owned();
    let section = parts.next().map(str::to_owned);
    let option = parts.next().map(str::to_owned);
    if parts.next().is_some() {
        return Err(err(format!("'{s}' has too many parts")));
    }
    if !valid_package(&package) {
        return Err(err(format!("invalid config name in '{s}'")));
    }
    if let Some(o) = &option
        && !valid_name(o)
    {
        return Err(err(format!("invalid option name in '{s}'")));
    }
    if let Some(v) = &value
        && v.bytes()
            .any(|c| c < 32 && c != b'\t' && c != b'\n' && c != b'\r')
    {
        return Err(err(format!("control character in the value of '{path}'")));
    }
    Ok(Ptr {
        package,
        section,
        option,
        value,
    })
}

impl Configs {
    /// A set of configs.
    pub fn new(packages: impl IntoIterator<Item = Package>) -> Self {
        Configs {
            packages: packages.into_iter().map(|p| (p.name.clone(), p)).collect(),
            ..Default::default()
        }
    }

    /// Resolves a section reference (`name` or `@type[i]`).
    fn find(p: &Package, section: &str, line: usize) -> Result<Option<usize>, UciError> {
        let Some(rest) = section.strip_prefix('@') else {
            if !valid_name(section) {
                return Err(UciError {
                    line,
                    message: format!("invalid section name '{section}'"),
                });
            }
            return Ok(p
                .sections
                .iter()
                .position(|s| s.name.as_deref() == Some(section)));
        };
        let (stype, idx) = match rest.split_once('[') {
            Some((t, i)) => {
                let i: i64 = i
                    .strip_suffix(']')
                    .and_then(|i| i.parse().ok())
                    .ok_or_else(|| UciError {
                        line,
                        message: format!("invalid section index in '{section}'"),
                    })?;
                (t, i)
            }
            None => (rest, 0),
        };
        let matching: Vec<usize> = p
            .sections
            .iter()
            .enumerate()
            .filter(|(_, s)| s.stype == stype)
            .map(|(i, _)| i)
            .collect();
        let n = i64::try_from(matching.len()).unwrap_or(i64::MAX);
        let idx = if idx < 0 { n + idx } else { idx };
        Ok(usize::try_from(idx)
            .ok()
            .and_then(|i| matching.get(i).copied()))
    }

    /// Runs `uci batch` commands. The real `uci` reports a failing command
    /// and goes on; this model stops with the line, because a batch camvpn
    /// wrote must not have failing commands.
    pub fn batch(&mut self, text: &str) -> Result<(), UciError> {
        let mut lx = Lexer::new(text);
        loop {
            lx.skip_blanks();
            match lx.peek() {
                None => return Ok(()),
                Some(b'\n') => {
                    lx.pos += 1;
                    lx.line += 1;
                    continue;
                }
                _ => {}
            }
            let line = lx.line;
            let mut args = Vec::new();
            while let Arg::Word(w) = lx.next_arg()? {
                if args.len() == 4 {
                    return Err(UciError {
                        line,
                        message: "too many arguments".into(),
                    });
                }
                args.push(w);
            }
            if args.is_empty() {
                continue;
            }
            if args[0].eq_ignore_ascii_case("exit") {
                return Ok(());
            }
            self.command(&args, line)?;
        }
    }

    fn command(&mut self, args: &[String], line: usize) -> Result<(), UciError> {
        let err = |m: String| UciError { line, message: m };
        let cmd = args[0].to_ascii_lowercase();
        match cmd.as_str() {
            "commit" => {
                let names: Vec<String> = match args.get(1) {
                    Some(n) => vec![n.clone()],
                    None => self.packages.keys().cloned().collect(),
                };
                for n in names {
                    if !self.packages.contains_key(&n) {
                        return Err(err(format!("commit of unknown config '{n}'")));
                    }
                    self.changed.remove(&n);
                    self.committed.insert(n);
                }
                return Ok(());
            }
            "add" => {
                let [_, pkg, stype] = args else {
                    return Err(err("add takes a config and a section type".into()));
                };
                if !valid_type(stype) {
                    return Err(err(format!("invalid section type '{stype}'")));
                }
                let p = self
                    .packages
                    .get_mut(pkg)
                    .ok_or_else(|| err(format!("config '{pkg}' not found")))?;
                p.sections.push(Section {
                    name: None,
                    stype: stype.clone(),
                    options: Vec::new(),
                    line: 0,
                });
                self.changed.insert(pkg.clone());
                return Ok(());
            }
            "set" | "add_list" | "del_list" | "delete" | "del" | "reorder" => {}
            other => {
                return Err(err(format!(
                    "'{other}' is not a command camvpn's batches use"
                )));
            }
        }
        if args.len() != 2 {
            return Err(err(format!("{cmd} takes one argument")));
        }
        let ptr = parse_ptr(&args[1], line)?;
        let p = self
            .packages
            .get_mut(&ptr.package)
            .ok_or_else(|| err(format!("config '{}' not found", ptr.package)))?;
        let section = ptr
            .section
            .as_deref()
            .ok_or_else(|| err(format!("{cmd} needs a section")))?;
        let found = Self::find(p, section, line)?;
        match (cmd.as_str(), ptr.option, ptr.value) {
            ("set", None, Some(stype)) => {
                if stype.is_empty() {
                    if let Some(i) = found {
                        p.sections.remove(i);
                    }
                } else {
                    if !valid_type(&stype) {
                        return Err(err(format!("invalid section type '{stype}'")));
                    }
                    match found {
                        Some(i) => p.sections[i].stype = stype,
                        None => {
                            if section.starts_with('@') {
                                return Err(err(format!("section '{section}' not found")));
                            }
                            p.sections.push(Section {
                                name: Some(section.to_owned()),
                                stype,
                                options: Vec::new(),
                                line: 0,
                            });
                        }
                    }
                }
            }
            ("set", Some(opt), Some(value)) => {
                let i = found.ok_or_else(|| err(format!("section '{section}' not found")))?;
                if value.is_empty() {
                    p.sections[i].options.retain(|(n, _)| n != &opt);
                } else {
                    p.sections[i].set(&opt, Value::Str(value));
                }
            }
            ("add_list", Some(opt), Some(value)) => {
                let i = found.ok_or_else(|| err(format!("section '{section}' not found")))?;
                p.sections[i].add_list(&opt, &value);
            }
            ("del_list", Some(opt), Some(value)) => {
                let i = found.ok_or_else(|| err(format!("section '{section}' not found")))?;
                if let Some((_, Value::List(l))) =
                    p.sections[i].options.iter_mut().find(|(n, _)| *n == opt)
                {
                    l.retain(|e| *e != value);
                }
            }
            ("reorder", None, Some(pos)) => {
                let i = found.ok_or_else(|| err(format!("section '{section}' not found")))?;
                let pos: usize = pos
                    .parse()
                    .map_err(|_| err(format!("reorder to '{pos}': not a position")))?;
                let s = p.sections.remove(i);
                let at = pos.min(p.sections.len());
                p.sections.insert(at, s);
            }
            ("delete" | "del", opt, None) => {
                let i =
                    found.ok_or_else(|| err(format!("entry not found: section '{section}'")))?;
                match opt {
                    None => {
                        p.sections.remove(i);
                    }
                    Some(o) => {
                        let before = p.sections[i].options.len();
                        p.sections[i].options.retain(|(n, _)| *n != o);
                        if p.sections[i].options.len() == before {
                            return Err(err(format!(
                                "entry not found: option '{o}' of '{section}'"
                            )));
                        }
                    }
                }
            }
            _ => return Err(err(format!("malformed {cmd} '{}'", args[1]))),
        }
        self.changed.insert(p.name.clone());
        Ok(())
    }
}
