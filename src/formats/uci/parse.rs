//! Reading `/etc/config/*` files into a [`Package`].

use super::lexer::{Arg, Lexer};
use super::{Package, Section, UciError, Value, valid_name, valid_package, valid_type};

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
