//! Platform formats camvpn reads and writes by hand, where no kept library
//! exists: OpenWrt's UCI, wg-quick's configs, DD-WRT's `nvram show`.

pub mod nvram;
pub mod uci;
pub mod wgquick;
