//! Platform formats camvpn reads and writes by hand, where no kept library
//! exists: OpenWrt's UCI.

pub mod uci;
