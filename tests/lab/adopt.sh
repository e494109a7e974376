#!/usr/bin/env bash
# Lab checks of adoption: a router's WireGuard set up by hand (wg-quick,
# real `wg genkey` keys) and a phone config written by hand are taken over
# by `camvpn init --adopt`; after `camvpn apply` the old phone config, not
# touched, still brings the tunnel up, reaches the cameras, and is held to
# camvpn's policy (shown failing without it).
# Usage: CAMVPN=path/to/camvpn tests/lab/adopt.sh
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
: "${CAMVPN:?set CAMVPN to the camvpn binary}"
wg="cva$LAB_ID"
phone_if="cvq$LAB_ID"
site=$LAB_TMP/site
LAB_WG+=("$wg")
cv() { "$CAMVPN" --dir "$site" -q "$@"; }

say "lab: adopting a hand-made WireGuard setup"
topology
listeners
serve lanhost 8080
router_key=$(wg genkey)
phone_key=$(wg genkey)
bob_key=$(wg genkey)
psk=$(wg genpsk)
# The adopted interface keeps its name: the config's file name.
cat >"$LAB_TMP/$wg.conf" <<CONF
[Interface]
Address = 10.8.0.1/24
ListenPort = 51820
PrivateKey = $router_key

# Name = phone
[Peer]
PublicKey = $(wg pubkey <<<"$phone_key")
PresharedKey = $psk
AllowedIPs = 10.8.0.2/32

# bob
[Peer]
PublicKey = $(wg pubkey <<<"$bob_key")
AllowedIPs = 10.8.0.3/32
CONF
cat >"$LAB_TMP/phone-by-hand.conf" <<CONF
[Interface]
PrivateKey = $phone_key
Address = 10.8.0.2/32

[Peer]
PublicKey = $(wg pubkey <<<"$router_key")
PresharedKey = $psk
Endpoint = 203.0.113.1:51820
AllowedIPs = 10.8.0.1/32, 192.168.1.0/24
CONF
cp "$LAB_TMP/phone-by-hand.conf" "$LAB_TMP/phone-before.conf"

cv init --platform linux --endpoint 203.0.113.1 --wan-if wan0 --lan-if lan0 \
    --adopt "$LAB_TMP/$wg.conf" --camera camera1=192.168.1.108:dahua \
    --camera camera2=192.168.1.109:dahua >/dev/null 2>&1
check "camvpn kept the router's hand-made key" \
    test "$(cv export --secrets | jq -r .server.private_key)" = "$router_key"
apply_site "$site"
wg_up phone "$LAB_TMP/phone-by-hand.conf" "$phone_if"
check "the phone config written by hand is unchanged" cmp -s "$LAB_TMP/phone-by-hand.conf" "$LAB_TMP/phone-before.conf"
check "it brings the tunnel up with the adopted router" pings phone 10.8.0.1
check "it reaches camera1's RTSP" reach phone 192.168.1.108 554 camera1-554
check "it reaches camera2's SDK port" reach phone 192.168.1.109 37777 camera2-37777
refute "it reaches a LAN host that is no camera" reach phone 192.168.1.50 8080 lanhost-8080
say "   ...and without camvpn's policy, that check fails"
on router nft delete table inet camvpn
check "it reaches a LAN host that is no camera" reach phone 192.168.1.50 8080 lanhost-8080
lab_done
