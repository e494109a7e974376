#!/usr/bin/env bash
# Lab checks of a big site on a router platform: 50 phones x 16 cameras in
# four access lists (every camera; cameras 1-8; cameras 9-16; RTSP of every
# camera), with the router's firewall as DD-WRT builds it: the script run
# against the nvram stand-in, DD-WRT's own iptables firewall, then the
# rc_firewall camvpn stored. (OpenWrt is not in the lab: its firewall4 is in
# no package this machine can install; tests/cli/owrt.rs judges its batch.)
# One phone of each list, with its rendered config widened to route the LAN
# and the outside host into the tunnel, reaches exactly its cameras and not
# the internet; with camvpn's rules for the tunnel taken out, the denied
# checks are seen to fail.
# Usage: CAMVPN=path/to/camvpn tests/lab/scale.sh ddwrt
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
: "${CAMVPN:?set CAMVPN to the camvpn binary}"
platform=${1:?ddwrt}
[[ $platform == ddwrt ]] || { echo "scale.sh: only ddwrt" >&2; exit 2; }
site=$LAB_TMP/site
cv() { "$CAMVPN" --dir "$site" -q "$@"; }
PHONES=50
CAMS=16

say "lab: $PHONES phones x $CAMS cameras on $platform"
topology
# The 16 cameras: addresses of one host, each answering with its address.
add_host cams
wire cams eth0 192.168.1.101/24 2001:db8:2::101/64 brlan
for ((c = 2; c <= CAMS; c++)); do on cams ip addr add "192.168.1.$((100 + c))/24" dev eth0; done
on cams ip route add default via 192.168.1.1
on cams ip -6 route add default via 2001:db8:2::1
# An IPv6 address the cameras chose themselves (camvpn is never told).
on cams ip addr add 2001:db8:2::c9:ffee/64 dev eth0
for p in 80 554 8000; do
    on cams socat "TCP4-LISTEN:$p,fork,reuseaddr" "SYSTEM:echo \$SOCAT_SOCKADDR-$p" >/dev/null 2>&1 &
done
serve outside 443
# Replies to tunnel addresses that a router forwards without masquerading.
on outside ip route add 10.66.0.0/24 via 203.0.113.1
for _ in $(seq 50); do
    on cams ss -ltn | grep -q ':8000 ' && on outside ss -ltn | grep -q ':443 ' && break
    sleep 0.1
done
serve_udp outside 8800
serve_udp outside 123
v6_out() { reach_from cams '[2001:db8:2::c9:ffee]' '[2001:db8:1::200]' 443 outside-443; }
v6_out_udp() { reach_udp_from cams '[2001:db8:2::c9:ffee]' '[2001:db8:1::200]' 8800 outside-8800-udp; }
check "before camvpn the cameras reach the internet over IPv6 from an address they chose" v6_out
# cam N PORT: what camera N answers on PORT.
cam_ip() { printf '192.168.1.%s' "$((100 + $1))"; }
# sees PHONE CAMERA PORT: PHONE reaches camera CAMERA on PORT through its tunnel.
sees() { reach "$1" "$(cam_ip "$2")" "$3" "$(cam_ip "$2")-$3"; }

wg="oet$((LAB_ID + 1))"
LAB_WG+=("$wg")
args=()
for ((c = 1; c <= CAMS; c++)); do args+=(--camera "c$c=$(cam_ip "$c"):hikvision"); done
cv init --platform ddwrt --endpoint 203.0.113.1 --lan-if lan0 --lan6 2001:db8:2::/64 "${args[@]}" >/dev/null
for ((c = 1; c <= CAMS; c++)); do cv camera set "c$c" --mac "$(mac cams)"; done
q=$((PHONES / 4))
cv peer add --no-qr --count "$q" --prefix a
cv peer add --no-qr --count "$q" --prefix b --cameras "$(seq -s, -f 'c%g' 1 8)"
cv peer add --no-qr --count "$q" --prefix c --cameras "$(seq -s, -f 'c%g' 9 16)"
cv peer add --no-qr --count "$((PHONES - 3 * q))" --prefix d --only rtsp

export NVRAM_DIR=$LAB_TMP/nvram
mkdir -p "$NVRAM_DIR"
printf '%s' "$LAB_ID" >"$NVRAM_DIR/oet_tunnels"
printf '%s' wan0 >"$NVRAM_DIR/wan_iface"
host_firewall iptables drop "$wg"
cv render --no-qr --nvram-budget 32768 --out "$LAB_TMP/out"
nv_sh "$LAB_TMP/out/camvpn-ddwrt.sh" >/dev/null
nvram_wg "$wg" >"$LAB_TMP/router-$wg.conf"
tunnel_up router "$LAB_TMP/router-$wg.conf" "$wg"
on router env PATH="$LAB_DIR:$PATH" NVRAM_DIR="$NVRAM_DIR" sh -c "$(nv get rc_firewall)"
check "camvpn's rc_firewall block is under 8 KiB" \
    test "$(nv get rc_firewall | sed -n '/^# camvpn-begin$/,/^# camvpn-end$/p' | wc -c)" -lt 8192
policy_absent() {
    on router iptables -F CAMVPN_FORWARD
    on router iptables -A CAMVPN_FORWARD -j ACCEPT
}

# One phone of each list, its config routing the LAN and the outside host
# into the tunnel, as a phone that ignores its config would.
i=0
for p in a1 b1 c1 d1; do
    i=$((i + 1))
    add_host "$p"
    wire "$p" eth0 "203.0.113.$((80 + i))/24" "2001:db8:1::$((80 + i))/64" brwan
    sed -E 's|^AllowedIPs = .*|AllowedIPs = 10.66.0.1/32, 192.168.1.0/24, 203.0.113.200/32|' \
        "$LAB_TMP/out/peers/$p.conf" >"$LAB_TMP/$p-wide.conf"
    wg_up "$p" "$LAB_TMP/$p-wide.conf" "cv$LAB_ID$p"
    check "phone $p's handshake over the WAN succeeds" pings "$p" 10.66.0.1
done

say "1. cameras closed over IPv6 by MAC, whatever address they chose"
refute "the cameras open TCP to the internet over IPv6" v6_out
refute "the cameras send UDP to the internet over IPv6" v6_out_udp
check "the cameras still ask NTP servers (udp 123)" reach_udp cams 203.0.113.200 123 outside-123-udp
check "...and over IPv6, by MAC" reach_udp_from cams '[2001:db8:2::c9:ffee]' '[2001:db8:1::200]' 123 outside-123-udp
check "the LAN host that is no camera reaches the internet over IPv6" reach lanhost '[2001:db8:1::200]' 443 outside-443
check "the LAN host that is no camera reaches the internet" reach lanhost 203.0.113.200 443 outside-443

say "2. a phone of each access list reaches exactly its cameras"
check "a1 (every camera) reaches camera 1 rtsp" sees a1 1 554
check "a1 reaches camera 16 web" sees a1 16 80
check "a1 reaches camera 9 sdk" sees a1 9 8000
check "b1 (cameras 1-8) reaches camera 1 rtsp" sees b1 1 554
check "b1 reaches camera 8 web" sees b1 8 80
check "c1 (cameras 9-16) reaches camera 9 rtsp" sees c1 9 554
check "c1 reaches camera 16 web" sees c1 16 80
check "d1 (rtsp only) reaches camera 1 rtsp" sees d1 1 554
check "d1 reaches camera 16 rtsp" sees d1 16 554
denied() {
    local how=$1 p
    $how "b1 reaches camera 9 (not one of its cameras)" sees b1 9 554
    $how "b1 reaches camera 16 web" sees b1 16 80
    $how "c1 reaches camera 1 (not one of its cameras)" sees c1 1 554
    $how "c1 reaches camera 8 web" sees c1 8 80
    $how "d1 reaches camera 1 web (not rtsp)" sees d1 1 80
    $how "d1 reaches camera 16 sdk" sees d1 16 8000
    for p in a1 b1 c1 d1; do
        $how "$p reaches the internet through the tunnel" reach "$p" 203.0.113.200 443 outside-443
    done
}
denied refute
say "   ...and without camvpn's rules for the tunnel, every one of those checks fails"
policy_absent
denied check
lab_done
