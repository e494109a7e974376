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

mod batch;
mod lexer;
mod parse;
mod write;

use std::fmt;

pub use batch::Configs;
pub use parse::parse;
pub use write::{export, quote};

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

    pub(crate) fn set(&mut self, name: &str, value: Value) {
        match self.options.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => *v = value,
            None => self.options.push((name.to_owned(), value)),
        }
    }

    pub(crate) fn add_list(&mut self, name: &str, value: &str) {
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

pub(crate) fn valid_package(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
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
