#!/usr/bin/env bash
# Lab checks of the firewall issue for one backend, next to one kind of host
# firewall (forward policy accept, or drop with a home router's rules).
# Every protection is also shown absent, so that each check is seen to fail.
# The router also runs miniupnpd, and camera1 maps a WAN port to itself
# through it with upnpc: camvpn must keep that door closed as well.
# The ddwrt backend runs camvpn-ddwrt.sh against an nvram stand-in, brings the
# tunnel up from the nvram values as DD-WRT would, and runs the rc_firewall it
# stored in the router; DD-WRT's own firewall is the iptables "drop" one.
# Usage: CAMVPN=path/to/camvpn tests/lab/firewall.sh nft|iptables|ddwrt accept|drop
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
: "${CAMVPN:?set CAMVPN to the camvpn binary}"
backend=${1:?nft, iptables or ddwrt}
hostfw=${2:?accept or drop}

wg="cvr$LAB_ID"
phone_if="cvp$LAB_ID"
site=$LAB_TMP/site
export NVRAM_DIR=$LAB_TMP/nvram
RC_PATH="$LAB_DIR:$PATH"
if [[ $backend == ddwrt && $hostfw == accept ]]; then
    # A DD-WRT build without ipset and iptables-restore: rc_firewall must
    # fall back to a chain per access list and one iptables call per rule.
    bare=$LAB_TMP/bare-bin
    mkdir -p "$bare"
    for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
        for f in "$d"/*; do
            n=${f##*/}
            case $n in ipset | iptables-restore | ip6tables-restore) continue ;; esac
            [[ -e $bare/$n || -L $bare/$n ]] || ln -s "$f" "$bare/$n"
        done
    done
    RC_PATH="$LAB_DIR:$bare"
fi
if [[ $backend == ddwrt ]]; then
    # DD-WRT names tunnel N oetN; pretend there are LAB_ID tunnels already, so
    # that camvpn's is new and its name unique on this machine.
    wg="oet$((LAB_ID + 1))"
    mkdir -p "$NVRAM_DIR"
    printf '%s' "$LAB_ID" > "$NVRAM_DIR/oet_tunnels"
    printf '%s' wan0 > "$NVRAM_DIR/wan_iface"
    # The forwards the host firewall has, as DD-WRT stores them.
    printf '%s' "rtsp:on:tcp:554>192.168.1.108:554 web:on:tcp:8080>192.168.1.108:80 sdk:on:tcp:37777>192.168.1.108:37777 nas:on:tcp:8443>192.168.1.50:443" > "$NVRAM_DIR/forward_spec"
fi
LAB_WG+=("$wg")
cv() { "$CAMVPN" --dir "$site" -q "$@"; }
# ddwrt_apply: what running camvpn-ddwrt.sh and restarting DD-WRT's firewall does.
ddwrt_apply() {
    cv render --out "$LAB_TMP/out"
    nv_sh "$LAB_TMP/out/camvpn-ddwrt.sh" >/dev/null
    [[ "oet$(nv get camvpn_tunnel)" == "$wg" ]] || { say "the script made tunnel oet$(nv get camvpn_tunnel), not $wg"; return 1; }
    nvram_wg "$wg" >"$LAB_TMP/ddwrt-$wg.conf"
    tunnel_up router "$LAB_TMP/ddwrt-$wg.conf" "$wg"
    on router env PATH="$RC_PATH" NVRAM_DIR="$NVRAM_DIR" sh -c "$(nv get rc_firewall)"
}
apply() {
    if [[ $backend == ddwrt ]]; then
        ddwrt_apply
        return
    fi
    apply_site "$site" "$@"
}
# camvpn's firewall without its policy: accept everything it would judge.
policy_absent() {
    if [[ $backend == nft ]]; then
        on router nft delete table inet camvpn
    else
        for t in iptables ip6tables; do
            for c in CAMVPN_FORWARD CAMVPN_INPUT; do
                on router "$t" -F "$c"
                on router "$t" -A "$c" -j ACCEPT
            done
        done
    fi
}
ruleset_now() {
    if [[ $backend == nft ]]; then
        on router nft list ruleset
    else
        # The iptables view, without counters. iptables-nft creates tables
        # lazily and keeps them: a table of built-in chains with policy
        # ACCEPT and no rule is the same firewall as no table (iptables-legacy
        # always lists them), so such tables are left out.
        { on router iptables-save; on router ip6tables-save; } | grep -v '^#' |
            sed -E 's/ \[[0-9]+:[0-9]+\]//' |
            awk '/^\*/ { block = $0 "\n"; keep = 0; next }
                 /^:[A-Z]+ ACCEPT$/ { block = block $0 "\n"; next }
                 /^COMMIT$/ { if (keep) printf "%s%s\n", block, $0; next }
                 { block = block $0 "\n"; keep = 1 }'
    fi
}

say "lab: $backend backend, host firewall forward policy $hostfw"
topology
if [[ $backend == ddwrt ]]; then
    host_firewall iptables "$hostfw" "$wg"
    cv init --platform ddwrt --endpoint 203.0.113.1 --lan-if lan0 --subnet6 fd66::/64 --lan6 2001:db8:2::/64 \
        --camera camera1=192.168.1.108:dahua --camera camera2=192.168.1.109:dahua >/dev/null
else
    host_firewall "$backend" "$hostfw" "$wg"
    cv init --platform linux --endpoint 203.0.113.1 --interface "$wg" --wan-if wan0 --lan-if lan0 \
        --subnet6 fd66::/64 --lan6 2001:db8:2::/64 --firewall "$backend" \
        --camera camera1=192.168.1.108:dahua --camera camera2=192.168.1.109:dahua >/dev/null
fi
listeners
# The router's own services, as routers have an SSH and an admin page (on
# ports that the outside probe does not ask, so that its checks stay about
# the cameras).
serve router 2202
serve router 8843
# An SSH-like service on the router's LAN address only, on 22 (a port that
# probe --as asks and the outside probe, to the WAN address, does not meet).
on router socat TCP4-LISTEN:22,bind=192.168.1.1,fork,reuseaddr "SYSTEM:echo router-22; exec cat" >/dev/null 2>&1 &
cv camera set camera1 --ip6 2001:db8:2::108
cv camera set camera2 --ip6 2001:db8:2::109
# Cameras are known by MAC over IPv6. On Linux, camera2's MAC is left for
# apply to find in the router's neighbour table.
cv camera set camera1 --mac "$(mac camera1)"
[[ $backend != ddwrt ]] || cv camera set camera2 --mac "$(mac camera2)"
cv peer add phone --cameras camera1 --only rtsp,web >/dev/null
# A second peer whose phone stays off: status shows it offline.
cv peer add viewer >/dev/null
cv render --out "$LAB_TMP/out"
phone_key=$(cv peer show phone --json | sed -n 's/.*"public_key": "\(.*\)".*/\1/p')
# A phone that routes the whole camera LAN into the tunnel, as a phone that
# ignores its config would: the firewall, not AllowedIPs, must stop it.
sed -E 's|^AllowedIPs = .*|AllowedIPs = 10.66.0.1/32, fd66::1/128, 192.168.1.0/24, 2001:db8:2::/64|' \
    "$LAB_TMP/out/peers/phone.conf" > "$LAB_TMP/phone-wide.conf"
on attacker ip route add 192.168.1.0/24 via 203.0.113.1
on attacker ip -6 route add 2001:db8:2::/64 via 2001:db8:1::1
# The router's UPnP daemon: Debian's miniupnpd (nftables backend, with its
# own table next to the router's firewall, whichever backend that is) for
# the LAN, in secure mode as shipped. The lab's WAN addresses are reserved
# ones, on which miniupnpd refuses to map ports, so the external address it
# announces is declared (ext_ip, a public address that never goes on a wire:
# its rules match the WAN interface, not the address). camera1 maps WAN 5554
# to its RTSP port with upnpc, as a camera that "needs no port forward" does.
upnp_start() {
    cat >"$LAB_TMP/miniupnpd.conf" <<CONF
ext_ifname=wan0
ext_ip=11.22.33.44
listening_ip=lan0
http_port=5000
enable_upnp=yes
enable_natpmp=yes
secure_mode=yes
uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b
upnp_table_name=upnp
upnp_nat_table_name=upnp
upnp_forward_chain=forward_upnp
upnp_nat_chain=prerouting_upnp
upnp_nat_postrouting_chain=postrouting_upnp
lease_file=$LAB_TMP/upnp.leases
allow 1-65535 192.168.1.0/24 1-65535
deny 0-65535 0.0.0.0/0 0-65535
CONF
    on router nft -f - <<'RULES'
table inet upnp {
    chain forward {
        type filter hook forward priority filter; policy accept;
        jump forward_upnp
    }
    chain forward_upnp {
    }
    chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
        jump prerouting_upnp
    }
    chain prerouting_upnp {
    }
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        jump postrouting_upnp
    }
    chain postrouting_upnp {
    }
}
RULES
    on router miniupnpd -f "$LAB_TMP/miniupnpd.conf" -d -P "$LAB_TMP/miniupnpd.pid" >"$LAB_TMP/miniupnpd.log" 2>&1 &
    for _ in $(seq 50); do on router ss -ltn | grep -q ':5000 ' && break; sleep 0.1; done
    on camera1 timeout 10 upnpc -u http://192.168.1.1:5000/rootDesc.xml -a 192.168.1.108 554 5554 TCP \
        >"$LAB_TMP/upnpc-add.txt" 2>&1 || { cat "$LAB_TMP/miniupnpd.log" "$LAB_TMP/upnpc-add.txt" >&2; return 1; }
    on camera1 timeout 10 upnpc -u http://192.168.1.1:5000/rootDesc.xml -l >"$LAB_TMP/upnpc-list.txt" 2>&1
}
upnp_start
check "camera1 mapped WAN 5554 to itself through miniupnpd" grep -q '^TCP:5554:192.168.1.108:554:' "$LAB_TMP/upnp.leases"
# audit_upnp FILE: camvpn audit names camera1's UPnP mapping in FILE (exit 1).
audit_upnp() {
    local out rc=0
    out=$(cv audit --format upnp "$1" 2>&1) || rc=$?
    [[ $rc == 1 && $out == *camera1* && $out == *5554* ]] || { say "$out (exit $rc)"; return 1; }
}
check "camvpn audit names the mapping in miniupnpd's lease file" audit_upnp "$LAB_TMP/upnp.leases"
check "camvpn audit names the mapping in upnpc -l output" audit_upnp "$LAB_TMP/upnpc-list.txt"
before=$(ruleset_now)

# exposed check|refute [all]: the ways in from the WAN. A host firewall with
# forward policy drop already blocks routing straight to the camera, so
# those are exposures only next to an accept policy; camvpn must block them
# in every case ("all").
exposed() {
    local how=$1 scope=${2:-}
    $how "attacker reaches camera1 through the forward of wan 554" reach attacker 203.0.113.1 554 camera1-554
    $how "attacker reaches camera1:80 through the forward of wan 8080" reach attacker 203.0.113.1 8080 camera1-80
    $how "attacker reaches camera1 through the forward of wan 37777" reach attacker 203.0.113.1 37777 camera1-37777
    $how "attacker reaches camera1 through its UPnP mapping of wan 5554" reach attacker 203.0.113.1 5554 camera1-554
    [[ $hostfw == accept || $scope == all ]] || return 0
    for port in 80 554 37777; do
        $how "attacker reaches 192.168.1.108:$port directly, routed through the router" \
            reach attacker 192.168.1.108 "$port" "camera1-$port"
    done
    $how "attacker reaches camera1 over IPv6 ([2001:db8:2::108]:554)" reach attacker '[2001:db8:2::108]' 554 camera1-554
    $how "attacker reaches camera1 at an IPv6 address it chose itself" reach attacker "[$(self_chosen camera1)]" 554 camera1-554
    $how "attacker reaches camera1 at its SLAAC (EUI-64) address" reach attacker "[$(eui64 camera1)]" 554 camera1-554
}
egress() {
    local how=$1 cam=$2
    $how "$cam opens TCP to the outside host" reach "$cam" 203.0.113.200 443 outside-443
    $how "$cam sends UDP to the outside host (a vendor cloud)" reach_udp "$cam" 203.0.113.200 8800 outside-8800-udp
    $how "$cam opens TCP to the outside host over IPv6" reach "$cam" '[2001:db8:1::200]' 443 outside-443
    $how "$cam opens TCP over IPv6 from an address it chose itself" \
        reach_from "$cam" "[$(self_chosen "$cam")]" '[2001:db8:1::200]' 443 outside-443
    $how "$cam sends UDP over IPv6 from an address it chose itself" \
        reach_udp_from "$cam" "[$(self_chosen "$cam")]" '[2001:db8:1::200]' 8800 outside-8800-udp
}
# lan_host_online: the LAN host that is no camera keeps its internet.
lan_host_online() {
    check "the LAN host that is no camera reaches the outside host" reach lanhost 203.0.113.200 443 outside-443
    check "the LAN host that is no camera reaches the outside host over IPv6" reach lanhost '[2001:db8:1::200]' 443 outside-443
}

# probe_outside: camvpn probe from the attacker, as an installer would run it
# from a phone hotspot; leaves its JSON in $LAB_TMP/probe.json.
probe_outside() {
    on attacker "$CAMVPN" --dir "$site" --json probe 203.0.113.1 --timeout 400 >"$LAB_TMP/probe.json"
}
# probe_names PORT...: the probe found every PORT open.
probe_names() {
    local p
    for p in "$@"; do
        jq -e --arg p "$p" '.ports[] | select(.port == $p and .answer == "open")' "$LAB_TMP/probe.json" >/dev/null || return 1
    done
}
probe_exit() { probe_outside; }
# json_has FILE FILTER: FILTER (jq) selects something in FILE.
json_has() { jq -e "$2" "$1" >/dev/null; }
say "1. before camvpn: the old forwards expose camera1, cameras reach the internet"
exposed check
egress check camera1
egress check camera2
lan_host_online
refute "camvpn probe from outside finds nothing (exit 0)" probe_exit
check "camvpn probe names the forwards of 554, 8080 and 37777" probe_names 554/tcp 8080/tcp 37777/tcp

say "2. after apply: no way in from the WAN, the WireGuard port still answers"
apply
if [[ $backend == ddwrt ]]; then
    check "the camera forwards are gone from forward_spec, the NAS forward stays" \
        test "$(nv get forward_spec)" = "nas:on:tcp:8443>192.168.1.50:443"
    say "      (the old DNAT rules stay loaded: rc_firewall alone must stop them)"
    jumps_per_peer() { on router iptables -S CAMVPN_FORWARD | grep -q -- "-s 10.66.0.2/32 .*-j CAMVPN_L1"; }
    if [[ $hostfw == drop ]]; then
        check "rc_firewall put the phone in its access list's ipset" on router ipset test camvpn4_l1 10.66.0.2
        refute "rc_firewall wrote a jump per peer" jumps_per_peer
    else
        check "without ipset, rc_firewall jumps from each peer into its list" jumps_per_peer
    fi
fi
wg_up phone "$LAB_TMP/phone-wide.conf" "$phone_if"
exposed refute all
check "the phone's handshake over the WAN succeeds" pings phone 10.66.0.1
check "the router recorded the phone's handshake" test "$(handshake router "$wg" "$phone_key")" -gt 0
check "camvpn probe from outside finds nothing (exit 0)" probe_exit
check "...and the WireGuard port still answers the phone" pings phone 10.66.0.1
if [[ $backend != ddwrt ]]; then
    status_json() { on router "$CAMVPN" --dir "$site" --json status >"$LAB_TMP/status.json"; }
    check "camvpn status on the router: interface up, firewall loaded (exit 0)" status_json
    check "status shows the phone online with a handshake" \
        json_has "$LAB_TMP/status.json" '.peers[] | select(.name == "phone" and .online and .latest_handshake > 0)'
    check "status shows the viewer offline" \
        json_has "$LAB_TMP/status.json" '.peers[] | select(.name == "viewer" and (.online | not))'
    check "status says the firewall is loaded" json_has "$LAB_TMP/status.json" '.firewall.loaded'
fi

say "3. the phone reaches exactly its policy: camera1's rtsp and web"
check "phone reaches camera1:554" reach phone 192.168.1.108 554 camera1-554
check "phone reaches camera1:80" reach phone 192.168.1.108 80 camera1-80
check "phone reaches camera1:554 over IPv6" reach phone '[2001:db8:2::108]' 554 camera1-554
denied() {
    local how=$1
    $how "phone reaches camera1:37777 (a camera port outside its policy)" reach phone 192.168.1.108 37777 camera1-37777
    $how "phone reaches camera2:554 (not one of its cameras)" reach phone 192.168.1.109 554 camera2-554
    $how "phone reaches camera2:554 over IPv6" reach phone '[2001:db8:2::109]' 554 camera2-554
}
denied refute
# router_open check|refute: the phone reaches the router's own services,
# which its AllowedIPs route into the tunnel.
router_open() {
    local how=$1
    $how "phone reaches the router's SSH on its LAN address (192.168.1.1:2202)" reach phone 192.168.1.1 2202 router-2202
    $how "phone reaches a service on the router's tunnel address (10.66.0.1:8843)" reach phone 10.66.0.1 8843 router-8843
}
router_open refute
# probe --as: the phone proves its own policy through the tunnel.
cv export >"$LAB_TMP/site.json"
probe_as() { on phone "$CAMVPN" --dir /nonexistent --json probe --as phone --site "$LAB_TMP/site.json" --timeout 400 >"$LAB_TMP/probe-as.json"; }
check "camvpn probe --as phone through the tunnel matches the policy (exit 0)" probe_as

say "   ...and without camvpn's policy, every one of those checks fails"
policy_absent
denied check
router_open check
refute "camvpn probe --as phone matches the policy" probe_as
check "...and names camera2" json_has "$LAB_TMP/probe-as.json" '.checks[] | select(.target == "camera2" and .mismatch)'
check "...and the router's SSH on its LAN address" \
    json_has "$LAB_TMP/probe-as.json" '.checks[] | select(.target == "router" and .port == "22/tcp" and .answer == "open" and .mismatch)'
if [[ $backend == nft ]]; then
    status_quiet() { on router "$CAMVPN" --dir "$site" -q status >/dev/null; }
    refute "camvpn status says the firewall is loaded (exit 0)" status_quiet
fi
exposed check
egress check camera1
apply
exposed refute all
denied refute
router_open refute
cv site set --router-access 2202/tcp
apply
check "with --router-access 2202/tcp the phone reaches the router's SSH" reach phone 192.168.1.1 2202 router-2202
refute "...and not its other services" reach phone 10.66.0.1 8843 router-8843
cv site set --router-access none
apply

say "4. camera egress: blocked, unless the camera may use the internet"
egress refute camera1
egress refute camera2
ntp() {
    local how=$1
    $how "camera1 asks an NTP server on the internet (udp 123)" reach_udp camera1 203.0.113.200 123 outside-123-udp
    $how "camera1 asks an NTP server over IPv6 from an address it chose" \
        reach_udp_from camera1 "[$(self_chosen camera1)]" '[2001:db8:1::200]' 123 outside-123-udp
}
ntp check
cv site set --camera-ntp off
apply
ntp refute
cv site set --camera-ntp on
apply
lan_host_online
if [[ $backend != ddwrt ]]; then
    check "apply took camera2's MAC from the router's neighbour table" \
        grep -q "camera camera2 has no MAC in site.toml; this router's neighbour table gives $(mac camera2)" "$LAB_TMP/apply.err"
fi
# apply_says TEXT: camvpn apply (as apply_site) says TEXT.
apply_says() {
    on router env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go \
        "$CAMVPN" --dir "$site" apply --wg-dir "$LAB_TMP/wg" 2>&1 | grep -q "$1"
}
if [[ $backend != ddwrt ]]; then
    check "apply again, with nothing new: it says nothing changed" apply_says "nothing changed"
fi
cv camera set camera1 --internet on
if [[ $backend != ddwrt ]]; then
    refute "apply of a changed policy says nothing changed" apply_says "nothing changed"
else
    apply
fi
egress check camera1
egress refute camera2
cv camera set camera1 --internet off
apply
egress refute camera1

if [[ $backend == ddwrt ]]; then
    say "5. DD-WRT boots with the WAN down: no WAN name, and the camera drops load all the same"
    rc_firewall() { on router env PATH="$RC_PATH" NVRAM_DIR="$NVRAM_DIR" sh -c "$(nv get rc_firewall)" 2>"$LAB_TMP/rc.err"; }
    wanless() {
        local how=$1
        $how "attacker reaches camera1 through the forward of wan 554" reach attacker 203.0.113.1 554 camera1-554
        $how "camera1 opens TCP to the outside host" reach camera1 203.0.113.200 443 outside-443
        [[ $hostfw == accept ]] || return 0
        $how "attacker reaches camera1 over IPv6 ([2001:db8:2::108]:554)" reach attacker '[2001:db8:2::108]' 554 camera1-554
    }
    policy_absent
    wanless check
    rm "$NVRAM_DIR/wan_iface"
    check "rc_firewall runs without a WAN name" rc_firewall
    wanless refute
    check "...and says why phones cannot connect yet" grep -q "no WAN name" "$LAB_TMP/rc.err"
    printf '%s' wan0 >"$NVRAM_DIR/wan_iface"
    rc_firewall
    check "with the WAN named again, the phone's tunnel works" pings phone 10.66.0.1

    say "6. (live reload and undo are camvpn apply's; DD-WRT applies by reboot)"
    lab_done
    exit 0
fi

say "5. live reload: peers come and go while the phone streams"
# A fresh session, so that no scheduled rekey (after 120 s) falls into the test.
wg_down phone "$phone_if"
wg_up phone "$LAB_TMP/phone-wide.conf" "$phone_if"
check "the phone's tunnel is up again" pings phone 10.66.0.1
hs_before=$(handshake router "$wg" "$phone_key")
# Ping and stream run until both reloads are over (60 s at most), so the
# reloads fall inside what is measured however long they take.
# shellcheck disable=SC2016 # $$ and $1 are the inner shell's
on phone sh -c 'echo $$ > "$1"; exec ping -n -i 0.05 -w 60 10.66.0.1' sh "$LAB_TMP/ping.pid" \
    > "$LAB_TMP/ping.txt" 2>&1 &
ping_pid=$!
(
    i=0
    while [ ! -e "$LAB_TMP/reloaded" ] && [ "$i" -lt 600 ]; do
        i=$((i + 1)); echo "n$i"; sleep 0.1
    done
    echo "$i" > "$LAB_TMP/stream.sent"
) | on phone timeout 90 socat -T5 - TCP:192.168.1.108:554 > "$LAB_TMP/stream.txt" 2>/dev/null &
stream_pid=$!
sleep 1
cv peer add extra1 extra2 >/dev/null
apply
cv peer remove extra1 extra2
apply
still_running() { kill -0 "$(cat "$LAB_TMP/ping.pid")" 2>/dev/null && [ ! -e "$LAB_TMP/stream.sent" ]; }
check "ping and stream were still running when both reloads were done" still_running
sleep 1
touch "$LAB_TMP/reloaded"
kill -INT "$(cat "$LAB_TMP/ping.pid")" 2>/dev/null || true
wait "$ping_pid" || true
wait "$stream_pid" || true
read -r sent got < <(awk '/packets transmitted/ { print $1, $4 }' "$LAB_TMP/ping.txt")
lines=$(cat "$LAB_TMP/stream.sent")
say "      ping: $sent sent, $got received; stream: $lines lines sent"
check "at most one ping lost during two reloads" test $((sent - got)) -le 1
check "the TCP stream to camera1 kept all $lines lines" test "$(grep -c '^n' "$LAB_TMP/stream.txt")" -eq "$lines"
check "no new handshake for the phone" test "$(handshake router "$wg" "$phone_key")" = "$hs_before"
check "the added peers are gone again" test "$(on router wg show "$wg" peers | wc -l)" -eq 2

say "6. apply --undo restores the firewall as it was"
wg_down phone "$phone_if"
apply --undo
after=$(ruleset_now)
check "the firewall is exactly as before" test "$after" = "$before"
[[ "$after" == "$before" ]] || diff <(echo "$before") <(echo "$after") >&2 || true
check "the old forward exposes camera1 again" reach attacker 203.0.113.1 554 camera1-554
has_link() { on router ip link show dev "$1" >/dev/null 2>&1; }
refute "the WireGuard interface is gone" has_link "$wg"
lab_done
