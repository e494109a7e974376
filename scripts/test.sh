#!/usr/bin/env bash
# Runs every test of camvpn: formatting, lints, unit and integration tests,
# the real-tool checks and (as root) the network-namespace lab.
# Installs the Debian packages the tests need when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/needs.sh
. scripts/needs.sh
# command:package pairs the tests use.
need wg:wireguard-tools wg-quick:wireguard-tools wireguard-go:wireguard-go \
    nft:nftables iptables:iptables iptables-restore:iptables \
    ip:iproute2 ss:iproute2 ping:iputils-ping socat:socat sysctl:procps \
    shellcheck:shellcheck zbarimg:zbar-tools rsvg-convert:librsvg2-bin \
    busybox:busybox script:bsdutils setpriv:util-linux chromium:chromium \
    nroff:groff-base ipset:ipset jq:jq ffmpeg:ffmpeg \
    miniupnpd:miniupnpd-nftables upnpc:miniupnpc \
    '/usr/lib/*/girepository-1.0/GstRtspServer-1.0.typelib:gir1.2-gst-rtsp-server-1.0' \
    '/usr/lib/python3/dist-packages/gi/__init__.py:python3-gi' \
    '/usr/lib/*/gstreamer-1.0/libgstvpx.so:gstreamer1.0-plugins-good' \
    '/usr/lib/*/gstreamer-1.0/libgstvideotestsrc.so:gstreamer1.0-plugins-base' \
    /usr/bin/rustc:rustc-web /usr/bin/cargo:cargo-web \
    /usr/lib/rustlib/src/rust/library/Cargo.lock:rust-web-src \
    '/usr/lib/python3*/ensurepip/__init__.py:python3-venv' qemu-mips-static:qemu-user-static \
    mips-linux-gnu-objcopy:binutils-mips-linux-gnu file:file ar:binutils dpkg-deb:dpkg \
    /usr/sbin/sshd:openssh-server ssh:openssh-client nsenter:util-linux \
    systemd-analyze:systemd man:man-db

# ansible-core (pinned, from PyPI) for the Ansible lab, in a virtualenv.
scripts/ansible-venv.sh >/dev/null

if [ "$(id -u)" != 0 ]; then
    echo "*** not root: the namespace lab and wireguard-go checks will be SKIPPED ***" >&2
fi

# Tests that cannot run here (not root) write a line each into this file;
# the count is the last thing this script prints.
CAMVPN_SKIP_LOG=$(mktemp)
export CAMVPN_SKIP_LOG
trap 'rm -f "$CAMVPN_SKIP_LOG"' EXIT

set -x
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# The OpenWrt-only router build (scripts/dist.sh): without the laptop feature.
cargo clippy --no-default-features --lib --bins --locked -- -D warnings
shellcheck -x scripts/*.sh tests/lab/*.sh tests/dist.sh packaging/debian/postinst \
    packaging/debian/prerm packaging/debian/postrm .ci/run
cargo test --locked --no-run -q
set +x

# The router packages (scripts/dist.sh) for the targets tests/dist.sh
# checks: built in the background at the lowest priority while the tests
# run (the lab mostly waits on the network), in a process group of its own.
dist_pid=
if [ "$(id -u)" = 0 ]; then
    dist_log=$(mktemp)
    setsid nice -n 19 scripts/dist.sh mips-unknown-linux-musl x86_64-unknown-linux-musl \
        >"$dist_log" 2>&1 &
    dist_pid=$!
fi
trap 'rm -f "$CAMVPN_SKIP_LOG" "${dist_log:-}"; [ -z "$dist_pid" ] || kill -- -"$dist_pid" 2>/dev/null || true' EXIT

set -x
INSTA_UPDATE=no cargo test --locked
set +x

if [ -n "$dist_pid" ]; then
    if ! wait "$dist_pid"; then
        cat "$dist_log" >&2
        echo "scripts/dist.sh failed" >&2
        exit 1
    fi
    dist_pid=
    DIST_PREBUILT=1 tests/dist.sh "${CARGO_TARGET_DIR:-target}/debug/camvpn"
else
    echo "tests/dist.sh: needs root (dpkg -i)" >>"$CAMVPN_SKIP_LOG"
fi

skipped=$(wc -l < "$CAMVPN_SKIP_LOG")
if [ "$skipped" -gt 0 ]; then
    echo "*** $skipped tests did not run (they passed without testing anything):" >&2
    sed 's/^/***   /' "$CAMVPN_SKIP_LOG" >&2
else
    echo "every test ran: none was skipped"
fi
