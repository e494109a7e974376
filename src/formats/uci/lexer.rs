//! The UCI lexer: arguments the way `parse_str` in uci's `file.c` reads
//! them. Shared by the config reader and the batch reader, which is why the
//! quoting rules live once, here.

use super::UciError;

/// Reads arguments the way `parse_str` in uci's `file.c` does.
pub(super) struct Lexer<'a> {
    s: &'a [u8],
    pub(super) pos: usize,
    pub(super) line: usize,
}

/// What ended an argument.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Arg {
    /// A non-empty argument.
    Word(String),
    /// End of the command: end of line, `;`, a comment, or end of input.
    End,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(s: &'a str) -> Self {
        Lexer {
            s: s.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    pub(super) fn err(&self, message: impl Into<String>) -> UciError {
        UciError {
            line: self.line,
            message: message.into(),
        }
    }

    pub(super) fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c')) {
            self.pos += 1;
        }
    }

    /// Skips to the end of the line (for comments), not consuming '\n'.
    pub(super) fn skip_line(&mut self) {
        while !matches!(self.peek(), None | Some(b'\n')) {
            self.pos += 1;
        }
    }

    /// A backslash: escapes the next byte, or continues the line.
    /// Returns the escaped byte, or `None` for a continuation.
    pub(super) fn backslash(&mut self) -> Option<u8> {
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
    pub(super) fn next_arg(&mut self) -> Result<Arg, UciError> {
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
                Some(q @ (b'\'' | b'"')) => self.quoted(q, start_line, &mut out)?,
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

    /// A quoted part of an argument, opened by `quote` (at the cursor), into
    /// `out`: as uci reads it, backslash escapes count inside double quotes
    /// only, and a value may run over lines.
    fn quoted(&mut self, quote: u8, start_line: usize, out: &mut Vec<u8>) -> Result<(), UciError> {
        self.pos += 1;
        loop {
            match self.peek() {
                None => {
                    return Err(UciError {
                        line: start_line,
                        message: if quote == b'"' {
                            "unterminated \" (a double-quoted value never ends)".into()
                        } else {
                            "unterminated ' (a single-quoted value never ends)".into()
                        },
                    });
                }
                Some(c) if c == quote => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') if quote == b'"' => {
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

    /// Consumes the end of a command: `;` keeps the line, '\n' moves on.
    pub(super) fn end_command(&mut self) -> Result<(), UciError> {
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
    pub(super) fn word(&mut self) -> String {
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
