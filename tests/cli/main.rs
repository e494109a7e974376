//! camvpn's integration tests: the real binary, real tools as oracles, and the
//! network-namespace lab.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod adopt;
mod audit;
mod bad_input;
mod cameras;
mod common;
mod concurrency;
mod ddwrt;
mod firewall;
mod fuzz;
mod init;
mod keys;
mod lab;
mod library;
mod onboarding;
mod openwrt;
mod owrt;
mod peers;
mod probe;
mod provisioning;
mod qr;
mod relay;
mod snapshots;
mod sync;
mod tools;
