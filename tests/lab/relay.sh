#!/usr/bin/env bash
# Lab checks of a site behind carrier-grade NAT, reached through a relay.
# The router's WAN sits behind the namespace cgnat, which lets nothing in;
# the relay is another host on the internet (203.0.113.9) set up from the
# rendered relay/ files as relay/README.txt says, with its own
# /var/run/wireguard and /etc/wireguard (a mount namespace: wireguard-go
# names its sockets by interface only). The router runs the platform's
# files: linux (nft or iptables) through camvpn apply; ddwrt as in scale.sh
# (DD-WRT's nvram stand-in). OpenWrt is not in the lab: its firewall4 is in
# no package this machine can install (tests/cli/owrt.rs judges its batch).
# Checks: the phone's config aimed at the router's public address gets
# nothing; through the relay the phone and the viewer reach exactly their
# cameras, the internet none, cameras have no egress, a 2 MB download and
# upload pass over a 1360-byte phone path; the relay holds no phone key and
# no key of the router's interface; a relay that routes the LAN into its
# tunnel reaches no camera (and does without camvpn's rules).
# Usage: CAMVPN=path/to/camvpn tests/lab/relay.sh nft|iptables|ddwrt
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
: "${CAMVPN:?set CAMVPN to the camvpn binary}"
backend=${1:?nft, iptables or ddwrt}
site=$LAB_TMP/site
out=$LAB_TMP/out
cv() { "$CAMVPN" --dir "$site" -q "$@"; }
LAB_WG+=(wgrelay)

say "lab: a router behind carrier-grade NAT, phones through a relay ($backend)"
LAB_CGNAT=1 topology
add_host relay
wire relay eth0 203.0.113.9/24 2001:db8:1::9/64 brwan
listeners
bulk_camera1
mobile_path relay

case $backend in
    nft | iptables)
        wg="cvr$LAB_ID"
        cv init --platform linux --endpoint 203.0.113.1 --interface "$wg" --wan-if wan0 --lan-if lan0 \
            --firewall "$backend" --relay 203.0.113.9 \
            --camera camera1=192.168.1.108 --camera camera2=192.168.1.109 >/dev/null 2>&1
        ;;
    ddwrt)
        wg="oet$((LAB_ID + 1))"
        cv init --platform ddwrt --endpoint 203.0.113.1 --lan-if lan0 --relay 203.0.113.9 \
            --camera camera1=192.168.1.108 --camera camera2=192.168.1.109 >/dev/null 2>&1
        ;;
esac
LAB_WG+=("$wg")
cv camera set camera1 --port 80/tcp --port 554/tcp --port 37777/tcp --port 9000/tcp --port 9001/tcp
cv peer add phone --no-qr --cameras camera1
cv peer add viewer --no-qr --cameras camera2 --only rtsp

# The lab's carrier routes back what it took from the router (so that
# the checks of what the router lets out mean something).
on cgnat ip route add 10.66.0.0/24 via 100.64.0.2
on cgnat ip route add 192.168.1.0/24 via 100.64.0.2
case $backend in
    nft | iptables)
        router_up() {
            host_firewall "$backend" accept "$wg"
            cv render --no-qr --out "$out" 2>/dev/null
            apply_site "$site"
        }
        policy_absent() {
            if [[ $backend == nft ]]; then
                on router nft delete table inet camvpn
            else
                on router iptables -F CAMVPN_FORWARD
                on router iptables -A CAMVPN_FORWARD -j ACCEPT
            fi
        }
        ;;
    ddwrt)
        export NVRAM_DIR=$LAB_TMP/nvram
        mkdir -p "$NVRAM_DIR"
        # DD-WRT names tunnel N oetN: camvpn's two are new and unique here.
        printf '%s' "$LAB_ID" >"$NVRAM_DIR/oet_tunnels"
        printf '%s' wan0 >"$NVRAM_DIR/wan_iface"
        LAB_WG+=("oet$((LAB_ID + 2))")
        router_up() {
            local t
            host_firewall iptables drop "$wg"
            cv render --no-qr --out "$out" 2>/dev/null
            nv_sh "$out/camvpn-ddwrt.sh" >/dev/null
            for t in "$wg" "oet$(nv get camvpn_relay_tunnel)"; do
                nvram_wg "$t" >"$LAB_TMP/router-$t.conf"
                tunnel_up router "$LAB_TMP/router-$t.conf" "$t"
            done
            on router env PATH="$LAB_DIR:$PATH" NVRAM_DIR="$NVRAM_DIR" sh -c "$(nv get rc_firewall)"
        }
        policy_absent() {
            on router iptables -F CAMVPN_FORWARD
            on router iptables -A CAMVPN_FORWARD -j ACCEPT
        }
        ;;
esac
router_up
relay_ip=$(sed -n 's|^Address = \(.*\)/30$|\1|p' "$out/relay/wg0.conf")
router_ip=$(sed -n 's|^AllowedIPs = \(.*\)/32$|\1|p' "$out/relay/wg0.conf")
check "the rendered phone config dials the relay" grep -qx 'Endpoint = 203.0.113.9:51820' "$out/peers/phone.conf"

say "1. the carrier's NAT is real: the router's public address gets nothing"
sed 's/^Endpoint = .*/Endpoint = 203.0.113.1:51820/' "$out/peers/phone.conf" >"$LAB_TMP/direct.conf"
wg_up phone "$LAB_TMP/direct.conf" "cvp$LAB_ID"
refute "the phone's tunnel comes up dialling 203.0.113.1 directly" pings phone 10.66.0.1
wg_down phone "cvp$LAB_ID"

say "2. the relay, set up as its README says, on another host"
relay_etc=$LAB_TMP/relay-etc
mkdir -p "$relay_etc"
install -m 600 "$out/relay/wg0.conf" "$relay_etc/wg0.conf"
install -m 644 "$out/relay/camvpn-relay.nft" "$relay_etc/camvpn-relay-wg0.nft"
on relay unshare -m sh -c "mount -t tmpfs none /var/run/wireguard && mount --bind '$relay_etc' /etc/wireguard &&
    WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go wg-quick up wg0" >"$LAB_TMP/relay.log" 2>&1 ||
    { cat "$LAB_TMP/relay.log" >&2; exit 1; }
relay_pid=$(for p in $(ip netns pids "$(ns relay)"); do [[ $(cat "/proc/$p/comm") == wireguard-go ]] && echo "$p"; done | head -1)
on_relay() { nsenter -t "$relay_pid" -m -n "$@"; }
# The router's tunnel to the relay comes up from behind the NAT (keepalive).
for _ in $(seq 40); do on router ping -n -q -c 1 -W 0.5 "$relay_ip" >/dev/null 2>&1 && break; sleep 0.25; done
check "the router's tunnel to the relay is up" pings router "$relay_ip"
check "the relay knows one peer, the router" test "$(on_relay wg show wg0 peers | wc -l)" = 1
nokeys() {
    local k
    for k in "$site"/keys/server.key "$site"/keys/peer-*; do
        if grep -rqF "$(cat "$k")" "$relay_etc"; then return 1; fi
    done
}
check "the relay's files hold no phone key and no key of the router's interface" nokeys

if [[ $backend == nft || $backend == iptables ]]; then
    say "   camvpn tells, on the router, that it needs the relay"
    on router "$CAMVPN" --dir "$LAB_TMP/norelay" init --platform linux --endpoint 203.0.113.1 \
        --wan-if wan0 --lan-if lan0 >/dev/null 2>"$LAB_TMP/init.err"
    check "init on a router behind carrier NAT says so and suggests --relay" \
        grep -q "100.64.0.2 of wan0 is carrier-grade NAT.*--relay" "$LAB_TMP/init.err"
    on router "$CAMVPN" --dir "$site" status --json >"$LAB_TMP/status.json" 2>/dev/null || true
    check "status shows the relay tunnel online, with its handshake" \
        jq -e '.relay.online and .relay.latest_handshake > 0 and .wan.kind == "cgnat"' "$LAB_TMP/status.json" >/dev/null
fi
check "probe of a carrier-NAT address says the internet cannot reach it" \
    sh -c "ip netns exec '$(ns phone)' '$CAMVPN' --dir '$LAB_TMP/none' probe 100.64.0.2 --timeout 200 2>&1 | grep -q 'carrier-grade NAT'"

say "3. through the relay, each peer reaches exactly its cameras"
# The configs widened to route the LAN and the outside host into the
# tunnel, as a phone that ignores its config would.
widen() {
    sed -E 's|^AllowedIPs = .*|AllowedIPs = 10.66.0.1/32, 192.168.1.0/24, 203.0.113.200/32|' "$out/peers/$1.conf" >"$LAB_TMP/$1-wide.conf"
}
widen phone
widen viewer
add_host viewer
wire viewer eth0 203.0.113.78/24 2001:db8:1::78/64 brwan
wg_up phone "$LAB_TMP/phone-wide.conf" "cvp$LAB_ID"
wg_up viewer "$LAB_TMP/viewer-wide.conf" "cvv$LAB_ID"
check "the phone's tunnel is up through the relay" pings phone 10.66.0.1
check "the viewer's tunnel is up through the relay" pings viewer 10.66.0.1
check "phone reaches camera1 web" reach phone 192.168.1.108 80 camera1-80
check "phone reaches camera1 rtsp" reach phone 192.168.1.108 554 camera1-554
check "viewer reaches camera2 rtsp" reach viewer 192.168.1.109 554 camera2-554
check "a 2 MB download from camera1 completes over the 1360-byte path" download
check "a 2 MB upload to camera1 completes over the 1360-byte path" upload
check "camera1 still asks NTP servers" reach_udp camera1 203.0.113.200 123 outside-123-udp

denied() {
    local how=$1
    $how "phone reaches camera2 (not its camera)" reach phone 192.168.1.109 554 camera2-554
    $how "viewer reaches camera2 web (rtsp only)" reach viewer 192.168.1.109 80 camera2-80
    $how "viewer reaches camera1 (not its camera)" reach viewer 192.168.1.108 554 camera1-554
    $how "phone reaches the internet through the tunnel" reach phone 203.0.113.200 443 outside-443
    $how "camera1 reaches a vendor cloud" reach camera1 203.0.113.200 443 outside-443
}
denied refute

say "4. a relay that routes the LAN into its tunnel reaches no camera"
on_relay wg set wg0 peer "$(on_relay wg show wg0 peers)" allowed-ips "$router_ip/32,192.168.1.0/24"
on_relay ip route add 192.168.1.0/24 dev wg0
from_relay() { on_relay timeout 4 socat -T2 - "TCP:$1:$2,connect-timeout=2" </dev/null 2>/dev/null | grep -qx "$3"; }
refute "the relay reaches camera1 rtsp" from_relay 192.168.1.108 554 camera1-554
refute "the relay reaches camera2 web" from_relay 192.168.1.109 80 camera2-80

say "   ...and without camvpn's rules, those checks fail"
policy_absent
denied check
check "the relay reaches camera1 rtsp" from_relay 192.168.1.108 554 camera1-554
lab_done
