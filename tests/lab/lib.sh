# shellcheck shell=bash
# The namespace lab: hosts in network namespaces joined by veth pairs and two
# bridges, as drawn in DESIGN.md (plus IPv6: WAN 2001:db8:1::/64, LAN
# 2001:db8:2::/64, routed without NAT as ISPs do):
#
#   attacker 203.0.113.66  ─┐                         ┌─ camera1 192.168.1.108
#   phone    203.0.113.77  ─┼─ [wan0] router [lan0] ──┼─ camera2 192.168.1.109
#   outside  203.0.113.200 ─┘  203.0.113.1 192.168.1.1
#
# Every name carries this run's id, so two runs never collide; every wait is
# bounded; a trap removes namespaces, processes and files on every exit path.
# Sourced by the lab scripts; $CAMVPN is the binary under test.

set -euo pipefail

LAB_ID=${LAB_ID:-$(( $$ % 100000 ))}
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_TMP=$(mktemp -d "/tmp/camvpn-lab.XXXXXX")
LAB_NS=()
LAB_WG=()
LAB_FAILS=0
LAB_PORTS=0

lab_cleanup() {
    local ns wg
    for ns in "${LAB_NS[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    for wg in "${LAB_WG[@]}"; do
        rm -f "/var/run/wireguard/$wg.sock"
    done
    rm -rf "$LAB_TMP"
}
trap lab_cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*" >&2; }

# check DESCRIPTION COMMAND...: a check that must pass.
check() {
    local what=$1; shift
    if "$@"; then
        say "  ok    $what"
    else
        say "  FAIL  $what"
        LAB_FAILS=$((LAB_FAILS + 1))
    fi
}

# refute DESCRIPTION COMMAND...: a check whose command must fail.
refute() {
    local what=$1; shift
    if "$@"; then
        say "  FAIL  $what"
        LAB_FAILS=$((LAB_FAILS + 1))
    else
        say "  ok    $what"
    fi
}

lab_done() {
    if (( LAB_FAILS > 0 )); then
        say "$LAB_FAILS lab check(s) failed"
        exit 1
    fi
    say "all lab checks passed"
}

# ns HOST: the namespace name of HOST in this run.
ns() { printf 'cv%s-%s' "$LAB_ID" "$1"; }

# on HOST COMMAND...: runs COMMAND inside HOST's namespace.
on() { local h=$1; shift; ip netns exec "$(ns "$h")" "$@"; }

add_host() {
    local n
    n=$(ns "$1")
    ip netns add "$n"
    LAB_NS+=("$n")
    # No duplicate address detection: while a link-local address is
    # tentative, a router cannot resolve neighbours and drops what it routes.
    ip netns exec "$n" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
    ip -n "$n" link set lo up
}

# wire HOST IF ADDR ADDR6 BRIDGE: a veth from HOST (as IF, with ADDR and
# ADDR6) to BRIDGE in the switch namespace.
wire() {
    local host=$1 ifname=$2 addr=$3 addr6=$4 bridge=$5 port
    LAB_PORTS=$((LAB_PORTS + 1))
    port="p$LAB_PORTS"
    ip -n "$(ns "$host")" link add "$ifname" type veth peer name "$port" netns "$(ns sw)"
    ip -n "$(ns "$host")" addr add "$addr" dev "$ifname"
    ip -n "$(ns "$host")" addr add "$addr6" dev "$ifname"
    ip -n "$(ns "$host")" link set "$ifname" up
    ip -n "$(ns sw)" link set "$port" master "$bridge" up
}

# mac HOST: the MAC address of HOST's eth0.
mac() { on "$1" cat /sys/class/net/eth0/address; }

# self_chosen HOST: the privacy address a camera took (camvpn is never told).
self_chosen() {
    case $1 in
        camera1) echo 2001:db8:2::c0:ffee ;;
        *) echo 2001:db8:2::c1:ffee ;;
    esac
}

# eui64 HOST: HOST's SLAAC address under 2001:db8:2::/64, from its MAC.
eui64() {
    local m
    IFS=: read -ra m <<<"$(mac "$1")"
    printf '2001:db8:2:0:%x:%x:%x:%x\n' "$(((0x${m[0]} ^ 2) << 8 | 0x${m[1]}))" \
        "$((0x${m[2]} << 8 | 0xff))" "$((0xfe << 8 | 0x${m[3]}))" "$((0x${m[4]} << 8 | 0x${m[5]}))"
}

# topology: the hosts above; the router forwards IPv4 and IPv6. No firewall
# yet (host_firewall), no camvpn yet. With LAB_CGNAT=1 the router's WAN is
# behind carrier-grade NAT: it has 100.64.0.2 on a link to the namespace
# cgnat, which holds 203.0.113.1 (and 2001:db8:1::1), masquerades what
# leaves and lets nothing in that the router did not start.
topology() {
    local h cgnat=${LAB_CGNAT:-}
    add_host sw
    for h in brwan brlan; do
        ip -n "$(ns sw)" link add "$h" type bridge
        ip -n "$(ns sw)" link set "$h" up
    done
    for h in router attacker phone outside camera1 camera2 lanhost; do add_host "$h"; done
    if [[ $cgnat == 1 ]]; then
        add_host cgnat
        wire cgnat eth0 203.0.113.1/24 2001:db8:1::1/64 brwan
        ip -n "$(ns router)" link add wan0 type veth peer name inside netns "$(ns cgnat)"
        ip -n "$(ns router)" addr add 100.64.0.2/24 dev wan0
        ip -n "$(ns router)" link set wan0 up
        ip -n "$(ns cgnat)" addr add 100.64.0.1/24 dev inside
        ip -n "$(ns cgnat)" link set inside up
        on router ip route add default via 100.64.0.1
        on cgnat sysctl -qw net.ipv4.ip_forward=1
        on cgnat nft -f - <<'NFT'
table ip cgnat {
    chain forward {
        type filter hook forward priority filter; policy drop;
        iifname "inside" oifname "eth0" accept
        iifname "eth0" oifname "inside" ct state established,related accept
    }
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "eth0" masquerade
    }
}
NFT
    else
        wire router wan0 203.0.113.1/24 2001:db8:1::1/64 brwan
    fi
    wire router lan0 192.168.1.1/24 2001:db8:2::1/64 brlan
    wire attacker eth0 203.0.113.66/24 2001:db8:1::66/64 brwan
    wire phone eth0 203.0.113.77/24 2001:db8:1::77/64 brwan
    wire outside eth0 203.0.113.200/24 2001:db8:1::200/64 brwan
    wire camera1 eth0 192.168.1.108/24 2001:db8:2::108/64 brlan
    wire camera2 eth0 192.168.1.109/24 2001:db8:2::109/64 brlan
    # A LAN host that is not a camera: it keeps its internet, IPv6 included.
    wire lanhost eth0 192.168.1.50/24 2001:db8:2::50/64 brlan
    on router sysctl -qw net.ipv4.ip_forward=1
    for h in camera1 camera2 lanhost; do
        on "$h" ip route add default via 192.168.1.1
    done
    # Behind the carrier's NAT the site has no IPv6 of its own.
    [[ $cgnat != 1 ]] || return 0
    on router sysctl -qw net.ipv6.conf.all.forwarding=1
    # Cameras also pick IPv6 addresses of their own that nobody tells
    # camvpn: a privacy address (random) and SLAAC's EUI-64 one.
    for h in camera1 camera2; do
        on "$h" ip addr add "$(self_chosen "$h")/64" dev eth0
        on "$h" ip addr add "$(eui64 "$h")/64" dev eth0
    done
    for h in camera1 camera2 lanhost; do
        on "$h" ip -6 route add default via 2001:db8:2::1
    done
    on outside ip -6 route add 2001:db8:2::/64 via 2001:db8:1::1
}

# host_firewall nft|iptables accept|drop WG: the router's own firewall before
# camvpn: LAN masqueraded to the WAN, and the port forwards an installer left
# behind (WAN 554 → camera1 554, 8080 → 80, 37777 → 37777). With "drop" the
# forward policy is drop, with the rules a home router has: replies, port
# forwards, LAN to WAN; the nft one also accepts the tunnel WG, which an nft
# host firewall must do for any WireGuard setup (nft tables cannot override
# each other's drop; camvpn narrows what it accepts).
host_firewall() {
    local backend=$1 mode=$2 wg=$3 t
    if [[ $backend == nft ]]; then
        on router nft -f - <<'RULES'
table ip lab_nat {
    chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
        iifname "wan0" tcp dport 554 dnat to 192.168.1.108:554
        iifname "wan0" tcp dport 8080 dnat to 192.168.1.108:80
        iifname "wan0" tcp dport 37777 dnat to 192.168.1.108:37777
    }
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan0" ip saddr 192.168.1.0/24 masquerade
    }
}
RULES
        if [[ $mode == drop ]]; then
            on router nft -f - <<RULES
table inet lab_filter {
    chain forward {
        type filter hook forward priority filter; policy drop;
        ct state established,related accept
        ct status dnat accept
        iifname "lan0" oifname "wan0" accept
        iifname "$wg" accept
    }
}
RULES
        fi
        return
    fi
    on router iptables-restore <<'RULES'
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i wan0 -p tcp --dport 554 -j DNAT --to-destination 192.168.1.108:554
-A PREROUTING -i wan0 -p tcp --dport 8080 -j DNAT --to-destination 192.168.1.108:80
-A PREROUTING -i wan0 -p tcp --dport 37777 -j DNAT --to-destination 192.168.1.108:37777
-A POSTROUTING -o wan0 -s 192.168.1.0/24 -j MASQUERADE
COMMIT
RULES
    for t in iptables ip6tables; do
        if [[ $mode == drop ]]; then
            on router "$t-restore" <<'RULES'
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT
-A FORWARD -i lan0 -o wan0 -j ACCEPT
COMMIT
RULES
        else
            on router "$t" -P FORWARD ACCEPT
        fi
    done
}

# ruleset: the router's firewall as text, without counters.
ruleset() {
    {
        on router nft list ruleset
        on router iptables-save
        on router ip6tables-save
    } 2>/dev/null | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]//'
}

# serve HOST PORT: a TCP service (IPv4 and IPv6) that answers "HOST-PORT",
# then echoes what it is sent.
serve() {
    on "$1" socat "TCP6-LISTEN:$2,fork,reuseaddr,ipv6only=0" "SYSTEM:echo $1-$2; exec cat" >/dev/null 2>&1 &
}

# serve_udp HOST PORT: a UDP service (IPv4 and IPv6) that answers "HOST-PORT-udp".
# One process answers every datagram (socat's fork and exec per datagram was
# too slow on a loaded machine).
serve_udp() {
    on "$1" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[2])))
answer = ("%s-%s-udp\n" % (sys.argv[1], sys.argv[2])).encode()
while True:
    _, peer = s.recvfrom(2048)
    s.sendto(answer, peer)
' "$1" "$2" >/dev/null 2>&1 &
}

# listeners: camera1 and camera2 on 80, 554 and 37777; outside on 443/tcp
# and 8800/udp (a vendor cloud: Dahua's P2P server uses udp 8800).
listeners() {
    local c p
    for c in camera1 camera2; do
        for p in 80 554 37777; do serve "$c" "$p"; done
    done
    serve outside 443
    serve_udp outside 8800
    # An NTP server's port (a UDP echo: the lab has no clock to sync).
    serve_udp outside 123
    for _ in $(seq 50); do
        if on camera2 ss -ltn | grep -q ':37777 ' && on outside ss -lun | grep -q ':8800 '; then
            return 0
        fi
        sleep 0.1
    done
    say "listeners did not come up"
    return 1
}

# reach FROM HOST PORT EXPECT: a TCP connection from FROM to HOST (an IPv6
# address in brackets) gets EXPECT back.
reach() {
    local got
    got=$(on "$1" timeout 4 socat -T2 - "TCP:$2:$3,connect-timeout=2" </dev/null 2>/dev/null) || true
    [[ "$got" == "$4" ]]
}

# reach_from FROM SRC HOST PORT EXPECT: as reach, from FROM's address SRC
# (an IPv6 address in brackets).
reach_from() {
    local got
    got=$(on "$1" timeout 4 socat -T2 - "TCP:$3:$4,connect-timeout=2,bind=$2" </dev/null 2>/dev/null) || true
    [[ "$got" == "$5" ]]
}

# reach_udp_from FROM SRC HOST PORT EXPECT: as reach_udp, from FROM's address SRC.
reach_udp_from() {
    udp_try "$1" "UDP:$3:$4,bind=$2" "$5"
}

# reach_udp FROM HOST PORT EXPECT: a UDP datagram from FROM gets EXPECT back.
# UDP may lose a datagram, so a second one is sent if no answer came, as any
# UDP client retries (a blocked path fails both). socat waits -t seconds for
# the answer once its input ended (0.5 s by default: too short for the
# answering socat to fork on a loaded machine).
reach_udp() {
    udp_try "$1" "UDP:$2:$3" "$4"
}

udp_try() {
    local got _
    for _ in 1 2; do
        got=$(echo hello | on "$1" timeout 4 socat -t 1.5 -T 2 - "$2" 2>/dev/null) || true
        [[ "$got" != "$3" ]] || return 0
    done
    return 1
}

# mobile_path NEAR: the phone's path as on many mobile networks: its link
# has MTU 1360 and IP fragments vanish both ways: the phone's own before
# they leave it, the phone's fragmented ones at NEAR (the host the phone
# sends to) before NEAR reassembles them (defragmentation is at -400).
mobile_path() {
    on phone ip link set eth0 mtu 1360
    on phone nft -f - <<'NFT'
table ip lab_frag {
    chain in { type filter hook input priority 0; policy accept; ip frag-off & 0x3fff != 0 drop; }
}
NFT
    on "$1" nft -f - <<'NFT'
table ip lab_frag {
    chain pre { type filter hook prerouting priority -500; policy accept; ip saddr 203.0.113.77 ip frag-off & 0x3fff != 0 drop; }
}
NFT
}

# bulk_camera1: camera1 sends 2 MB on port 9000 and counts what it gets on
# 9001 (camvpn must allow the phone those ports).
bulk_camera1() {
    on camera1 socat TCP-LISTEN:9000,fork,reuseaddr "SYSTEM:head -c 2000000 /dev/zero" >/dev/null 2>&1 &
    on camera1 socat TCP-LISTEN:9001,fork,reuseaddr "SYSTEM:wc -c" >/dev/null 2>&1 &
    for _ in $(seq 50); do on camera1 ss -ltn | grep -q ':9001 ' && break; sleep 0.1; done
}

# download / upload: 2 MB from / to camera1 reach the phone / camera1
# through the tunnel within 15 s.
download() { [[ "$(on phone timeout 15 socat -u TCP:192.168.1.108:9000,connect-timeout=3 - 2>/dev/null | wc -c)" == 2000000 ]]; }
upload() { [[ "$(head -c 2000000 /dev/zero | on phone timeout 15 socat -t 10 - TCP:192.168.1.108:9001,connect-timeout=3 2>/dev/null | tr -d ' ')" == 2000000 ]]; }

# pings FROM ADDR: ADDR answers pings from FROM (bounded).
pings() {
    on "$1" ping -n -q -c 3 -i 0.2 -W 1 -w 4 "$2" >/dev/null 2>&1
}

# wg_up HOST CONF IFNAME: brings CONF up with wg-quick on HOST as IFNAME
# (wireguard-go: the kernel here has no WireGuard module). The interface
# name is the config's file name, so the config is copied under it.
wg_up() {
    local host=$1 conf=$2 ifname=$3
    cp "$conf" "$LAB_TMP/$ifname.conf"
    chmod 600 "$LAB_TMP/$ifname.conf"
    LAB_WG+=("$ifname")
    on "$host" env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go \
        wg-quick up "$LAB_TMP/$ifname.conf" >/dev/null 2>&1
}

wg_down() {
    on "$1" wg-quick down "$LAB_TMP/$2.conf" >/dev/null 2>&1 || true
    rm -f "/var/run/wireguard/$2.sock"
}

# apply_site SITE [ARGS...]: camvpn apply for SITE on the router (wireguard-go
# for the tunnel); its stderr is kept in $LAB_TMP/apply.err, shown on failure.
apply_site() {
    local site=$1
    shift
    on router env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go \
        "$CAMVPN" --dir "$site" -q apply --wg-dir "$LAB_TMP/wg" "$@" 2>"$LAB_TMP/apply.err" ||
        { cat "$LAB_TMP/apply.err" >&2; return 1; }
}

# handshake HOST IFNAME PUBKEY: the unix time of the last handshake with PUBKEY.
handshake() {
    on "$1" wg show "$2" latest-handshakes | awk -v k="$3" '$1 == k { print $2 }'
}

# tunnel_up HOST CONF IFNAME: brings IFNAME up from CONF on HOST, or updates
# it in place when it runs (as netifd and DD-WRT do on a reload).
tunnel_up() {
    if on "$1" ip link show dev "$3" >/dev/null 2>&1; then
        on "$1" wg syncconf "$3" <(wg-quick strip "$2")
    else
        wg_up "$1" "$2" "$3"
    fi
}

# nv ARGS...: the nvram stand-in (tests/lab/nvram) on $NVRAM_DIR.
nv() { PATH="$LAB_DIR:$PATH" nvram "$@"; }
# nv_sh SCRIPT: runs SCRIPT (camvpn-ddwrt.sh) with the nvram stand-in.
nv_sh() { PATH="$LAB_DIR:$PATH" sh "$@"; }

# nvram_wg T: DD-WRT's WireGuard tunnel T (oetN) from the nvram stand-in, as
# the wg-quick config of what DD-WRT makes of it.
nvram_wg() {
    local t=$1 p v
    printf '[Interface]\nPrivateKey = %s\nListenPort = %s\nAddress = %s\n' \
        "$(nv get "${t}_private")" "$(nv get "${t}_port")" "$(nv get "${t}_ipaddrmask")"
    v=$(nv get "${t}_mtu")
    [[ -z $v ]] || printf 'MTU = %s\n' "$v"
    for ((p = 0; p < $(nv get "${t}_peers"); p++)); do
        printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = %s\n' "$(nv get "${t}_peerkey$p")" "$(nv get "${t}_aip$p")"
        [[ $(nv get "${t}_usepsk$p") != 1 ]] || printf 'PresharedKey = %s\n' "$(nv get "${t}_psk$p")"
        [[ $(nv get "${t}_endpoint$p") != 1 ]] ||
            printf 'Endpoint = %s:%s\n' "$(nv get "${t}_rem$p")" "$(nv get "${t}_peerport$p")"
        v=$(nv get "${t}_ka$p")
        [[ -z $v || $v == 0 ]] || printf 'PersistentKeepalive = %s\n' "$v"
    done
    return 0
}
