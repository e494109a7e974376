#!/usr/bin/env bash
# Prints the bin/ directory of a virtualenv holding ansible-core (pinned,
# from PyPI), made on first use in ~/.cache/camvpn-ansible. Used by the
# Ansible lab (tests/lab/ansible.sh) and scripts/test.sh.
set -euo pipefail
ANSIBLE_CORE=2.19.14
venv=${CAMVPN_ANSIBLE_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/camvpn-ansible/venv-$ANSIBLE_CORE}
if [[ ! -x $venv/bin/ansible-playbook ]]; then
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "ansible-core==$ANSIBLE_CORE" >&2
fi
echo "$venv/bin"
