//! WireGuard keys.
//!
//! The curve arithmetic is x25519-dalek's; this module only decides how keys
//! are generated, parsed and shown. Private keys are stored clamped, exactly as
//! `wg genkey` prints them, using dalek's clamping rather than our own bit
//! twiddling. Parsing is strict: exactly 32 bytes of standard base64, anything
//! else is an error naming where the key came from — never a zero key.
//! Secret keys are zeroized on drop and never shown by `{:?}`.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use curve25519_dalek::scalar::clamp_integer;
use serde_with::{DeserializeFromStr, SerializeDisplay};
use x25519_dalek::StaticSecret;
use zeroize::Zeroizing;

use crate::error::{Error, InvalidValue, Result};

/// Why `s` is not a base64 WireGuard key, or its 32 bytes; `tool` is the
/// `wg` command that prints such a key (`wg pubkey` for a public one).
fn decode(s: &str, tool: &str) -> Result<Zeroizing<[u8; 32]>, String> {
    let s = s.trim();
    if s.len() != 44 {
        return Err(format!(
            "a WireGuard key is 44 characters of base64 (as `{tool}` prints it), found {}",
            s.chars().count()
        ));
    }
    let bytes = Zeroizing::new(
        STANDARD
            .decode(s)
            .map_err(|e| format!("not valid base64: {e}"))?,
    );
    let mut key = Zeroizing::new([0u8; 32]);
    if bytes.len() != 32 {
        return Err(format!("decodes to {} bytes instead of 32", bytes.len()));
    }
    key.copy_from_slice(&bytes);
    if key.iter().all(|b| *b == 0) {
        return Err("the key is all zeros".to_owned());
    }
    Ok(key)
}

fn random32() -> Zeroizing<[u8; 32]> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    getrandom::fill(bytes.as_mut()).expect("the operating system's random source failed");
    bytes
}

/// A WireGuard private key.
#[derive(Clone)]
pub struct PrivateKey(StaticSecret);

impl PrivateKey {
    /// A new random key, clamped like `wg genkey` output.
    pub fn generate() -> Self {
        PrivateKey(StaticSecret::from(clamp_integer(*random32())))
    }

    /// Parses a key; `origin` (a file path) is named in the error.
    pub fn from_base64(s: &str, origin: &str) -> Result<Self> {
        let bytes = decode(s, "wg genkey").map_err(|reason| Error::Key {
            origin: origin.to_owned(),
            reason,
        })?;
        Ok(PrivateKey(StaticSecret::from(*bytes)))
    }

    /// The key in base64, as `wg genkey` prints it.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.0.as_bytes()))
    }

    /// The matching public key, as `wg pubkey` computes it.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(x25519_dalek::PublicKey::from(&self.0).to_bytes())
    }

    /// Whether the stored bytes are already clamped.
    pub fn is_clamped(&self) -> bool {
        clamp_integer(self.0.to_bytes()) == self.0.to_bytes()
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey(<secret> of public {})", self.public_key())
    }
}

/// A WireGuard public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, SerializeDisplay, DeserializeFromStr)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// Parses a key; `origin` (a file or flag) is named in the error.
    pub fn from_base64(s: &str, origin: &str) -> Result<Self> {
        let bytes = decode(s, "wg pubkey").map_err(|reason| Error::Key {
            origin: origin.to_owned(),
            reason,
        })?;
        Ok(PublicKey(*bytes))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&STANDARD.encode(self.0))
    }
}

impl FromStr for PublicKey {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        decode(s, "wg pubkey")
            .map(|b| PublicKey(*b))
            .map_err(|reason| InvalidValue::new(format!("invalid public key: {reason}")))
    }
}

/// A WireGuard preshared key (the optional symmetric key of `wg genpsk`).
#[derive(Clone)]
pub struct PresharedKey(Zeroizing<[u8; 32]>);

impl PresharedKey {
    /// A new random key, like `wg genpsk`.
    pub fn generate() -> Self {
        PresharedKey(random32())
    }

    /// Parses a key; `origin` (a file path) is named in the error.
    pub fn from_base64(s: &str, origin: &str) -> Result<Self> {
        decode(s, "wg genpsk")
            .map(PresharedKey)
            .map_err(|reason| Error::Key {
                origin: origin.to_owned(),
                reason,
            })
    }

    /// The key in base64.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.0.as_ref()))
    }
}

impl fmt::Debug for PresharedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PresharedKey(<secret>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_clamped_and_round_trip() {
        let k = PrivateKey::generate();
        assert!(k.is_clamped());
        let b64 = k.to_base64();
        assert_eq!(b64.len(), 44);
        let back = PrivateKey::from_base64(&format!("{}\n", *b64), "test").unwrap();
        assert_eq!(back.public_key(), k.public_key());
    }

    #[test]
    fn known_vector() {
        // RFC 7748 section 6.1: Alice's private and public key.
        let private = STANDARD.encode(hex(
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
        ));
        let public = STANDARD.encode(hex(
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
        ));
        let k = PrivateKey::from_base64(&private, "rfc").unwrap();
        assert_eq!(k.public_key().to_string(), public);
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let k = PrivateKey::generate();
        let secret = k.to_base64();
        let shown = format!("{k:?} {:?}", PresharedKey::generate());
        assert!(!shown.contains(secret.as_str()));
        assert!(shown.contains("<secret>"));
    }

    #[test]
    fn bad_keys_name_their_origin() {
        let cases = [
            ("abc", "found 3"),
            (
                "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!=",
                "not valid base64",
            ),
            ("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "all zeros"),
            (
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                "found 48",
            ),
        ];
        for (bad, says) in cases {
            let err = PrivateKey::from_base64(bad, "keys/x.key")
                .unwrap_err()
                .to_string();
            assert!(err.contains("keys/x.key") && err.contains(says), "{err}");
            let err = PresharedKey::from_base64(bad, "keys/x.psk")
                .unwrap_err()
                .to_string();
            assert!(err.contains("keys/x.psk") && err.contains(says), "{err}");
        }
        assert!("abc".parse::<PublicKey>().is_err());
    }
}
