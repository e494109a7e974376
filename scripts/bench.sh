#!/usr/bin/env bash
# Measures camvpn against the shell tools people use today, side by side on
# this machine, and prints times and ratios (no pass/fail: the targets are in
# the README's performance section):
#   1. bulk: N = 100 and 1000 peers with keys, PSKs, configs and PNG + SVG QR
#      codes, against a shell loop of `wg genkey | wg pubkey`, `wg genpsk`, a
#      heredoc config and `qrencode -t png` / `-t svg` per peer; and both
#      again without QR images (configs only);
#   2. cold single: one `camvpn peer add --qr` printing a terminal QR code,
#      against the shell doing the same for one peer;
#   3. firewall scale: 250 peers x 64 cameras x 4 ports, per-peer access lists:
#      render time, nft rule count (next to a 2 x 2 site), `nft -c` time, and
#      the same policy written naively as one rule per tuple;
#   4. routers: at 5 / 20 / 50 / 200 phones x 16 cameras in four access
#      lists, the OpenWrt batch (lines, and the router script's bytes) and
#      DD-WRT's rc_firewall block and whole nvram write (bytes);
#   5. size: the stripped release binary and the peak RSS of the bulk run.
# Usage: scripts/bench.sh [--quick]   (--quick: fewer runs, N = 100 only)
# BENCH_PROFILE=router measures the size-tuned build routers get
# (scripts/dist.sh) instead of the release build; BENCH_FEATURES=router
# builds it as the OpenWrt-only targets get it (without the laptop feature:
# no rayon, so one core).
# Everything is written below one temp dir in $BENCH_DIR, removed at exit.
# BENCH_DIR defaults to /dev/shm (a tmpfs), so that the numbers measure the
# programs rather than the disk; BENCH_DIR=/var/tmp includes the disk. On
# ext4 without a journal, files deleted in the last minutes make creating
# new ones slow (the kernel skips recently freed inodes one by one): run on
# a file system that has been quiet for a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/needs.sh
. scripts/needs.sh
need hyperfine:hyperfine qrencode:qrencode wg:wireguard-tools nft:nftables \
    jq:jq /usr/bin/time:time unshare:util-linux file:file

quick=0
[ "${1:-}" = --quick ] && quick=1
profile=${BENCH_PROFILE:-release}
features=()
[ "${BENCH_FEATURES:-}" != router ] || features=(--no-default-features)
cargo build --profile "$profile" --locked -q "${features[@]}"
bin=${CARGO_TARGET_DIR:-$PWD/target}/$profile/camvpn
base=${BENCH_DIR:-/dev/shm}
[ -d "$base" ] && [ -w "$base" ] || base=/var/tmp
work=$(mktemp -d "$base/camvpn-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Each run gets a fresh directory next to the old ones; deleting thousands
# of files between runs would time ext4's inode reuse instead of camvpn.
mkdir "$work/runs"

# ---------------------------------------------------------------- helpers
# A fresh demo site in a new run dir, linked as $work/cur.
cat >"$work/prepare.sh" <<EOF
#!/bin/sh
set -eu
d=\$(mktemp -d "$work/runs/r.XXXXXX")
"$bin" -q --dir "\$d/site" init --platform linux --endpoint vpn.example.net \
    --wan-if eth0 --lan-if br0 --subnet 10.66.0.0/20 \
    --camera driveway=192.168.1.108:dahua --camera nvr=192.168.1.20:hikvision >/dev/null
"$bin" -q --dir "\$d/site" export --secrets | jq -r .server.public_key >"\$d/server.pub"
ln -sfn "\$d" "$work/cur"
# camvpn makes its writes durable with syncfs(2), which also flushes what
# other programs left dirty: start each run from a clean page cache.
sync
EOF

# The shell way: one peer at a time, the way the how-tos do it.
# Usage: shell.sh N OUT QR (QR: png+svg, ansi or none)
cat >"$work/shell.sh" <<'EOF'
#!/bin/sh
set -eu
n=$1 out=$2 qr=$3
umask 077
mkdir -p "$out/keys" "$out/peers"
server_pub=$(cat "$out/../server.pub")
i=1
while [ "$i" -le "$n" ]; do
    priv=$(wg genkey)
    pub=$(printf '%s\n' "$priv" | wg pubkey)
    psk=$(wg genpsk)
    printf '%s\n' "$priv" >"$out/keys/p$i.key"
    printf '%s\n' "$psk" >"$out/keys/p$i.psk"
    addr=10.66.$(((i + 1) / 256)).$(((i + 1) % 256))
    cat >"$out/peers/p$i.conf" <<CONF
[Interface]
PrivateKey = $priv
Address = $addr/32

[Peer]
PublicKey = $server_pub
PresharedKey = $psk
AllowedIPs = 10.66.0.1/32, 192.168.1.108/32, 192.168.1.20/32
Endpoint = vpn.example.net:51820
CONF
    cat >>"$out/wg0.conf" <<CONF

[Peer]
# p$i
PublicKey = $pub
PresharedKey = $psk
AllowedIPs = $addr/32
CONF
    case $qr in
    png+svg)
        qrencode -t png -o "$out/peers/p$i.png" <"$out/peers/p$i.conf"
        qrencode -t svg -o "$out/peers/p$i.svg" <"$out/peers/p$i.conf"
        ;;
    ansi) qrencode -t ansiutf8 <"$out/peers/p$i.conf" ;;
    esac
    i=$((i + 1))
done
EOF
chmod +x "$work/prepare.sh" "$work/shell.sh"

# hyperfine with our defaults; $1 names the JSON export.
bench() {
    local name=$1
    shift
    hyperfine --style basic --time-unit millisecond --export-json "$work/$name.json" "$@"
}

# The mean of the (first) command in export $1, in ms; $2 picks another.
mean_ms() { jq ".results[${2:-0}].mean * 1000" "$work/$1.json"; }

summary=()
# A summary line: label, camvpn ms, shell ms (or -), peers (or -).
row() {
    local theirs=- ratio=- per=-
    [ "$3" = - ] || theirs=$(printf '%.1f' "$3") ratio=$(jq -n "$3 / $2 * 10 | round / 10")x
    [ "$4" = - ] || per=$(printf '%.3f' "$(jq -n "$2 / $4")")
    summary+=("$(printf '%-32s %10.1f %10s %8s %10s' "$1" "$2" "$theirs" "$ratio" "$per")")
}

echo "== machine"
echo "$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)," \
    "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)," \
    "$(df -T "$work" | awk 'NR == 2 {print $2}') on $work; $("$bin" --version)"

# ---------------------------------------------------------------- 1. bulk
sizes=(100 1000)
((quick)) && sizes=(100)
for n in "${sizes[@]}"; do
    runs=5 shell_runs=3
    ((n >= 1000)) && shell_runs=2
    ((quick)) && runs=3 shell_runs=1
    add="$bin -q --dir $work/cur/site peer add --count $n --prefix p"
    echo
    echo "== 1. bulk: $n peers with keys, PSKs, configs, PNG and SVG QR codes (and onboarding pages)"
    bench "bulk$n" --prepare "$work/prepare.sh" --warmup 1 --runs "$runs" \
        --command-name "camvpn peer add + render" "$add && $bin -q --dir $work/cur/site render --out $work/cur/out"
    bench "bulk$n-shell" --prepare "$work/prepare.sh" --runs "$shell_runs" \
        --command-name "shell loop" "$work/shell.sh $n $work/cur/shell png+svg"
    row "bulk $n, with QR images" "$(mean_ms "bulk$n")" "$(mean_ms "bulk$n-shell")" "$n"
    echo
    echo "== 1. bulk: $n peers, configs only (no QR images)"
    bench "configs$n" --prepare "$work/prepare.sh" --warmup 1 --runs $((runs * 2)) \
        --command-name "camvpn peer add + render --no-qr" "$add && $bin -q --dir $work/cur/site render --no-qr --out $work/cur/out"
    bench "configs$n-shell" --prepare "$work/prepare.sh" --runs "$shell_runs" \
        --command-name "shell loop" "$work/shell.sh $n $work/cur/shell none"
    row "bulk $n, configs only" "$(mean_ms "configs$n")" "$(mean_ms "configs$n-shell")" "$n"
done

# ---------------------------------------------------------------- 2. cold single
echo
echo "== 2. cold single: one peer, its QR code printed for a terminal"
single_runs=$((quick ? 5 : 20))
bench single --prepare "$work/prepare.sh" --warmup 1 --runs "$single_runs" -N \
    --command-name "camvpn peer add --qr" "$bin --dir $work/cur/site peer add phone --qr"
bench single-shell --prepare "$work/prepare.sh" --warmup 1 --runs "$single_runs" -N \
    --command-name "shell, qrencode -t ansiutf8" "$work/shell.sh 1 $work/cur/shell ansi"
row "single peer with terminal QR" "$(mean_ms single)" "$(mean_ms single-shell)" 1

# ---------------------------------------------------------------- 3. firewall
echo
echo "== 3. firewall scale: 250 peers x 64 cameras x 4 ports, 32 cameras per peer"
# A site of $1 cameras and $2 peers; peer i may reach $3 cameras from i on.
scale_site() {
    local dir=$1 cams=$2 peers=$3 per=$4 c p j list
    "$bin" -q --dir "$dir" init --platform linux --endpoint vpn.example.net \
        --wan-if eth0 --lan-if br0 --subnet 10.66.0.0/23 >/dev/null
    for ((c = 0; c < cams; c++)); do
        "$bin" -q --dir "$dir" camera add "cam$c" --ip "192.168.$((1 + c / 200)).$((10 + c % 200))" \
            --port 80/tcp --port 554/tcp --port 8000/tcp --port 37777/tcp >/dev/null
    done
    for ((p = 0; p < peers; p++)); do
        list=
        for ((j = 0; j < per; j++)); do list+="cam$(((p + j) % cams)),"; done
        "$bin" -q --dir "$dir" peer add "peer$p" --cameras "${list%,}" >/dev/null
    done
}
scale_site "$work/fw" 64 250 32
scale_site "$work/fw-small" 2 2 2
fw_render="$bin -q --dir $work/fw render --firewall nft --no-peers --out $work/fw-out"
$fw_render
"$bin" -q --dir "$work/fw-small" render --firewall nft --no-peers --out "$work/fw-small-out"
bench fw-render --warmup 3 --runs $((quick ? 10 : 30)) -N --command-name "camvpn render (nft)" "$fw_render"
row "firewall render 250x64 (nft)" "$(mean_ms fw-render)" - -

# The same policy, naively: one rule per (peer, camera, proto, port).
awk '
    BEGIN { print "table inet naive {\n    chain forward {\n        type filter hook forward priority filter; policy accept;" }
    /^ *set access4/ { inset = 1 }
    inset && /^ *}$/ { inset = 0 }
    inset && $2 == "." && $4 == "." {
        sub(",", "", $7)
        printf "        iifname \"wg0\" ip saddr %s ip daddr %s %s dport %s accept\n", $1, $3, $5, $7
    }
    END { print "        iifname \"wg0\" drop\n    }\n}" }
' "$work/fw-out/camvpn.nft" >"$work/naive.nft"

# nft needs CAP_NET_ADMIN for -c: a network namespace of our own (as root, or
# inside a user namespace).
ns=(unshare -n)
[ "$(id -u)" = 0 ] || ns=(unshare -rn)
rules() { "${ns[@]}" sh -c "nft -f '$1' && nft -j list ruleset" | jq '[.nftables[] | select(.rule)] | length'; }
elements() { grep -cE '^ +[0-9a-f:.]+ \. ' "$1" || true; }
echo "rules loaded: camvpn 2 x 2 site: $(rules "$work/fw-small-out/camvpn.nft")," \
    "camvpn 250 x 64 site: $(rules "$work/fw-out/camvpn.nft") ($(elements "$work/fw-out/camvpn.nft") set elements)," \
    "naive: $(rules "$work/naive.nft")"
bench fw-check --warmup 1 --runs $((quick ? 3 : 10)) -N \
    --command-name "nft -c camvpn.nft" "${ns[*]} nft -c -f $work/fw-out/camvpn.nft" \
    --command-name "nft -c naive.nft" "${ns[*]} nft -c -f $work/naive.nft"
row "nft -c, camvpn sets" "$(mean_ms fw-check)" - -
row "nft -c, naive rule per tuple" "$(mean_ms fw-check 1)" - -

# ---------------------------------------------------------------- 4. routers
echo
echo "== 4. routers: phones x 16 cameras in 4 access lists"
# A site of $2 phones and 16 hikvision cameras on platform $1: every camera;
# the first half; the second half; RTSP of every camera.
router_site() {
    local dir=$1 platform=$2 phones=$3 q c args=()
    for ((c = 1; c <= 16; c++)); do args+=(--camera "c$c=192.168.1.$((100 + c)):hikvision"); done
    "$bin" -q --dir "$dir" init --platform "$platform" --endpoint 203.0.113.1 "${args[@]}" >/dev/null
    q=$((phones / 4))
    "$bin" -q --dir "$dir" peer add --no-qr --count "$q" --prefix a
    "$bin" -q --dir "$dir" peer add --no-qr --count "$q" --prefix b --cameras "$(seq -s, -f 'c%g' 1 8)"
    "$bin" -q --dir "$dir" peer add --no-qr --count "$q" --prefix c --cameras "$(seq -s, -f 'c%g' 9 16)"
    "$bin" -q --dir "$dir" peer add --no-qr --count "$((phones - 3 * q))" --prefix d --only rtsp
}
printf '%-8s %12s %14s %16s %14s\n' phones "uci lines" "router sh B" "rc_firewall B" "nvram B"
for phones in 5 20 50 200; do
    d=$work/router-$phones
    router_site "$d/ow" openwrt "$phones"
    "$bin" -q --dir "$d/ow" render --no-peers --uci-dir tests/fixtures/openwrt --out "$d/ow-out"
    router_site "$d/dd" ddwrt "$phones"
    dd_said=$("$bin" --dir "$d/dd" render --no-peers --nvram-budget 1000000 --out "$d/dd-out" 2>&1)
    block=$(sed -n "/cat <<'CAMVPN'\$/,/^CAMVPN\$/p" "$d/dd-out/camvpn-ddwrt.sh" | sed '1d;$d' | wc -c)
    nvram=$(printf '%s\n' "$dd_said" | sed -n 's/.* writes \([0-9]*\) bytes to nvram.*/\1/p')
    printf '%-8s %12s %14s %16s %14s\n' "$phones" "$(wc -l <"$d/ow-out/camvpn.uci")" \
        "$(wc -c <"$d/ow-out/camvpn-openwrt.sh")" "$block" "${nvram:--}"
done

# ---------------------------------------------------------------- 5. size
echo
echo "== 5. size"
n=${sizes[-1]}
"$work/prepare.sh"
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
add_kb=$(rss "$bin" -q --dir "$work/cur/site" peer add --count "$n" --prefix p)
render_kb=$(rss "$bin" -q --dir "$work/cur/site" render --out "$work/cur/out")
size=$(stat -c %s "$bin")
echo "$profile binary: $size bytes ($(jq -n "$size / 1048576 * 100 | round / 100") MiB, stripped: $(file -b "$bin" | grep -o 'not stripped\|stripped' || echo '?'))"
echo "peak RSS, bulk $n: peer add $add_kb KiB, render with QR $render_kb KiB"

echo
echo "== summary: mean ms of camvpn and of the shell, shell / camvpn, camvpn ms per peer"
printf '%-32s %10s %10s %8s %10s\n' "" camvpn shell ratio per-peer
printf '%s\n' "${summary[@]}"
