#!/usr/bin/env bash
# Lab checks of the Ansible collection (ansible/): three Linux routers, each
# its own SSH host, driven from a controller namespace by ansible/site.yml.
# Each router runs OpenSSH's sshd in a mount namespace of its own, with its
# own /etc/camvpn, /etc/wireguard, /run/wireguard, /usr/local/bin and /root
# (tmpfs): what camvpn writes there is that router's alone. router (r1) has
# the lab's cameras; r2 has Python; r3 is driven as a router without Python
# (its ansible_python_interpreter does not exist: raw).
# Checks: the collection builds and installs; the first run installs camvpn
# and creates the three sites, the peers' files are fetched (0600); phones
# using the fetched configs reach exactly their cameras, the internet none,
# and the tunnel outlives the SSH session; a second run changes nothing; a
# router that lost its tunnel and firewall (a reboot) gets them back and
# alone reports a change; check mode tells and writes nothing; a peer
# added to r2's variables changes r2 alone and its config is fetched;
# an invalid camera address fails its host alone (module and raw), naming
# the address, with that site untouched; no key in Ansible's output.
# Usage: CAMVPN=path/to/camvpn tests/lab/ansible.sh
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
: "${CAMVPN:?set CAMVPN to the camvpn binary}"
ROOT=$(cd "$LAB_DIR/../.." && pwd)
# shellcheck source=scripts/ansible-env.sh
source "$ROOT/scripts/ansible-env.sh"
ansible_env "$LAB_TMP"
BIN=$ANSIBLE_BIN

# The mount points the routers' tmpfs go on; made here (and removed again)
# when this host has none.
made=()
for d in /etc/camvpn /etc/wireguard /run/wireguard /usr/local/bin /run/sshd; do
    [[ -d $d ]] || { mkdir -p "$d"; made+=("$d"); }
done
trap 'lab_cleanup; for d in "${made[@]}"; do rmdir "$d" 2>/dev/null || true; done' EXIT

say "lab: three routers driven by Ansible over SSH"
topology
listeners
add_host r2
add_host r3
add_host ctl
wire r2 wan0 203.0.113.2/24 2001:db8:1::2/64 brwan
wire r3 wan0 203.0.113.3/24 2001:db8:1::3/64 brwan
wire ctl eth0 203.0.113.10/24 2001:db8:1::10/64 brwan
for r in r2 r3; do
    on "$r" ip link add lan0 type veth peer name lan0peer
    on "$r" ip link set lan0 up
done
on r2 ip addr add 192.168.2.1/24 dev lan0
on r3 ip addr add 192.168.3.1/24 dev lan0

# SSH: one key for the controller, one host key; wireguard-go started by
# wg-quick in an SSH session gets a session of its own and no descriptor of
# the session's, as a kernel interface would outlive the session.
ssh-keygen -q -t ed25519 -N '' -C lab -f "$LAB_TMP/id" >/dev/null
ssh-keygen -q -t ed25519 -N '' -C lab -f "$LAB_TMP/host_key" >/dev/null
cat >"$LAB_TMP/wireguard-go-detached" <<'SH'
#!/bin/bash
for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    if ((fd > 2)); then eval "exec $fd>&-"; fi
done
exec setsid -w wireguard-go "$@" </dev/null >/dev/null 2>&1
SH
chmod 755 "$LAB_TMP/wireguard-go-detached"
cat >"$LAB_TMP/sshd_config" <<EOF
Port 22
HostKey $LAB_TMP/host_key
AuthorizedKeysFile $LAB_TMP/id.pub
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
Subsystem sftp internal-sftp
SetEnv WG_QUICK_USERSPACE_IMPLEMENTATION=$LAB_TMP/wireguard-go-detached
EOF
declare -A SSHD
for r in router r2 r3; do
    case $r in router) a=203.0.113.1 ;; r2) a=203.0.113.2 ;; r3) a=203.0.113.3 ;; esac
    # shellcheck disable=SC2016 # expanded by that sh
    on "$r" unshare --mount --propagation private sh -c '
        for d in /etc/camvpn /etc/wireguard /run/wireguard /usr/local/bin /root; do
            mount -t tmpfs -o mode=0755 "camvpn-lab" "$d" || exit 1
        done
        exec /usr/sbin/sshd -D -e -f "$1" -o ListenAddress="$2"' sshd "$LAB_TMP/sshd_config" "$a" \
        >"$LAB_TMP/sshd-$r.log" 2>&1 &
done
for _ in $(seq 50); do
    on ctl timeout 2 bash -c '</dev/tcp/203.0.113.1/22 && </dev/tcp/203.0.113.2/22 && </dev/tcp/203.0.113.3/22' \
        2>/dev/null && break
    sleep 0.1
done
for r in router r2 r3; do
    for p in $(ip netns pids "$(ns "$r")"); do
        # The listener: an sshd whose parent is no sshd.
        if [[ $(cat "/proc/$p/comm" 2>/dev/null) == sshd ]] &&
            [[ $(cat "/proc/$(awk '{ print $4 }' "/proc/$p/stat")/comm") != sshd ]]; then
            SSHD[$r]=$p
        fi
    done
    [[ -n ${SSHD[$r]:-} ]] || { cat "$LAB_TMP/sshd-$r.log" >&2; say "sshd did not start on $r"; exit 1; }
done
# in_router ROUTER COMMAND...: COMMAND in the router's namespaces, as SSH sees them.
in_router() { local r=$1; shift; nsenter -t "${SSHD[$r]}" -m -n "$@"; }

export ANSIBLE_SSH_CONTROL_PATH_DIR=$LAB_TMP/cp ANSIBLE_HOST_KEY_CHECKING=False \
    ANSIBLE_RETRY_FILES_ENABLED=0
# The collection, built and installed as a user would.
check "the collection's version is camvpn's (Cargo.toml)" \
    test "$(sed -n 's/^version: //p' "$ROOT/ansible/galaxy.yml")" = \
    "$(sed -n 's/^version = "\(.*\)"$/\1/p' "$ROOT/Cargo.toml" | head -1)"
check "ansible-galaxy builds the collection" \
    "$BIN/ansible-galaxy" collection build "$ROOT/ansible" --output-path "$LAB_TMP" >/dev/null
check "ansible-galaxy installs it" \
    "$BIN/ansible-galaxy" collection install "$LAB_TMP"/camvpn-fleet-*.tar.gz >/dev/null
for m in sync install fetch_peers; do
    check "ansible-doc reads camvpn.fleet.$m's documentation" \
        sh -c "'$BIN/ansible-doc' camvpn.fleet.$m 2>&1 | grep -q '^> MODULE camvpn.fleet.$m'"
done
check "ansible-doc reads the role's arguments" \
    sh -c "'$BIN/ansible-doc' -t role camvpn.fleet.router 2>&1 | grep -q camvpn_fetch_dir"

fetched=$LAB_TMP/fetched
mkdir -p "$LAB_TMP/inv/host_vars"
cat >"$LAB_TMP/inv/hosts.yml" <<EOF
camvpn_routers:
  hosts:
    router: {ansible_host: 203.0.113.1}
    r2: {ansible_host: 203.0.113.2}
    r3: {ansible_host: 203.0.113.3, ansible_python_interpreter: /nonexistent/python3}
  vars:
    ansible_user: root
    ansible_ssh_private_key_file: $LAB_TMP/id
    ansible_ssh_common_args: -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
    camvpn_binary: $CAMVPN
    camvpn_fetch_dir: $fetched
EOF
# The cameras' MACs, as a careful installer gives them (IPv6 closed by MAC
# from the start; else apply learns them from the router's neighbour table
# once the cameras talk, and the firewall changes then).
cat >"$LAB_TMP/inv/host_vars/router.yml" <<EOF
camvpn_site:
  platform: linux
  endpoint: 203.0.113.1
  wan_if: wan0
  lan_if: lan0
  cameras:
    - {name: camera1, ip: 192.168.1.108, vendor: dahua, mac: "$(mac camera1)"}
    - {name: camera2, ip: 192.168.1.109, vendor: hikvision, mac: "$(mac camera2)"}
  peers:
    - {name: phone, cameras: [camera1]}
    - {name: office}
EOF
site_of() { # ROUTER N PEERS CAMERA-IP
    cat <<EOF
camvpn_site:
  platform: linux
  endpoint: 203.0.113.$2
  wan_if: wan0
  lan_if: lan0
  lan: 192.168.$2.0/24
  cameras:
    - {name: nvr, ip: $4, vendor: hikvision}
  peers:
$(for p in $3; do echo "    - {name: $p}"; done)
EOF
}
site_of r2 2 "owner" 192.168.2.10 >"$LAB_TMP/inv/host_vars/r2.yml"
site_of r3 3 "owner" 192.168.3.10 >"$LAB_TMP/inv/host_vars/r3.yml"

# play N [ARGS...]: ansible-playbook site.yml (verbose: results are shown),
# output in $LAB_TMP/play-N.log; its exit code in $LAB_TMP/play-N.rc.
play() {
    local rc=0 n=$1
    shift
    on ctl "$BIN/ansible-playbook" -v -i "$LAB_TMP/inv/hosts.yml" "$@" "$ROOT/ansible/site.yml" \
        >"$LAB_TMP/play-$n.log" 2>&1 || rc=$?
    echo "$rc" >"$LAB_TMP/play-$n.rc"
}
# play_ok N [ARGS...]: play, which must succeed; when it does not, its
# output is shown and the lab stops here (what follows builds on it).
play_ok() {
    play "$@"
    check "the playbook succeeds" test "$(cat "$LAB_TMP/play-$1.rc")" = 0
    [[ $(cat "$LAB_TMP/play-$1.rc") == 0 ]] || { show_log "$1"; lab_done; }
}
# recap N HOST FIELD: FIELD (ok, changed, failed...) of HOST in run N's recap.
recap() {
    sed -n "/PLAY RECAP/,\$p" "$LAB_TMP/play-$1.log" | awk -v h="$2" -v f="$3" \
        '$1 == h { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }'
}
is() { [[ $(recap "$1" "$2" "$3") == "$4" ]]; }
changed() { local n; n=$(recap "$1" "$2" changed); [[ -n $n && $n -gt 0 ]]; }
changed_ok() { changed "$1" "$2" && is "$1" "$2" failed 0; }
# failed_naming N HOST WHAT: HOST failed in run N, its failure names WHAT.
failed_naming() {
    is "$1" "$2" failed 1 && grep -A3 "^fatal: \[$2\]" "$LAB_TMP/play-$1.log" | grep -qF -- "$3"
}
show_log() { sed 's/^/      | /' "$LAB_TMP/play-$1.log" >&2; }
site_sum() { in_router "$1" sh -c 'cat /etc/camvpn/site.toml; cat /etc/camvpn/keys/*' | sha256sum; }
no_keys_in_output() {
    local r k
    for r in router r2 r3; do
        for k in $(in_router "$r" sh -c 'cat /etc/camvpn/keys/*'); do
            if grep -qF -- "$k" "$LAB_TMP"/play-*.log; then return 1; fi
        done
    done
}

# The router's own firewall: masquerade to the WAN (and old forwards); the
# internet routes the tunnel's addresses back, so that the checks of what
# the router lets out mean something.
host_firewall nft accept wg0
on outside ip route add 10.66.0.0/24 via 203.0.113.1

say "1. the first run installs camvpn and creates three sites"
play_ok 1
for r in router r2 r3; do
    check "$r: changed, nothing failed" changed_ok 1 "$r"
done
check "r3 was driven without Python (raw)" grep -q "Converge the site (no Python on the router)" "$LAB_TMP/play-1.log"
for r in router r2 r3; do
    check "$r: camvpn is in its own /usr/local/bin" in_router "$r" test -x /usr/local/bin/camvpn
done
refute "the routers' sites landed on the lab host" test -e /etc/camvpn/site.toml
check "router's peers' configs, QR codes and pages are fetched" \
    test -s "$fetched/router/peers/phone.conf" -a -s "$fetched/router/peers/phone.png" -a -s "$fetched/router/peers/office.html"
check "r3's (no Python) are fetched too" test -s "$fetched/r3/peers/owner.conf"
check "fetched configs are 0600" test "$(stat -c %a "$fetched/router/peers/phone.conf" "$fetched/r3/peers/owner.conf" | sort -u)" = 600
check "zbarimg reads the fetched QR as the fetched config" \
    test "$(zbarimg -q --raw -Sdisable -Sqrcode.enable "$fetched/router/peers/phone.png" 2>/dev/null)" = "$(cat "$fetched/router/peers/phone.conf")"

say "2. the fetched configs work, and the tunnel outlived the SSH session"
wg0_runs() { in_router router wg show wg0 listen-port >/dev/null; }
check "wireguard-go runs on the router after the playbook ended" wg0_runs
widen() {
    sed -E 's|^AllowedIPs = .*|AllowedIPs = 10.66.0.1/32, 192.168.1.0/24, 203.0.113.200/32|' \
        "$fetched/router/peers/$1.conf" >"$LAB_TMP/$1-wide.conf"
}
widen phone
widen office
add_host office
wire office eth0 203.0.113.78/24 2001:db8:1::78/64 brwan
wg_up phone "$LAB_TMP/phone-wide.conf" "cvp$LAB_ID"
wg_up office "$LAB_TMP/office-wide.conf" "cvo$LAB_ID"
check "the phone's tunnel is up" pings phone 10.66.0.1
check "phone reaches camera1 rtsp" reach phone 192.168.1.108 554 camera1-554
check "office reaches camera2 web" reach office 192.168.1.109 80 camera2-80
denied() {
    local how=$1
    $how "phone reaches camera2 (not its camera)" reach phone 192.168.1.109 554 camera2-554
    $how "phone reaches the internet through the tunnel" reach phone 203.0.113.200 443 outside-443
    $how "office reaches the internet through the tunnel" reach office 203.0.113.200 443 outside-443
}
denied refute

say "3. a second run changes nothing"
play_ok 2
for r in router r2 r3; do check "$r: changed=0" is 2 "$r" changed 0; done

say "   a router that lost its tunnel and firewall (a reboot) gets them back, and says so"
in_router router wg-quick down /etc/wireguard/wg0.conf 2>/dev/null
in_router router nft delete table inet camvpn
play_ok 2b
check "router changed (its site did not)" changed 2b router
check "camvpn said the host changed" grep -q '"host_changed": true' "$LAB_TMP/play-2b.log"
check "r2: changed=0" is 2b r2 changed 0
check "r3: changed=0" is 2b r3 changed 0
check "wireguard-go runs on the router again" wg0_runs
check "camvpn's table is back" in_router router nft list table inet camvpn >/dev/null
# The router's WireGuard is a new instance: the phones reconnect, as the
# app does when its session gets no answer (an office that did not would
# wait for its session's rekey, 120 s after its last handshake, and the
# last checks below might come sooner).
wg_down phone "cvp$LAB_ID"
wg_up phone "$LAB_TMP/phone-wide.conf" "cvp$LAB_ID"
wg_down office "cvo$LAB_ID"
wg_up office "$LAB_TMP/office-wide.conf" "cvo$LAB_ID"
check "phone reaches camera1 rtsp again" reach phone 192.168.1.108 554 camera1-554
refute "phone reaches camera2 (not its camera)" reach phone 192.168.1.109 554 camera2-554

say "4. a peer added to r2's variables changes r2 alone"
before_router=$(site_sum router)
before_r3=$(site_sum r3)
before_r2=$(site_sum r2)
site_of r2 2 "owner tablet" 192.168.2.10 >"$LAB_TMP/inv/host_vars/r2.yml"
say "   first in check mode (--check): told, nothing written"
play_ok 3c --check
check "r2 would change" changed 3c r2
check "router would not" is 3c router changed 0
check "r3 (raw) would not" is 3c r3 changed 0
check "camvpn was asked for a dry run on r2" grep -q '"dry_run": true' "$LAB_TMP/play-3c.log"
check "r2's site is untouched" test "$(site_sum r2)" = "$before_r2"
refute "the new peer's config is there" test -e "$fetched/r2/peers/tablet.conf"
say "   then for real"
play_ok 3
check "r2 changed" changed 3 r2
check "router: changed=0" is 3 router changed 0
check "r3: changed=0" is 3 r3 changed 0
check "router's and r3's sites are byte-identical" test "$(site_sum router)$(site_sum r3)" = "$before_router$before_r3"
check "the new peer's config is fetched" test -s "$fetched/r2/peers/tablet.conf"
check "r2's router has the new peer" test "$(in_router r2 wg show wg0 peers | wc -l)" = 2

say "5. an invalid camera address fails its host alone, naming it"
before_r2=$(site_sum r2)
before_r3=$(site_sum r3)
site_of r2 2 "owner tablet" 192.168.2.300 >"$LAB_TMP/inv/host_vars/r2.yml"
site_of r3 3 "owner" 192.168.3.256 >"$LAB_TMP/inv/host_vars/r3.yml"
play 4
check "the playbook reports the failure" test "$(cat "$LAB_TMP/play-4.rc")" != 0
check "r2 failed (module), naming the address" failed_naming 4 r2 192.168.2.300
check "r3 failed (raw), naming the address" failed_naming 4 r3 192.168.3.256
check "router: failed=0" is 4 router failed 0
check "router: changed=0" is 4 router changed 0
check "r2's and r3's sites are untouched" test "$(site_sum r2)$(site_sum r3)" = "$before_r2$before_r3"

say "6. no key in Ansible's output (six verbose runs)"
check "no router's or peer's key appears in any run's output" no_keys_in_output
check "the keys are there to look for" test "$(in_router router sh -c 'cat /etc/camvpn/keys/*' | wc -l)" -ge 5
# The search finds a key that does pass: a task that prints one.
on ctl "$BIN/ansible" -i "$LAB_TMP/inv/hosts.yml" r3 -m raw -a 'cat /etc/camvpn/keys/server.key' \
    >"$LAB_TMP/play-leak.log" 2>&1 || true
refute "...and finds the key a task printing it leaks" no_keys_in_output

say "   ...and without camvpn's rules, the denials fail"
in_router router nft delete table inet camvpn
denied check
lab_done
