#!/usr/bin/env bash
# Lab checks of MTU and MSS: the phone's outer link has MTU 1360 and IP
# fragments are dropped on the way, as on many mobile networks. A 2 MB
# download from a camera and a 2 MB upload to it must complete through the
# tunnel, with the phone config camvpn rendered (MTU 1280) and with one
# with WireGuard's default MTU of 1420, as apps and hand-written configs
# have it: the router
# clamps the TCP MSS both ways. Without camvpn's clamp the hand-written
# peer stalls.
# Usage: CAMVPN=path/to/camvpn tests/lab/mtu.sh nft|iptables
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
: "${CAMVPN:?set CAMVPN to the camvpn binary}"
backend=${1:?nft or iptables}
wg="cvm$LAB_ID"
phone_if="cvn$LAB_ID"
site=$LAB_TMP/site
LAB_WG+=("$wg")
cv() { "$CAMVPN" --dir "$site" -q "$@"; }

say "lab: MTU and MSS, $backend backend, phone behind a 1360-byte path that drops fragments"
topology
mobile_path router
bulk_camera1

cv init --platform linux --endpoint 203.0.113.1 --interface "$wg" --wan-if wan0 --lan-if lan0 \
    --firewall "$backend" --camera "camera1=192.168.1.108" >/dev/null 2>&1
cv camera set camera1 --port 9000/tcp --port 9001/tcp
cv peer add phone --no-qr
cv render --no-qr --out "$LAB_TMP/out" 2>/dev/null
apply_site "$site"
check "the rendered phone config carries MTU 1280" grep -qx 'MTU = 1280' "$LAB_TMP/out/peers/phone.conf"
# A config as an app that uses WireGuard's default MTU has it (wg-quick
# would pick the MTU from the route on its own; phone apps do not).
sed 's/^MTU = .*/MTU = 1420/' "$LAB_TMP/out/peers/phone.conf" >"$LAB_TMP/by-hand.conf"


say "1. the config camvpn rendered (MTU 1280)"
wg_up phone "$LAB_TMP/out/peers/phone.conf" "$phone_if"
check "the phone's tunnel is up" pings phone 10.66.0.1
check "a 2 MB download from camera1 completes" download
check "a 2 MB upload to camera1 completes" upload
wg_down phone "$phone_if"

say "2. a config with WireGuard's default MTU (1420)"
wg_up phone "$LAB_TMP/by-hand.conf" "$phone_if"
check "the phone's tunnel is up" pings phone 10.66.0.1
check "a 2 MB download from camera1 completes (the router clamps the MSS)" download
check "a 2 MB upload to camera1 completes (the router clamps the MSS)" upload

say "   ...and without camvpn's clamp, the hand-written peer stalls"
if [[ $backend == nft ]]; then
    on router nft delete table inet camvpn
else
    for t in iptables ip6tables; do
        on router "$t" -F CAMVPN_FORWARD
        on router "$t" -A CAMVPN_FORWARD -j ACCEPT
    done
fi
refute "a 2 MB download from camera1 completes" download
refute "a 2 MB upload to camera1 completes" upload
wg_down phone "$phone_if"
lab_done
