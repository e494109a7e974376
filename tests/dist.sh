#!/usr/bin/env bash
# The packages of scripts/dist.sh, proven here: the big-endian MIPS build
# (mips-unknown-linux-musl: OpenWrt's ath79 and ramips cores) runs under
# qemu-mips-static and writes byte for byte what the native build writes
# (keys, configs, QR PNGs, firewall files; byte order mistakes would show);
# its .ipk and the amd64 .deb are checked by their structure; the .deb is
# installed (by the Ansible collection's camvpn.fleet.install, as the role
# installs camvpn_package), removed and purged on this machine.
# Usage: tests/dist.sh NATIVE_CAMVPN   (run by scripts/test.sh, as root;
# DIST_PREBUILT=1: dist/ holds the packages already)
set -euo pipefail
cd "$(dirname "$0")/.."
native=$(realpath "${1:?the native camvpn binary}")
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
fails=0
say() { printf '%s\n' "$*" >&2; }
check() {
    local what=$1
    shift
    if "$@"; then say "  ok    $what"; else
        say "  FAIL  $what"
        fails=$((fails + 1))
    fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# scripts/test.sh builds them in the background while the other tests run.
[[ ${DIST_PREBUILT:-} == 1 ]] || scripts/dist.sh mips-unknown-linux-musl x86_64-unknown-linux-musl
mips=dist/camvpn-$VERSION-mips-unknown-linux-musl
ipk=dist/camvpn_$VERSION-1_mips_24kc.ipk
deb=dist/camvpn_$VERSION-1_amd64.deb

say "1. the MIPS binary (big-endian) under qemu, next to the native one"
m() { qemu-mips-static "$mips" "$@"; }
check "it is a static big-endian MIPS executable" \
    sh -c "file '$mips' | grep -q 'ELF 32-bit MSB executable, MIPS.*statically linked'"
check "it says the same version" test "$(m --version)" = "$("$native" --version)"
check "it leaves out the laptop's commands, and says so with exit 2" sh -c \
    "qemu-mips-static '$mips' probe 2>'$tmp/probe.err'; test \$? = 2 && grep -q 'not in this build' '$tmp/probe.err'"
check "its checksum file matches" sh -c "cd dist && sha256sum -c --quiet '${mips##*/}.sha256'"
# A site whose keys are given: init takes them over (--adopt), on both.
router=$(wg genkey)
phone=$(wg genkey)
cat >"$tmp/given.conf" <<EOF
[Interface]
Address = 10.66.0.1/24
ListenPort = 51820
PrivateKey = $router

# phone
[Peer]
PublicKey = $(wg pubkey <<<"$phone")
AllowedIPs = 10.66.0.2/32
EOF
# init PLATFORM DIR BINARY...: the site of given keys on PLATFORM.
init() {
    local platform=$1 dir=$2
    shift 2
    local ifs=()
    [[ $platform != linux ]] || ifs=(--wan-if eth0 --lan-if br0)
    "$@" --dir "$dir" init --platform "$platform" --endpoint vpn.example.net "${ifs[@]}" \
        --adopt "$tmp/given.conf" --camera driveway=192.168.1.108:dahua \
        --camera nvr=192.168.1.20:hikvision >/dev/null 2>&1
}
for platform in linux openwrt ddwrt; do
    init "$platform" "$tmp/a-$platform" "$native"
    init "$platform" "$tmp/b-$platform" m
    check "$platform: init writes the same site.toml" cmp "$tmp/a-$platform/site.toml" "$tmp/b-$platform/site.toml"
    check "$platform: init takes the given router key" \
        cmp "$tmp/a-$platform/keys/server.key" "$tmp/b-$platform/keys/server.key"
    # Peers with new keys (QR codes) and a relay; then both render that site.
    "$native" --dir "$tmp/a-$platform" -q peer add guard viewer --no-qr
    "$native" --dir "$tmp/a-$platform" -q site set --relay relay.example.net
    for who in native mips; do
        bin=$native
        [[ $who == native ]] || bin=m
        "$bin" --dir "$tmp/a-$platform" -q render --out "$tmp/$who-$platform" \
            --uci-dir tests/fixtures/openwrt 2>/dev/null
    done
    check "$platform: render writes the same files, byte for byte (PNG QR codes too)" \
        diff -r "$tmp/native-$platform" "$tmp/mips-$platform"
done
check "the rendered peers have PNG QR codes" test -s "$tmp/mips-linux/peers/guard.png"

say "2. the .ipk, as OpenWrt's ipkg-build lays one out"
size() { stat -c %s "$1"; }
check "the router binary is at most 3 MiB" test "$(size "$mips")" -le $((3 * 1024 * 1024))
check "the .ipk is at most 1.5 MiB" test "$(size "$ipk")" -le $((3 * 1024 * 1024 / 2))
check "a gzipped tar of debian-binary, data.tar.gz, control.tar.gz" \
    test "$(tar -tzf "$ipk" | tr '\n' ' ')" = "./debian-binary ./data.tar.gz ./control.tar.gz "
mkdir "$tmp/ipk"
tar -xzf "$ipk" -C "$tmp/ipk"
check "debian-binary says 2.0" test "$(cat "$tmp/ipk/debian-binary")" = 2.0
control=$(tar -xzOf "$tmp/ipk/control.tar.gz" ./control)
field() { sed -n "s/^$1: //p" <<<"$control"; }
check "control: Package camvpn" test "$(field Package)" = camvpn
check "control: Version $VERSION-1" test "$(field Version)" = "$VERSION-1"
check "control: Architecture mips_24kc" test "$(field Architecture)" = mips_24kc
check "control: Depends on kmod-wireguard and wireguard-tools" \
    test "$(field Depends)" = "libc, kmod-wireguard, wireguard-tools"
check "control: Installed-Size is the data's" \
    test "$(field Installed-Size)" = "$(gzip -dc "$tmp/ipk/data.tar.gz" | wc -c)"
check "data: /usr/bin/camvpn, 0755, root" \
    sh -c "tar -tvzf '$tmp/ipk/data.tar.gz' | grep -Eq '^-rwxr-xr-x 0/0 +[0-9]+ .* \./usr/bin/camvpn$'"
tar -xzf "$tmp/ipk/data.tar.gz" -C "$tmp/ipk" ./usr/bin/camvpn
check "the packaged binary runs under qemu" \
    test "$(qemu-mips-static "$tmp/ipk/usr/bin/camvpn" --version)" = "$("$native" --version)"

say "3. the .deb (amd64): its structure, then installed, removed and purged here"
check "an ar archive of debian-binary, control.tar.xz, data.tar.xz" \
    test "$(ar t "$deb" | tr '\n' ' ')" = "debian-binary control.tar.xz data.tar.xz "
info=$(dpkg-deb --info "$deb")
said() { grep -qxF -- " $1" <<<"$info"; }
check "control: Package camvpn" said "Package: camvpn"
check "control: Version $VERSION-1" said "Version: $VERSION-1"
check "control: Architecture amd64" said "Architecture: amd64"
check "control: Depends on wireguard-tools and a firewall" said "Depends: wireguard-tools, nftables | iptables"
contents=$(dpkg-deb --contents "$deb")
for f in "-rwxr-xr-x root/root .* ./usr/bin/camvpn" \
    "-rw-r--r-- root/root .* ./usr/share/man/man1/camvpn.1.gz" \
    "-rw-r--r-- root/root .* ./usr/share/bash-completion/completions/camvpn" \
    "-rw-r--r-- root/root .* ./usr/share/zsh/vendor-completions/_camvpn" \
    "-rw-r--r-- root/root .* ./usr/share/fish/vendor_completions.d/camvpn.fish" \
    "-rw-r--r-- root/root .* ./lib/systemd/system/camvpn-apply.service" \
    "-rw-r--r-- root/root .* ./usr/share/doc/camvpn/copyright"; do
    check "contains ${f##* }" grep -Eq "^$f\$" <<<"$contents"
done
check "the man page is roff that man renders" sh -c "dpkg-deb --fsys-tarfile '$deb' | tar -xOf - ./usr/share/man/man1/camvpn.1.gz | gzip -d | grep -q '^.TH camvpn 1'"
check "the boot unit runs camvpn apply after the network is up" sh -c \
    "dpkg-deb --fsys-tarfile '$deb' | tar -xOf - ./lib/systemd/system/camvpn-apply.service | grep -q '^After=network-online.target' &&
     dpkg-deb --fsys-tarfile '$deb' | tar -xOf - ./lib/systemd/system/camvpn-apply.service | grep -q '^ExecStart=/usr/bin/camvpn --dir /etc/camvpn apply$'"
if dpkg-query -W -f '${Status}' camvpn 2>/dev/null | grep -q 'install ok'; then
    say "  FAIL  camvpn is installed on this machine already: not touching it"
    fails=$((fails + 1))
else
    # Installed as the Ansible role installs camvpn_package (camvpn.fleet.install,
    # here over a local connection): dpkg -i when the version differs.
    # shellcheck source=scripts/ansible-env.sh
    . scripts/ansible-env.sh
    ansible_env "$tmp"
    "$ANSIBLE_BIN/ansible-galaxy" collection install ansible/ >/dev/null
    install_pkg() { # LOG PACKAGE [ARGS...]
        local log=$1 pkg=$2
        shift 2
        "$ANSIBLE_BIN/ansible" localhost -c local -o -m camvpn.fleet.install -a "package=$(realpath "$pkg")" "$@" \
            >"$tmp/$log.log" 2>&1 || true
    }
    install_pkg first "$deb"
    check "the Ansible role's install puts the .deb on (changed)" grep -q '^localhost | CHANGED' "$tmp/first.log"
    check "dpkg -i installs it" sh -c "dpkg-query -W -f '\${Status}' camvpn | grep -q 'install ok installed'"
    install_pkg again "$deb"
    check "...and a second run leaves it (unchanged)" grep -q '^localhost | SUCCESS' "$tmp/again.log"
    install_pkg ipk "$ipk" --check
    check "it reads the .ipk's version ($VERSION-1), and in check mode installs nothing" \
        grep -q "^localhost | CHANGED.*\"version\": \"$VERSION-1\"" "$tmp/ipk.log"
    grep -q '^localhost | CHANGED' "$tmp/first.log" || cat "$tmp/first.log" >&2
    check "/usr/bin/camvpn runs" test "$(/usr/bin/camvpn --version)" = "$("$native" --version)"
    wants=/etc/systemd/system/multi-user.target.wants/camvpn-apply.service
    check "the unit is enabled for the next boot" test "$(readlink "$wants")" = /lib/systemd/system/camvpn-apply.service
    check "systemd-analyze verify accepts the installed unit" \
        sh -c "SYSTEMD_LOG_LEVEL=warning systemd-analyze verify /lib/systemd/system/camvpn-apply.service 2>&1 | { ! grep -q .; }"
    # Debian's nftables.service flushes the whole ruleset when it starts,
    # restarts or reloads: camvpn's unit applies again after each.
    for dep in 'PartOf=nftables.service netfilter-persistent.service' \
        'ReloadPropagatedFrom=nftables.service netfilter-persistent.service' \
        'ExecReload=/usr/bin/camvpn --dir /etc/camvpn apply'; do
        check "the unit follows the host firewall: $dep" grep -qx "$dep" /lib/systemd/system/camvpn-apply.service
    done
    # shellcheck disable=SC2016 # expanded by the inner bash
    check "bash completes its commands" bash -c '. /usr/share/bash-completion/completions/camvpn; COMP_WORDS=(camvpn ini); COMP_CWORD=1; _camvpn camvpn ini camvpn; [[ " ${COMPREPLY[*]} " == *" init "* ]]'
    dpkg -r camvpn >"$tmp/dpkg.log" 2>&1 || cat "$tmp/dpkg.log" >&2
    check "dpkg -r removes the binary and the unit" sh -c "! test -e /usr/bin/camvpn && ! test -e /lib/systemd/system/camvpn-apply.service"
    dpkg -P camvpn >"$tmp/dpkg.log" 2>&1 || cat "$tmp/dpkg.log" >&2
    check "dpkg -P purges it: no trace in dpkg, the unit not enabled" \
        sh -c "! dpkg-query -W -f '\${Status}' camvpn 2>/dev/null | grep -q installed && ! test -L '$wants' &&
            ! test -e /var/lib/systemd/deb-systemd-helper-enabled/camvpn-apply.service.dsh-also"
fi

if ((fails > 0)); then
    say "$fails dist check(s) failed"
    exit 1
fi
say "all dist checks passed"
