#!/usr/bin/env bash
# Lab check of the core issue: the rendered router config and a rendered
# phone config bring up a tunnel over the WAN, and the phone pings the
# router's tunnel address; with a wrong private key it does not.
# Usage: CAMVPN=path/to/camvpn tests/lab/tunnel.sh
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
: "${CAMVPN:?set CAMVPN to the camvpn binary}"

topology
site=$LAB_TMP/site
router_if="cvr$LAB_ID"
"$CAMVPN" --dir "$site" -q init --platform linux --endpoint 203.0.113.1 \
    --interface "$router_if" --wan-if wan0 --lan-if lan0 \
    --camera camera1=192.168.1.108 --peer phone >/dev/null
"$CAMVPN" --dir "$site" -q render --out "$LAB_TMP/out"
wg_up router "$LAB_TMP/out/$router_if.conf" "$router_if"
phone_key=$("$CAMVPN" --dir "$site" peer list --json | sed -n 's/.*"public_key": "\(.*\)".*/\1/p' | head -1)

say "tunnel with a wrong private key:"
sed "s|^PrivateKey = .*|PrivateKey = $(wg genkey)|" "$LAB_TMP/out/peers/phone.conf" > "$LAB_TMP/wrong.conf"
wg_up phone "$LAB_TMP/wrong.conf" "cvq$LAB_ID"
refute "phone with a wrong key pings the router's tunnel address" pings phone 10.66.0.1
check "router saw no handshake from the phone's key" test "$(handshake router "$router_if" "$phone_key")" = 0
wg_down phone "cvq$LAB_ID"

say "tunnel with the rendered config:"
wg_up phone "$LAB_TMP/out/peers/phone.conf" "cvp$LAB_ID"
check "phone pings the router's tunnel address" pings phone 10.66.0.1
check "router has a handshake from the phone" test "$(handshake router "$router_if" "$phone_key")" -gt 0
lab_done
