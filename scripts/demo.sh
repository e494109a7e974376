#!/usr/bin/env bash
# The main job on a demo site: builds camvpn, creates a site with two cameras
# and a phone in ./demo/site, renders the router config, the phone's config
# and QR codes into ./demo/out, and prints the phone's QR code.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q
camvpn=target/release/camvpn
site=demo/site
"$camvpn" --dir "$site" init --force --platform linux --endpoint vpn.example.net \
    --wan-if eth0 --lan-if br0 \
    --camera driveway=192.168.1.108:dahua --camera nvr=192.168.1.20:hikvision \
    --peer phone >/dev/null
# Cameras are known by MAC over IPv6 (the label on the camera, or ip neigh).
"$camvpn" --dir "$site" -q camera set driveway --mac 00:12:34:56:01:08
"$camvpn" --dir "$site" -q camera set nvr --mac 00:12:34:56:00:20
"$camvpn" --dir "$site" render --out demo/out
"$camvpn" --dir "$site" peer show phone --qr ansi
"$camvpn" --dir "$site" peer show phone
echo
echo "rendered files:"
find demo/out -type f | sort
