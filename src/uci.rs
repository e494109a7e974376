//! OpenWrt's UCI: a reader for `/etc/config/*` files, the `uci batch`
//! commands camvpn writes, and the export format `uci commit` writes back.
//!
//! The rules follow openwrt/uci (`file.c`, `list.c`, `util.c`, `cli.c`), not
//! what looks plausible: an argument is unquoted, single-quoted (literal) or
//! double-quoted (backslash escapes) text, and adjacent pieces join
//! (`'a'"b"c` is `abc`); quoted text may span lines; a backslash at the end
//! of a line continues it; an unquoted `#` starts a comment and `;` separates
//! commands. Names are `[A-Za-z0-9_]`, types printable ASCII. `option x` with
//! an empty value sets nothing; a `list` after an `option` of the same name
//! turns it into a list. Parsing is strict, as `uci` is by default: too many
//! arguments are an error. Errors carry the line.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fmt::Write as _;

/// A parse or batch error, with the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UciError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for UciError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for UciError {}

/// An option's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `option`.
    Str(String),
    /// `list`.
    List(Vec<String>),
}

/// A section: `config TYPE ['NAME']`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The name; `None` for an anonymous section.
    pub name: Option<String>,
    /// The type.
    pub stype: String,
    /// Options in file order.
    pub options: Vec<(String, Value)>,
    /// The line it starts on (0 for sections made by a batch).
    pub line: usize,
}

impl Section {
    /// The value of option `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.options.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Option `name` as a string (a list's elements joined by spaces, which
    /// is how fw4 and netifd read a list where they expect one value).
    pub fn get_str(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            Value::Str(s) => Some(s.clone()),
            Value::List(l) => Some(l.join(" ")),
        }
    }

    /// Option `name` as words: a list's elements, or a string split at
    /// whitespace (fw4's `PARSE_LIST` options read both).
    pub fn get_words(&self, name: &str) -> Vec<String> {
        match self.get(name) {
            None => Vec::new(),
            Some(Value::Str(s)) => s.split_whitespace().map(str::to_owned).collect(),
            Some(Value::List(l)) => l
                .iter()
                .flat_map(|e| e.split_whitespace().map(str::to_owned))
                .collect(),
        }
    }

    fn set(&mut self, name: &str, value: Value) {
        match self.options.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => *v = value,
            None => self.options.push((name.to_owned(), value)),
        }
    }

    fn add_list(&mut self, name: &str, value: &str) {
        match self.options.iter_mut().find(|(n, _)| n == name) {
            Some((_, Value::List(l))) => l.push(value.to_owned()),
            Some((_, v @ Value::Str(_))) => {
                let Value::Str(old) = std::mem::replace(v, Value::List(Vec::new())) else {
                    unreachable!()
                };
                *v = Value::List(vec![old, value.to_owned()]);
            }
            None => self
                .options
                .push((name.to_owned(), Value::List(vec![value.to_owned()]))),
        }
    }
}

/// A config file: `/etc/config/NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Package {
    /// The config name (`network`, `firewall`).
    pub name: String,
    /// Sections in file order.
    pub sections: Vec<Section>,
}

impl Package {
    /// The named section `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections
            .iter()
            .find(|s| s.name.as_deref() == Some(name))
    }

    /// Sections of type `stype`, each with its `@type[i]` index.
    pub fn of_type<'a>(
        &'a self,
        stype: &'a str,
    ) -> impl Iterator<Item = (usize, &'a Section)> + 'a {
        self.sections
            .iter()
            .filter(move |s| s.stype == stype)
            .enumerate()
    }

    /// How `uci` addresses a section: its name, or `@type[i]`.
    pub fn reference(&self, index: usize) -> String {
        let s = &self.sections[index];
        match &s.name {
            Some(n) => n.clone(),
            None => {
                let i = self.sections[..index]
                    .iter()
                    .filter(|o| o.stype == s.stype)
                    .count();
                format!("@{}[{i}]", s.stype)
            }
        }
    }
}

/// `uci_validate_name`: letters, digits and `_`.
pub fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// `uci_validate_type`: printable ASCII without spaces.
pub fn valid_type(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| (33..=126).contains(&c))
}

fn valid_package(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// Reads arguments the way `parse_str` in uci's `file.c` does.
struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    line: usize,
}

/// What ended an argument.
#[derive(Debug, PartialEq, Eq)]
enum Arg {
    /// A non-empty argument.
    Word(String),
    /// End of the command: end of line, `;`, a comment, or end of input.
    End,
}

impl<'a> Lexer<'a> {
    fn new(s: &'a str) -> Self {
        Lexer {
            s: s.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn err(&self, message: impl Into<String>) -> UciError {
        UciError {
            line: self.line,
            message: message.into(),
        }
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c')) {
            self.pos += 1;
        }
    }

    /// Skips to the end of the line (for comments), not consuming '\n'.
    fn skip_line(&mut self) {
        while !matches!(self.peek(), None | Some(b'\n')) {
            self.pos += 1;
        }
    }

    /// A backslash: escapes the next byte, or continues the line.
    /// Returns the escaped byte, or `None` for a continuation.
    fn backslash(&mut self) -> Option<u8> {
        self.pos += 1;
        match self.peek() {
            None => None,
            Some(b'\n') => {
                self.pos += 1;
                self.line += 1;
                None
            }
            Some(b'\r') if self.s.get(self.pos + 1) == Some(&b'\n') => {
                self.pos += 2;
                self.line += 1;
                None
            }
            Some(c) => {
                self.pos += 1;
                Some(c)
            }
        }
    }

    /// The next argument of the current command.
    fn next_arg(&mut self) -> Result<Arg, UciError> {
        self.skip_blanks();
        let mut out: Vec<u8> = Vec::new();
        let start_line = self.line;
        loop {
            match self.peek() {
                None | Some(b'\n' | b' ' | b'\t' | b'\r') => break,
                Some(b';') => {
                    if out.is_empty() {
                        self.pos += 1;
                        return Ok(Arg::End);
                    }
                    break;
                }
                Some(b'#') => {
                    self.skip_line();
                    break;
                }
                Some(b'\'') => {
                    self.pos += 1;
                    loop {
                        match self.peek() {
                            None => {
                                return Err(UciError {
                                    line: start_line,
                                    message: "unterminated ' (a single-quoted value never ends)"
                                        .into(),
                                });
                            }
                            Some(b'\'') => {
                                self.pos += 1;
                                break;
                            }
                            Some(c) => {
                                if c == b'\n' {
                                    self.line += 1;
                                }
                                out.push(c);
                                self.pos += 1;
                            }
                        }
                    }
                }
                Some(b'"') => {
                    self.pos += 1;
                    loop {
                        match self.peek() {
                            None => {
                                return Err(UciError {
                                    line: start_line,
                                    message: "unterminated \" (a double-quoted value never ends)"
                                        .into(),
                                });
                            }
                            Some(b'"') => {
                                self.pos += 1;
                                break;
                            }
                            Some(b'\\') => {
                                if let Some(c) = self.backslash() {
                                    out.push(c);
                                }
                            }
                            Some(c) => {
                                if c == b'\n' {
                                    self.line += 1;
                                }
                                out.push(c);
                                self.pos += 1;
                            }
                        }
                    }
                }
                Some(b'\\') => {
                    if let Some(c) = self.backslash() {
                        out.push(c);
                    }
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
        if out.is_empty() {
            return Ok(Arg::End);
        }
        String::from_utf8(out)
            .map(Arg::Word)
            .map_err(|_| self.err("the value is not valid UTF-8"))
    }

    /// Consumes the end of a command: `;` keeps the line, '\n' moves on.
    fn end_command(&mut self) -> Result<(), UciError> {
        if let Arg::Word(extra) = self.next_arg()? {
            return Err(self.err(format!("too many arguments ('{extra}')")));
        }
        self.skip_blanks();
        if self.peek() == Some(b';') {
            self.pos += 1;
        }
        Ok(())
    }

    /// The command word, as `strtok(" \t")` reads it: raw.
    fn word(&mut self) -> String {
        let start = self.pos;
        while !matches!(
            self.peek(),
            None | Some(b' ' | b'\t' | b'\n' | b'\r' | b';')
        ) {
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.pos]).into_owned()
    }
}

/// Parses a config file's text; `package` is its name.
pub fn parse(text: &str, package: &str) -> Result<Package, UciError> {
    let mut p = Package {
        name: package.to_owned(),
        sections: Vec::new(),
    };
    let mut lx = Lexer::new(text);
    let mut current: Option<usize> = None;
    loop {
        lx.skip_blanks();
        match lx.peek() {
            None => break,
            Some(b'\n') => {
                lx.pos += 1;
                lx.line += 1;
                continue;
            }
            Some(b'#') => {
                lx.skip_line();
                continue;
            }
            Some(b';') => {
                lx.pos += 1;
                continue;
            }
            _ => {}
        }
        let line = lx.line;
        let word = lx.word();
        match word.as_str() {
            "package" | "p" => {
                let Arg::Word(name) = lx.next_arg()? else {
                    return Err(lx.err("package without name"));
                };
                if !valid_package(&name) {
                    return Err(lx.err(format!("invalid character in package name '{name}'")));
                }
                lx.end_command()?;
            }
            "config" | "c" => {
                let Arg::Word(stype) = lx.next_arg()? else {
                    return Err(lx.err("config without type"));
                };
                if !valid_type(&stype) {
                    return Err(lx.err(format!("invalid character in type field '{stype}'")));
                }
                let name = match lx.next_arg()? {
                    Arg::Word(n) => {
                        if !valid_name(&n) {
                            return Err(lx.err(format!(
                                "invalid character in name field '{n}' (section names are letters, digits and _)"
                            )));
                        }
                        lx.end_command()?;
                        Some(n)
                    }
                    Arg::End => None,
                };
                if let Some(n) = &name
                    && let Some(i) = p.sections.iter().position(|s| s.name.as_deref() == Some(n))
                {
                    // A repeated named section continues the earlier one.
                    if p.sections[i].stype != stype {
                        return Err(lx.err(format!(
                            "section '{n}' of type {stype} overwrites an earlier section of type {}",
                            p.sections[i].stype
                        )));
                    }
                    current = Some(i);
                    continue;
                }
                p.sections.push(Section {
                    name,
                    stype,
                    options: Vec::new(),
                    line,
                });
                current = Some(p.sections.len() - 1);
            }
            "option" | "o" | "list" | "l" => {
                let Some(i) = current else {
                    return Err(lx.err("option/list command found before the first section"));
                };
                let Arg::Word(name) = lx.next_arg()? else {
                    return Err(lx.err(format!("{word} without name")));
                };
                if !valid_name(&name) {
                    return Err(lx.err(format!(
                        "invalid character in option name '{name}' (letters, digits and _)"
                    )));
                }
                let value = match lx.next_arg()? {
                    Arg::Word(v) => {
                        lx.end_command()?;
                        v
                    }
                    Arg::End => String::new(),
                };
                if word.starts_with('l') {
                    p.sections[i].add_list(&name, &value);
                } else if !value.is_empty() {
                    p.sections[i].set(&name, Value::Str(value));
                } else {
                    // uci_set with an empty value deletes.
                    p.sections[i].options.retain(|(n, _)| n != &name);
                }
            }
            other => {
                return Err(UciError {
                    line,
                    message: format!("invalid command '{other}'"),
                });
            }
        }
    }
    Ok(p)
}

/// Quotes a value as `uci export` does: single quotes, `'` as `'\''`.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The text `uci commit` writes for `p`.
pub fn export(p: &Package) -> String {
    let mut out = String::new();
    for s in &p.sections {
        out.push_str("\nconfig ");
        out.push_str(&s.stype);
        if let Some(n) = &s.name {
            out.push(' ');
            out.push_str(&quote(n));
        }
        out.push('\n');
        for (name, v) in &s.options {
            match v {
                Value::Str(v) => {
                    let _ = writeln!(out, "\toption {name} {}", quote(v));
                }
                Value::List(l) => {
                    for e in l {
                        let _ = writeln!(out, "\tlist {name} {}", quote(e));
                    }
                }
            }
        }
    }
    out.push('\n');
    out
}

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
            "set" | "add_list" | "del_list" | "delete" | "del" => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_style_unquoted_tabs_and_comments() {
        let t = "config defaults\n\toption syn_flood\t1\n\toption input\t\tREJECT\n# Uncomment\n#\toption disable_ipv6\t1\n\nconfig zone\n\toption name\t\twan\n\tlist   network\t\t'wan'\n\tlist   network\t\t'wan6'\n";
        let p = parse(t, "firewall").unwrap();
        assert_eq!(p.sections.len(), 2);
        assert_eq!(p.sections[0].get_str("input").unwrap(), "REJECT");
        assert_eq!(p.sections[0].get("disable_ipv6"), None);
        assert_eq!(p.sections[1].get_words("network"), ["wan", "wan6"]);
        assert_eq!(p.sections[1].line, 7);
    }

    #[test]
    fn quoting_rules() {
        let t = r#"config redirect 'cam'
	option name 'it'\''s "fine"'
	option a "dq \"esc\" \$x"
	option b unq\ uoted
	option c 'a'"b"c
	option d 'multi
line'
	option e val#ue
	option f "x" # trailing comment
	option g continued\
on
"#;
        let p = parse(t, "firewall").unwrap();
        let s = p.section("cam").unwrap();
        assert_eq!(s.get_str("name").unwrap(), "it's \"fine\"");
        assert_eq!(s.get_str("a").unwrap(), "dq \"esc\" $x");
        assert_eq!(s.get_str("b").unwrap(), "unq uoted");
        assert_eq!(s.get_str("c").unwrap(), "abc");
        assert_eq!(s.get_str("d").unwrap(), "multi\nline");
        assert_eq!(s.get_str("e").unwrap(), "val");
        assert_eq!(s.get_str("f").unwrap(), "x");
        assert_eq!(s.get_str("g").unwrap(), "continuedon");
    }

    #[test]
    fn semicolons_separate_commands() {
        let p = parse("config a 'x'; option k v; option l w\n", "t").unwrap();
        assert_eq!(p.sections[0].get_str("k").unwrap(), "v");
        assert_eq!(p.sections[0].get_str("l").unwrap(), "w");
    }

    #[test]
    fn list_after_option_and_option_after_list() {
        let p = parse(
            "config a\n option x 1\n list x 2\n list y 3\n option y 4\n option z ''\n",
            "t",
        )
        .unwrap();
        assert_eq!(
            p.sections[0].get("x"),
            Some(&Value::List(vec!["1".into(), "2".into()]))
        );
        assert_eq!(p.sections[0].get("y"), Some(&Value::Str("4".into())));
        assert_eq!(p.sections[0].get("z"), None);
    }

    #[test]
    fn errors_carry_lines() {
        for (t, line, says) in [
            ("config a\n\toption x 'open\n", 2, "unterminated '"),
            ("config a\n\toptoin x y\n", 2, "invalid command 'optoin'"),
            ("\n\noption x y\n", 3, "before the first section"),
            ("config a 'bad-name'\n", 1, "invalid character in name"),
            (
                "config a\n option 'x y' z\n",
                2,
                "invalid character in option name",
            ),
            ("config a\n option x y z\n", 2, "too many arguments"),
            ("config a 'n'\nconfig b 'n'\n", 2, "overwrites"),
        ] {
            let e = parse(t, "t").unwrap_err();
            assert_eq!(e.line, line, "{t:?}: {e}");
            assert!(e.message.contains(says), "{t:?}: {e}");
        }
    }

    #[test]
    fn export_round_trips() {
        let t = "config rule 'x'\n\toption name 'it'\\''s'\n\tlist dest_port '80'\n\tlist dest_port '554'\n\nconfig redirect\n\toption dest_ip '192.168.1.108'\n";
        let p = parse(t, "firewall").unwrap();
        let again = parse(&export(&p), "firewall").unwrap();
        assert_eq!(
            p.sections
                .iter()
                .map(|s| (&s.name, &s.stype, &s.options))
                .collect::<Vec<_>>(),
            again
                .sections
                .iter()
                .map(|s| (&s.name, &s.stype, &s.options))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn batch_semantics() {
        let fw = parse("config redirect\n option dest_ip a\nconfig redirect 'named'\n option dest_ip b\nconfig redirect\n option dest_ip c\n", "firewall").unwrap();
        let mut c = Configs::new([fw]);
        c.batch("set firewall.z=zone\nset firewall.z.name='vpn'\nadd_list firewall.z.network='wg0'\nadd_list firewall.z.network=\"wg1\"\n# comment\ndelete firewall.@redirect[2]\ndelete firewall.@redirect[0]\ncommit firewall\n")
            .unwrap();
        let p = &c.packages["firewall"];
        let redirects: Vec<String> = p
            .of_type("redirect")
            .map(|(_, s)| s.get_str("dest_ip").unwrap())
            .collect();
        assert_eq!(redirects, ["b"]);
        assert_eq!(p.section("z").unwrap().get_words("network"), ["wg0", "wg1"]);
        assert!(c.committed.contains("firewall") && c.changed.is_empty());
        // Negative indices count from the end; unknown entries are errors here.
        let mut c2 = c.clone();
        c2.batch("delete firewall.@redirect[-1]\n").unwrap();
        assert_eq!(c2.packages["firewall"].of_type("redirect").count(), 0);
        assert!(
            c.batch("delete firewall.nothere\n")
                .unwrap_err()
                .message
                .contains("not found")
        );
        assert!(c.batch("set firewall.nothere.x=1\n").is_err());
        assert_eq!(c.batch("\n\nset firewall.z.a b c\n").unwrap_err().line, 3);
    }
}
