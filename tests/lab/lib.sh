# shellcheck shell=bash
# The namespace lab: hosts in network namespaces joined by veth pairs and two
# bridges, as drawn in DESIGN.md:
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
    ip -n "$n" link set lo up
}

# wire HOST IF ADDR BRIDGE: a veth from HOST (as IF, with ADDR) to BRIDGE in
# the switch namespace.
wire() {
    local host=$1 ifname=$2 addr=$3 bridge=$4 port
    LAB_PORTS=$((LAB_PORTS + 1))
    port="p$LAB_PORTS"
    ip -n "$(ns "$host")" link add "$ifname" type veth peer name "$port" netns "$(ns sw)"
    ip -n "$(ns "$host")" addr add "$addr" dev "$ifname"
    ip -n "$(ns "$host")" link set "$ifname" up
    ip -n "$(ns sw)" link set "$port" master "$bridge" up
}

# topology: the hosts above, the router forwarding and masquerading LAN to
# WAN like any home router. No camvpn yet, no port forwards yet.
topology() {
    local h
    add_host sw
    for h in brwan brlan; do
        ip -n "$(ns sw)" link add "$h" type bridge
        ip -n "$(ns sw)" link set "$h" up
    done
    for h in router attacker phone outside camera1 camera2; do add_host "$h"; done
    wire router wan0 203.0.113.1/24 brwan
    wire router lan0 192.168.1.1/24 brlan
    wire attacker eth0 203.0.113.66/24 brwan
    wire phone eth0 203.0.113.77/24 brwan
    wire outside eth0 203.0.113.200/24 brwan
    wire camera1 eth0 192.168.1.108/24 brlan
    wire camera2 eth0 192.168.1.109/24 brlan
    on router sysctl -qw net.ipv4.ip_forward=1
    on camera1 ip route add default via 192.168.1.1
    on camera2 ip route add default via 192.168.1.1
    on router nft -f - <<'EOF'
table ip lab_nat {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan0" ip saddr 192.168.1.0/24 masquerade
    }
}
EOF
}

# old_forwards: the port forwards an installer left behind: WAN 554 → camera1
# 554, 8080 → 80, 37777 → 37777.
old_forwards() {
    on router nft -f - <<'EOF'
table ip lab_forwards {
    chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
        iifname "wan0" tcp dport 554 dnat to 192.168.1.108:554
        iifname "wan0" tcp dport 8080 dnat to 192.168.1.108:80
        iifname "wan0" tcp dport 37777 dnat to 192.168.1.108:37777
    }
}
EOF
}

# serve HOST PORT: a TCP service that answers "HOST:PORT".
serve() {
    on "$1" socat "TCP-LISTEN:$2,fork,reuseaddr" "SYSTEM:echo $1:$2" >/dev/null 2>&1 &
}

# serve_udp HOST PORT: a UDP service that answers "HOST:PORT/udp".
serve_udp() {
    on "$1" socat "UDP-RECVFROM:$2,fork,reuseaddr" "SYSTEM:echo $1:$2/udp" >/dev/null 2>&1 &
}

# cameras_listen: camera1 and camera2 on 80, 554 and 37777; outside on
# 443/tcp and 8800/udp (a vendor cloud).
cameras_listen() {
    local c p
    for c in camera1 camera2; do
        for p in 80 554 37777; do serve "$c" "$p"; done
    done
    serve outside 443
    serve_udp outside 8800
    # Bounded wait until every listener is up.
    for _ in $(seq 50); do
        if on camera2 sh -c 'ss -ltn | grep -q ":37777 "' && on outside sh -c 'ss -lun | grep -q ":8800 "'; then
            return 0
        fi
        sleep 0.1
    done
    say "listeners did not come up"
    return 1
}

# reach FROM HOST PORT EXPECT: a TCP connection from FROM gets EXPECT back.
reach() {
    local got
    got=$(on "$1" timeout 4 socat -T2 - "TCP:$2:$3,connect-timeout=2" </dev/null 2>/dev/null) || true
    [[ "$got" == "$4" ]]
}

# reach_udp FROM HOST PORT EXPECT: a UDP datagram from FROM gets EXPECT back.
reach_udp() {
    local got
    got=$(echo hello | on "$1" timeout 4 socat -T2 - "UDP:$2:$3" 2>/dev/null) || true
    [[ "$got" == "$4" ]]
}

# pings FROM ADDR: ADDR answers pings from FROM (3 tries, bounded).
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

# handshake HOST IFNAME PUBKEY: the unix time of the last handshake with PUBKEY.
handshake() {
    on "$1" wg show "$2" latest-handshakes | awk -v k="$3" '$1 == k { print $2 }'
}
