//! The site model: what `site.toml` and `keys/` describe, validated.
//!
//! Every value that ends up in a config file is a newtype here that checks
//! itself when parsed (names, interfaces, ports, endpoints, keys): that is
//! what keeps a name from injecting a line into wg-quick, UCI, nft or a
//! shell script. Nothing here reads or writes files.

pub mod admission;
pub mod camera;
pub mod endpoint;
pub mod interface;
pub mod keys;
pub mod mac;
pub mod name;
pub mod net;
pub mod peer;
pub mod port;
pub mod relay;
pub mod site;
pub mod vendor;
