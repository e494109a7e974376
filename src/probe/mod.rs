//! Probing ports from here: the proof an installer takes away from a site.
//!
//! TCP is asked by connecting: a connection is "open", a refusal "closed"
//! (a reset from the host, or a firewall that rejects), silence "no
//! answer". UDP has no handshake: a reply is "open" and an ICMP port
//! unreachable "closed", but silence proves nothing, and is reported as
//! "no answer" rather than as closed. Probes run in parallel, a bounded
//! number at a time, each bounded by the timeout.

use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::port::{PortSpec, Proto};

/// Probes at a time.
pub const PARALLEL: usize = 32;

/// What a port said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// A connection (TCP) or a reply (UDP).
    Open,
    /// Refused: a reset, or ICMP port unreachable.
    Closed,
    /// Nothing within the timeout (UDP: open or filtered, it cannot tell).
    NoAnswer,
}

impl Answer {
    /// For people.
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Open => "open",
            Answer::Closed => "closed",
            Answer::NoAnswer => "no answer",
        }
    }
}

/// The one address of `host` (a name or an address) that is probed.
pub fn resolve(host: &str) -> Result<IpAddr> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse() {
        return Ok(ip);
    }
    (host, 0)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .map(|a| a.ip())
        .ok_or_else(|| {
            Error::Conflict(format!(
                "'{host}' does not resolve; give the site's public address or a name that resolves from here"
            ))
        })
}

/// Asks one port.
pub fn ask(ip: IpAddr, port: PortSpec, timeout: Duration) -> Answer {
    let addr = SocketAddr::new(ip, port.port);
    match port.proto {
        Proto::Tcp => match TcpStream::connect_timeout(&addr, timeout) {
            Ok(_) => Answer::Open,
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => Answer::Closed,
            Err(_) => Answer::NoAnswer,
        },
        Proto::Udp => {
            let local: SocketAddr = if ip.is_ipv4() {
                ([0, 0, 0, 0], 0).into()
            } else {
                (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
            };
            let asked = UdpSocket::bind(local).and_then(|s| {
                s.connect(addr)?;
                s.set_read_timeout(Some(timeout))?;
                s.send(b"camvpn probe\n")?;
                let mut buf = [0u8; 512];
                s.recv(&mut buf)
            });
            match asked {
                Ok(_) => Answer::Open,
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => Answer::Closed,
                Err(_) => Answer::NoAnswer,
            }
        }
    }
}

/// Asks every port in `ports` of `ip`, [`PARALLEL`] at a time; the answers
/// come back in the order of `ports`.
pub fn ask_all(ip: IpAddr, ports: &[PortSpec], timeout: Duration) -> Vec<Answer> {
    let answers = Mutex::new(vec![Answer::NoAnswer; ports.len()]);
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..PARALLEL.min(ports.len()) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(port) = ports.get(i) else { break };
                    let a = ask(ip, *port, timeout);
                    answers
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)[i] = a;
                }
            });
        }
    });
    answers
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;

    #[test]
    fn tcp_open_closed_and_udp_replies_on_loopback() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let open = l.local_addr().unwrap().port();
        // A port that was free a moment ago: nothing listens there.
        let closed = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let echo = UdpSocket::bind("127.0.0.1:0").unwrap();
        let udp = echo.local_addr().unwrap().port();
        let t = std::thread::spawn(move || {
            let mut buf = [0u8; 64];
            let (n, from) = echo.recv_from(&mut buf).unwrap();
            echo.send_to(&buf[..n], from).unwrap();
        });
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let spec = |p: u16, proto| PortSpec { port: p, proto };
        let answers = ask_all(
            ip,
            &[
                spec(open, Proto::Tcp),
                spec(closed, Proto::Tcp),
                spec(udp, Proto::Udp),
                spec(closed, Proto::Udp),
            ],
            Duration::from_millis(500),
        );
        t.join().unwrap();
        assert_eq!(
            answers,
            [Answer::Open, Answer::Closed, Answer::Open, Answer::Closed]
        );
    }

    #[test]
    fn names_that_do_not_resolve_are_input_errors() {
        assert!(resolve("[::1]").unwrap().is_loopback());
        let e = resolve("no-such-host.invalid").unwrap_err();
        assert!(e.is_input(), "{e}");
    }
}
