#!/usr/bin/env bash
# Builds camvpn for the machines it runs on, into dist/:
#   camvpn-VERSION-TARGET (+ .sha256)   a static, stripped binary per target
#   camvpn_VERSION-RELEASE_ARCH.ipk     OpenWrt package, per target
#   camvpn_VERSION-RELEASE_ARCH.deb     Debian package, amd64 and arm64
# Usage: scripts/dist.sh [TARGET...]   (none: every target below)
#
# How: Debian's rustc-web/cargo-web (1.96) build the standard library for
# each musl target from rust-web-src (-Zbuild-std; rustup's servers are not
# needed), cargo-zigbuild with Zig (both from PyPI, in a virtualenv under
# DIST_TOOLS) links. Environment: DIST_PROFILE (cargo profile, default
# router: size-tuned), DIST_RELEASE (package release, default 1),
# DIST_TOOLS (default ~/.cache/camvpn-dist), DIST_TARGET_DIR (cargo's).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/needs.sh
. scripts/needs.sh
need /usr/bin/rustc:rustc-web /usr/bin/cargo:cargo-web \
    /usr/lib/rustlib/src/rust/library/Cargo.lock:rust-web-src \
    '/usr/lib/python3*/ensurepip/__init__.py:python3-venv' \
    dpkg-deb:dpkg sha256sum:coreutils gzip:gzip \
    qemu-mips-static:qemu-user-static mips-linux-gnu-objcopy:binutils-mips-linux-gnu

ALL=(aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf mipsel-unknown-linux-musl
    mips-unknown-linux-musl x86_64-unknown-linux-musl)
targets=("$@")
((${#targets[@]})) || targets=("${ALL[@]}")

VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
RELEASE=${DIST_RELEASE:-1}
PROFILE=${DIST_PROFILE:-router}
TOOLS=${DIST_TOOLS:-$HOME/.cache/camvpn-dist}
TARGET_DIR=${DIST_TARGET_DIR:-target/dist}
DIST=dist
# Reproducible archives: every file dated at the last commit.
EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
MAX_BINARY=$((3 * 1024 * 1024))
MAX_IPK=$((3 * 1024 * 1024 / 2))

# OpenWrt's package architecture, Debian's, and the qemu that runs TARGET.
openwrt_arch() {
    case $1 in
        aarch64-*) echo aarch64_generic ;;
        armv7-*) echo arm_cortex-a7_neon-vfpv4 ;;
        mipsel-*) echo mipsel_24kc ;;
        mips-*) echo mips_24kc ;;
        x86_64-*) echo x86_64 ;;
        *) return 1 ;;
    esac
}
debian_arch() {
    case $1 in
        aarch64-*) echo arm64 ;;
        x86_64-*) echo amd64 ;;
        *) return 1 ;;
    esac
}
# run TARGET BINARY ARGS...: runs a target's binary here (qemu-user-static).
run() {
    local t=$1
    shift
    case $t in
        x86_64-*) "$@" ;;
        aarch64-*) qemu-aarch64-static "$@" ;;
        armv7-*) qemu-arm-static "$@" ;;
        mipsel-*) qemu-mipsel-static "$@" ;;
        mips-*) qemu-mips-static "$@" ;;
    esac
}

for t in "${targets[@]}"; do
    openwrt_arch "$t" >/dev/null || {
        echo "dist.sh: unknown target '$t'; use one of: ${ALL[*]}" >&2
        exit 2
    }
done

# cargo-zigbuild and Zig, pinned, in a virtualenv of their own.
venv=$TOOLS/venv
if [[ ! -x $venv/bin/cargo-zigbuild ]]; then
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install -q cargo-zigbuild==0.24.1 ziglang==0.17.1
fi

mkdir -p "$DIST"
for t in "${targets[@]}"; do
    echo "== $t" >&2
    # Static; no unwind tables (panics abort, and print their message).
    # Zig's musl brings the C runtime objects: Debian's Rust has none of its
    # own for these targets (and on MIPS rustc's choice, a static-PIE,
    # crashes at start).
    flags="-C target-feature=+crt-static -C force-unwind-tables=no -C link-self-contained=no"
    var=CARGO_TARGET_$(echo "$t" | tr 'a-z-' 'A-Z_')_RUSTFLAGS
    # The targets with a Debian package keep the man page, completions and
    # progress bars (feature laptop); OpenWrt-only ones leave them out.
    features=()
    debian_arch "$t" >/dev/null || features=(--no-default-features)
    env PATH="$venv/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
        "$var=$flags" CARGO_TARGET_DIR="$TARGET_DIR" \
        /usr/bin/cargo zigbuild --locked --quiet --profile "$PROFILE" --target "$t" "${features[@]}" \
        -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size --bin camvpn
    bin=$DIST/camvpn-$VERSION-$t
    if [[ $t == mips* ]]; then
        # MIPS objects carry .pdr, procedure descriptors for old debuggers
        # that nothing loads, and strip leaves them: 7 % of the file.
        mips-linux-gnu-objcopy --remove-section=.pdr "$TARGET_DIR/$t/$PROFILE/camvpn" "$bin"
    else
        cp "$TARGET_DIR/$t/$PROFILE/camvpn" "$bin"
    fi
    chmod 0755 "$bin"
    (cd "$DIST" && sha256sum "${bin##*/}" >"${bin##*/}.sha256")
    size=$(stat -c %s "$bin")
    if ((size > MAX_BINARY)); then
        echo "dist.sh: $bin is $size bytes, over the 3 MiB budget (README: Router binaries)" >&2
        exit 1
    fi
    got=$(run "$t" "$bin" --version)
    echo "   $bin: $size bytes; says: $got" >&2

    # The OpenWrt package, laid out as OpenWrt's ipkg-build makes one: a
    # gzipped tar of debian-binary, data.tar.gz and control.tar.gz.
    arch=$(openwrt_arch "$t")
    work=$(mktemp -d)
    mkdir -p "$work/data/usr/bin" "$work/control" "$work/pkg"
    install -m 0755 "$bin" "$work/data/usr/bin/camvpn"
    tarz() { tar --format=gnu --numeric-owner --owner=0 --group=0 --sort=name --mtime="@$EPOCH" -cf - "$@" | gzip -n9; }
    (cd "$work/data" && tarz .) >"$work/pkg/data.tar.gz"
    installed=$(gzip -dc "$work/pkg/data.tar.gz" | wc -c)
    sed -e "s/@VERSION@/$VERSION-$RELEASE/" -e "s/@ARCH@/$arch/" \
        -e "s/@INSTALLED_SIZE@/$installed/" -e "s/@EPOCH@/$EPOCH/" \
        packaging/openwrt/control.in >"$work/control/control"
    (cd "$work/control" && tarz .) >"$work/pkg/control.tar.gz"
    echo 2.0 >"$work/pkg/debian-binary"
    ipk=$DIST/camvpn_$VERSION-${RELEASE}_$arch.ipk
    (cd "$work/pkg" && tarz ./debian-binary ./data.tar.gz ./control.tar.gz) >"$ipk"
    size=$(stat -c %s "$ipk")
    if ((size > MAX_IPK)); then
        echo "dist.sh: $ipk is $size bytes, over 1.5 MiB" >&2
        exit 1
    fi
    echo "   $ipk: $size bytes" >&2

    # The Debian package: binary, man page, completions, the boot unit.
    if deb_arch=$(debian_arch "$t"); then
        root=$work/deb
        mkdir -p "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/man/man1" \
            "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
            "$root/usr/share/fish/vendor_completions.d" "$root/lib/systemd/system" \
            "$root/usr/share/doc/camvpn"
        install -m 0755 "$bin" "$root/usr/bin/camvpn"
        run "$t" "$bin" man | gzip -n9 >"$root/usr/share/man/man1/camvpn.1.gz"
        run "$t" "$bin" completions bash >"$root/usr/share/bash-completion/completions/camvpn"
        run "$t" "$bin" completions zsh >"$root/usr/share/zsh/vendor-completions/_camvpn"
        run "$t" "$bin" completions fish >"$root/usr/share/fish/vendor_completions.d/camvpn.fish"
        install -m 0644 packaging/debian/camvpn-apply.service "$root/lib/systemd/system/"
        install -m 0644 packaging/debian/copyright "$root/usr/share/doc/camvpn/copyright"
        maintainer=$(sed -n 's/^Maintainer: //p' packaging/debian/control.in)
        printf 'camvpn (%s) unstable; urgency=medium\n\n  * Built by scripts/dist.sh.\n\n -- %s  %s\n' \
            "$VERSION-$RELEASE" "$maintainer" "$(LC_ALL=C date -u -R -d "@$EPOCH")" |
            gzip -n9 >"$root/usr/share/doc/camvpn/changelog.Debian.gz"
        install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$root/DEBIAN/"
        chmod -R u+rwX,go+rX,go-w "$root/usr" "$root/lib"
        kib=$(du -k -s --apparent-size "$root/usr" "$root/lib" | awk '{ s += $1 } END { print s }')
        sed -e "s/@VERSION@/$VERSION-$RELEASE/" -e "s/@ARCH@/$deb_arch/" \
            -e "s/@INSTALLED_SIZE@/$kib/" packaging/debian/control.in >"$root/DEBIAN/control"
        find "$root" -exec touch -h -d "@$EPOCH" {} +
        deb=$DIST/camvpn_$VERSION-${RELEASE}_$deb_arch.deb
        SOURCE_DATE_EPOCH=$EPOCH dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
        echo "   $deb: $(stat -c %s "$deb") bytes" >&2
    fi
    rm -rf "$work"
done
