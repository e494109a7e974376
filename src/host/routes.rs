//! This host's routing table, for picking the router's interfaces when
//! `init` runs on the router itself.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::model::interface::InterfaceName;

/// `/proc/net/route` of this host; empty when it cannot be read.
pub fn read() -> String {
    std::fs::read_to_string("/proc/net/route").unwrap_or_default()
}

/// The interface of the route to exactly `net` in `/proc/net/route` text.
pub fn route_iface(routes: &str, net: Ipv4Net) -> Option<InterfaceName> {
    let hex = |s: &str| {
        u32::from_str_radix(s, 16)
            .ok()
            .map(|v| Ipv4Addr::from(v.to_ne_bytes()))
    };
    routes.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let (dest, mask) = (hex(f.get(1)?)?, hex(f.get(7)?)?);
        (dest == net.network() && mask == net.netmask())
            .then(|| f[0].parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_read_from_proc_format() {
        let t = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                 eth0\t00000000\t0171A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n\
                 br0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
        if cfg!(target_endian = "little") {
            assert_eq!(
                route_iface(t, "0.0.0.0/0".parse().unwrap())
                    .unwrap()
                    .as_str(),
                "eth0"
            );
            assert_eq!(
                route_iface(t, "192.168.1.0/24".parse().unwrap())
                    .unwrap()
                    .as_str(),
                "br0"
            );
            assert!(route_iface(t, "10.0.0.0/8".parse().unwrap()).is_none());
        }
    }
}
