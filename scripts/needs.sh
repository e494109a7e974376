#!/usr/bin/env bash
# Sourced by the scripts: `need cmd:package ...` installs the Debian
# packages of the commands that are missing (with sudo unless root); a
# /path instead of a command is a file (a glob) the package must provide.
need() {
    local missing=() pair
    for pair in "$@"; do
        case $pair in
            /*) compgen -G "${pair%%:*}" >/dev/null || missing+=("${pair#*:}") ;;
            *) command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}") ;;
        esac
    done
    ((${#missing[@]})) || return 0
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    echo "installing: ${missing[*]}" >&2
    local sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
