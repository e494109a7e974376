//! camvpn: put IP cameras and NVRs behind WireGuard.
//!
//! Data flows one way: the site directory ([`store`]) gives a validated
//! [`model::site::Site`]; [`policy`] derives who may reach what; a target
//! ([`targets`]) builds a template context from both and renders artifacts;
//! [`ops`] writes them atomically or hands them to [`host`] to apply. Each
//! use case is one function in [`ops`]: the binary's command line parses
//! arguments, calls it and prints what it returns. The library never sees
//! the argument parser's types.

#![deny(missing_docs)]

pub mod audit;
pub mod error;
pub mod formats;
pub mod host;
pub mod model;
pub mod ops;
pub mod par;
pub mod policy;
#[cfg(feature = "laptop")]
pub mod probe;
pub mod store;
pub mod targets;

pub use error::{Error, Result};
