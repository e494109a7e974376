# shellcheck shell=bash
# Sourced by the tests that run Ansible. `ansible_env DIR` sets ANSIBLE_BIN
# (ansible-core's bin/, from scripts/ansible-venv.sh) and points Ansible at
# DIR for its home, temporary files, collections and an empty config: none
# of this host's.
ansible_env() {
    # shellcheck disable=SC2034 # read by the scripts that source this
    ANSIBLE_BIN=$("$(dirname "${BASH_SOURCE[0]}")/ansible-venv.sh")
    export LC_ALL=C.UTF-8 ANSIBLE_HOME=$1/ansible ANSIBLE_LOCAL_TEMP=$1/ansible/tmp \
        ANSIBLE_COLLECTIONS_PATH=$1/collections ANSIBLE_CONFIG=$1/ansible.cfg \
        ANSIBLE_PYTHON_INTERPRETER=auto_silent ANSIBLE_NOCOLOR=1
    : >"$ANSIBLE_CONFIG"
}
