#!/usr/bin/env bash
# Runs every test of camvpn: formatting, lints, unit and integration tests,
# the real-tool checks and (as root) the network-namespace lab.
# Installs the Debian packages the tests need when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# command:package pairs the tests use.
NEEDS=(
    wg:wireguard-tools wg-quick:wireguard-tools wireguard-go:wireguard-go
    nft:nftables iptables:iptables iptables-restore:iptables
    ip:iproute2 ss:iproute2 ping:iputils-ping socat:socat sysctl:procps
    shellcheck:shellcheck zbarimg:zbar-tools rsvg-convert:librsvg2-bin
    busybox:busybox script:bsdutils setpriv:util-linux chromium:chromium
    nroff:groff-base
)
missing=()
for pair in "${NEEDS[@]}"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if ((${#missing[@]})); then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    echo "installing: ${missing[*]}" >&2
    sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$(id -u)" != 0 ]; then
    echo "*** not root: the namespace lab and wireguard-go checks will be SKIPPED ***" >&2
fi

set -x
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
shellcheck -x scripts/*.sh tests/lab/*.sh .ci/run
INSTA_UPDATE=no cargo test --locked
