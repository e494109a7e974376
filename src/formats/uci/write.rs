//! Writing UCI: the export format `uci commit` writes back.

use std::fmt::Write as _;

use super::{Package, Value};

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
