//! Names of peers and cameras.
//!
//! A name ends up in a file name (`peers/NAME.conf`), in a WireGuard tunnel
//! name on a phone, in UCI section names, in an nvram shell script and in nft
//! comments. Quoting differs in each of those places, so the defence against
//! injection is validation: a name is letters, digits, `-` and `_`, starting
//! with a letter or digit. Nothing else ever reaches a template.

use std::fmt;
use std::str::FromStr;

use serde_with::{DeserializeFromStr, SerializeDisplay};

use crate::error::InvalidValue;

/// Checks `s` against the name rules; `what` names the value in the message.
fn check(what: &str, s: &str, max: usize) -> Result<(), InvalidValue> {
    let fix =
        format!("use 1 to {max} letters, digits, '-' or '_', starting with a letter or digit");
    if s.is_empty() {
        return Err(InvalidValue::new(format!(
            "a {what} cannot be empty; {fix}"
        )));
    }
    if let Some(bad) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(InvalidValue::new(format!(
            "a {what} cannot contain {}; {fix}",
            describe(bad)
        )));
    }
    if s.len() > max {
        return Err(InvalidValue::new(format!(
            "a {what} is at most {max} characters, this one has {}; {fix}",
            s.len()
        )));
    }
    if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(InvalidValue::new(format!(
            "a {what} must start with a letter or digit; {fix}"
        )));
    }
    Ok(())
}

/// A character as a user would name it in an error message.
pub(crate) fn describe(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        '\n' => "a newline".to_owned(),
        '\t' => "a tab".to_owned(),
        '\'' => "a quote (')".to_owned(),
        '"' => "a quote (\")".to_owned(),
        c if c.is_control() => format!("a control character ({})", c.escape_debug()),
        c => format!("'{c}'"),
    }
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:expr, $reserved:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, SerializeDisplay, DeserializeFromStr)]
        pub struct $name(String);

        impl $name {
            /// The longest name allowed.
            pub const MAX_LEN: usize = $max;

            /// The name as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The name folded the way file systems and UCI identifiers may
            /// fold it: two names with the same key are the same name.
            pub fn key(&self) -> String {
                self.0.to_ascii_lowercase().replace('-', "_")
            }

            /// The name as an identifier where only `[A-Za-z0-9_]` is allowed
            /// (UCI section names, nft and iptables comments).
            pub fn ident(&self) -> String {
                self.0.replace('-', "_")
            }
        }

        impl FromStr for $name {
            type Err = InvalidValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                check($what, s, $max)?;
                let name = Self(s.to_owned());
                let reserved: &[(&str, &str)] = $reserved;
                if let Some((_, why)) = reserved.iter().find(|(r, _)| *r == name.key()) {
                    return Err(InvalidValue::new(format!(
                        "'{s}' cannot be a {}: {why}; pick another name",
                        $what
                    )));
                }
                Ok(name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(
    /// The name of a peer (a phone or laptop). At most 15 characters, because
    /// `peers/NAME.conf` becomes the tunnel name in the WireGuard apps and in
    /// wg-quick, which both refuse longer names.
    PeerName,
    "peer name",
    15,
    &[("index", "peers/index.html is the page that lists every peer")]
);

name_type!(
    /// The name of a camera or NVR.
    CameraName,
    "camera name",
    32,
    &[]
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_names() {
        for ok in ["phone", "Alice-ipad", "nvr_1", "0", "a23456789012345"] {
            assert!(ok.parse::<PeerName>().is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_what_could_inject() {
        for (bad, says) in [
            ("two words", "a space"),
            ("it's", "a quote (')"),
            ("\"q\"", "a quote (\")"),
            ("a\nb", "a newline"),
            ("$(reboot)", "'$'"),
            ("a;b", "';'"),
            ("a`b", "'`'"),
            ("", "empty"),
            ("-dash", "must start"),
            ("a23456789012345x", "at most 15"),
            ("ünï", "'ü'"),
        ] {
            let err = bad.parse::<PeerName>().unwrap_err().to_string();
            assert!(err.contains(says), "{bad:?}: {err}");
        }
    }

    #[test]
    fn key_folds_case_and_dashes() {
        let a: CameraName = "Front-Door".parse().unwrap();
        let b: CameraName = "front_door".parse().unwrap();
        assert_eq!(a.key(), b.key());
        assert_eq!(a.ident(), "Front_Door");
    }
}
