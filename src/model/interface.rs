//! Network interface names.

use std::fmt;
use std::str::FromStr;

use serde_with::{DeserializeFromStr, SerializeDisplay};

use crate::error::InvalidValue;
use crate::model::name::describe;

/// A network interface name, as wg-quick accepts it: 1 to 15 characters of
/// `[a-zA-Z0-9_=+.-]` (wg-quick matches exactly this before it does anything,
/// and the kernel's limit is 15). The WireGuard interface, the WAN and the LAN
/// interface all use it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, SerializeDisplay, DeserializeFromStr)]
pub struct InterfaceName(String);

impl InterfaceName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the name is also a valid UCI section name (`[A-Za-z0-9_]`),
    /// which OpenWrt needs because the section name is the netdev name.
    pub fn is_uci_ident(&self) -> bool {
        self.0
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    }
}

impl FromStr for InterfaceName {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const FIX: &str = "use 1 to 15 letters, digits or '_=+.-' (as wg-quick requires)";
        if s.is_empty() {
            return Err(InvalidValue::new(format!(
                "an interface name cannot be empty; {FIX}"
            )));
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "_=+.-".contains(*c)))
        {
            return Err(InvalidValue::new(format!(
                "an interface name cannot contain {}; {FIX}",
                describe(bad)
            )));
        }
        if s.len() > 15 {
            return Err(InvalidValue::new(format!(
                "an interface name is at most 15 characters, this one has {}; {FIX}",
                s.len()
            )));
        }
        if s == "." || s == ".." {
            return Err(InvalidValue::new(format!(
                "'{s}' is not an interface name; {FIX}"
            )));
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for InterfaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wg_quick_rules() {
        for ok in ["wg0", "eth0.2", "br-lan", "a=b+c_d", "abcdefghijklmno"] {
            assert!(ok.parse::<InterfaceName>().is_ok(), "{ok}");
        }
        for bad in [
            "",
            "abcdefghijklmnop",
            "wg 0",
            "wg/0",
            "wg0;",
            ".",
            "..",
            "wg:0",
        ] {
            assert!(bad.parse::<InterfaceName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn uci_ident() {
        assert!("wg0".parse::<InterfaceName>().unwrap().is_uci_ident());
        assert!(!"wg-0".parse::<InterfaceName>().unwrap().is_uci_ident());
    }
}
