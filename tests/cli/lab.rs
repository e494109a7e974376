//! The network-namespace lab: real packets between namespaces. The scenarios
//! are shell scripts under tests/lab (they need `ip netns`, wireguard-go and
//! a trap for cleanup); this runs them, one at a time, and fails with their
//! report.

use std::process::Command;
use std::sync::Mutex;

use crate::common::{BIN, root_or_skip};

/// Lab runs measure packet loss and handshakes: never two at once.
static LAB: Mutex<()> = Mutex::new(());

pub fn run(script: &str, args: &[&str]) {
    run_with(script, args, &[]);
}

/// Runs a lab script with extra environment variables.
fn run_with(script: &str, args: &[&str], env: &[(&str, &std::path::Path)]) {
    if !root_or_skip(&format!("lab {script} {}", args.join(" "))) {
        return;
    }
    let _one = LAB
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let path = format!("{}/tests/lab/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("timeout")
        .args(["--kill-after=10", "600", "bash", &path])
        .args(args)
        .env("CAMVPN", BIN)
        .envs(env.iter().copied())
        .output()
        .expect("run the lab");
    let report = String::from_utf8_lossy(&out.stderr);
    eprintln!("{report}");
    assert!(
        out.status.success(),
        "lab {script} {args:?} failed:\n{report}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn lab_tunnel_comes_up_with_rendered_configs_and_not_with_a_wrong_key() {
    run("tunnel.sh", &[]);
}

#[test]
fn lab_firewall_nft_next_to_an_accepting_host_firewall() {
    run("firewall.sh", &["nft", "accept"]);
}

#[test]
fn lab_firewall_nft_next_to_a_forward_drop_host_firewall() {
    run("firewall.sh", &["nft", "drop"]);
}

#[test]
fn lab_firewall_iptables_next_to_an_accepting_host_firewall() {
    run("firewall.sh", &["iptables", "accept"]);
}

#[test]
fn lab_firewall_iptables_next_to_a_forward_drop_host_firewall() {
    run("firewall.sh", &["iptables", "drop"]);
}

#[test]
fn lab_firewall_ddwrt_rc_firewall_with_old_forwards_still_loaded() {
    run("firewall.sh", &["ddwrt", "drop"]);
}

/// Issue 19: next to a forward policy of accept, routing straight to the
/// cameras and IPv6 are closed by camvpn's `rc_firewall` alone.
#[test]
fn lab_firewall_ddwrt_rc_firewall_next_to_an_accepting_host_firewall() {
    run("firewall.sh", &["ddwrt", "accept"]);
}

/// Issue 15: 50 phones x 16 cameras on DD-WRT: its firewall and the
/// `rc_firewall` block camvpn stored.
#[test]
fn lab_scale_ddwrt_rc_firewall_at_50_phones_by_16_cameras() {
    run("scale.sh", &["ddwrt"]);
}

/// Issue 13: a hand-made wg-quick setup adopted; the old phone config,
/// untouched, still works and is held to the policy.
#[test]
fn lab_adopted_setup_keeps_old_phone_configs_working() {
    run("adopt.sh", &[]);
}

/// Issue 10: video through a 1360-byte path that drops fragments, nft.
#[test]
fn lab_mtu_and_mss_clamp_nft() {
    run("mtu.sh", &["nft"]);
}

/// Issue 10: the same with the iptables backend.
#[test]
fn lab_mtu_and_mss_clamp_iptables() {
    run("mtu.sh", &["iptables"]);
}

/// Issue 10: a real RTSP stream (`GStreamer`'s server, `ffmpeg`) through the
/// tunnel over UDP and TCP, nft.
#[test]
fn lab_rtsp_over_udp_and_tcp_nft() {
    run("rtsp.sh", &["nft"]);
}

/// Issue 10: the same with the iptables backend.
#[test]
fn lab_rtsp_over_udp_and_tcp_iptables() {
    run("rtsp.sh", &["iptables"]);
}

/// Issue 17: a router behind carrier-grade NAT, phones through a relay
/// that sees only ciphertext; per router platform.
#[test]
fn lab_relay_behind_carrier_nat_nft() {
    run("relay.sh", &["nft"]);
}

#[test]
fn lab_relay_behind_carrier_nat_iptables() {
    run("relay.sh", &["iptables"]);
}

#[test]
fn lab_relay_behind_carrier_nat_ddwrt() {
    run("relay.sh", &["ddwrt"]);
}

/// Issue 18: three routers driven by the Ansible collection over SSH.
#[test]
fn lab_ansible_drives_three_routers_over_ssh() {
    run("ansible.sh", &[]);
}
