#!/usr/bin/env bash
# Lab checks of RTSP: GStreamer's RTSP server runs on camera1 (a test
# pattern on port 554), and the phone pulls it through the tunnel with
# ffmpeg over UDP and over TCP; a peer not allowed on camera1 gets nothing;
# with camvpn's camera-to-viewer rule taken out, UDP fails while TCP (the
# video interleaved on the RTSP connection) still works.
# Usage: CAMVPN=path/to/camvpn tests/lab/rtsp.sh nft|iptables
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
: "${CAMVPN:?set CAMVPN to the camvpn binary}"
backend=${1:?nft or iptables}
wg="cvs$LAB_ID"
phone_if="cvt$LAB_ID"
site=$LAB_TMP/site
LAB_WG+=("$wg")
cv() { "$CAMVPN" --dir "$site" -q "$@"; }

say "lab: RTSP through the tunnel, $backend backend"
topology
# Debian's python3, which has GStreamer's bindings.
on camera1 /usr/bin/python3 "$(dirname "$0")/rtsp_server.py" 554 >"$LAB_TMP/rtsp.log" 2>&1 &
for _ in $(seq 100); do on camera1 ss -ltn | grep -q ':554 ' && break; sleep 0.1; done

cv init --platform linux --endpoint 203.0.113.1 --interface "$wg" --wan-if wan0 --lan-if lan0 \
    --firewall "$backend" --camera camera1=192.168.1.108:dahua --camera camera2=192.168.1.109:dahua >/dev/null 2>&1
cv peer add phone --cameras camera1 --only rtsp --no-qr
cv peer add viewer --cameras camera2 --no-qr
cv render --no-qr --out "$LAB_TMP/out" 2>/dev/null
apply_site "$site"

# pull TRANSPORT: 5 frames of camera1's stream reach the phone.
pull() {
    on phone timeout 10 ffmpeg -nostdin -hide_banner -loglevel warning -rtsp_transport "$1" \
        -i rtsp://192.168.1.108:554/live -frames:v 5 -f null - >"$LAB_TMP/ffmpeg-$1.log" 2>&1
}
# pulls TRANSPORT: as pull, showing ffmpeg's words when it fails.
pulls() {
    pull "$1" || { sed "s/^/      ffmpeg: /" "$LAB_TMP/ffmpeg-$1.log" >&2; return 1; }
}
wg_up phone "$LAB_TMP/out/peers/phone.conf" "$phone_if"
check "the phone's tunnel is up" pings phone 10.66.0.1
check "the phone pulls camera1's stream over RTSP/UDP" pulls udp
check "the phone pulls camera1's stream over RTSP/TCP" pulls tcp
wg_down phone "$phone_if"

say "2. a peer not allowed on camera1 (its config widened to the whole LAN)"
sed -E 's|^AllowedIPs = .*|AllowedIPs = 10.66.0.1/32, 192.168.1.0/24|' "$LAB_TMP/out/peers/viewer.conf" \
    >"$LAB_TMP/viewer-wide.conf"
wg_up phone "$LAB_TMP/viewer-wide.conf" "$phone_if"
check "the viewer's tunnel is up" pings phone 10.66.0.1
refute "the viewer pulls camera1's stream over RTSP/UDP" pull udp
refute "the viewer pulls camera1's stream over RTSP/TCP" pull tcp
wg_down phone "$phone_if"

say "3. without camvpn's camera-to-viewer rule, RTP over UDP no longer arrives"
wg_up phone "$LAB_TMP/out/peers/phone.conf" "$phone_if"
if [[ $backend == nft ]]; then
    on router nft flush set inet camvpn viewers4
else
    for c in $(on router iptables -S | awk '/^-N CAMVPN_V/ { print $2 }'); do
        on router iptables -F "$c"
    done
fi
refute "the phone pulls camera1's stream over RTSP/UDP" pull udp
check "the phone still pulls it over RTSP/TCP" pulls tcp
wg_down phone "$phone_if"
lab_done
