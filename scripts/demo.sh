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
"$camvpn" --dir "$site" render --out demo/out
"$camvpn" --dir "$site" peer show phone --qr ansi
"$camvpn" --dir "$site" peer show phone
echo
echo "rendered files:"
find demo/out -type f | sort
