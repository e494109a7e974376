//! camvpn: put IP cameras and NVRs behind WireGuard.
//!
//! Data flows one way: the site directory ([`store`]) gives a validated
//! [`site::Site`]; a target ([`targets`]) builds a template context from it
//! and renders artifacts; the binary's command line writes them atomically or
//! applies them. The library never sees the argument parser's types.

pub mod apply;
pub mod audit;
pub mod camera;
pub mod context;
pub mod endpoint;
pub mod error;
pub mod interface;
pub mod keys;
pub mod name;
pub mod net;
pub mod peer;
pub mod policy;
pub mod port;
pub mod qr;
pub mod site;
pub mod store;
pub mod targets;
pub mod templates;
pub mod uci;
pub mod vendor;

pub use error::{Error, Result};
