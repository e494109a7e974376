# Copyright: camvpn developers. MIT OR Apache-2.0.
"""What the camvpn action plugins need on a router that may have no Python:
shell commands over the connection itself (as `raw` runs them) and checksums
with the router's own `sha256sum` (coreutils, or BusyBox on OpenWrt)."""

from __future__ import annotations

import hashlib
import re
import shlex

from ansible.errors import AnsibleError

_SUM = re.compile(r"^([0-9a-f]{64})  (.+)$")


def quote(s):
    return shlex.quote(str(s))


def run(action, cmd, check=True):
    """Runs a shell command on the router; returns (rc, stdout, stderr)."""
    # Not `sudoable`: no pseudo-terminal, so stderr stays apart and lines
    # end in \n. Routers are driven as root (OpenWrt has no other user).
    res = action._low_level_execute_command(cmd, sudoable=False)
    rc, out, err = res.get("rc", 1), res.get("stdout", ""), res.get("stderr", "")
    if check and rc != 0:
        raise AnsibleError("on the router, `%s` failed (exit %s): %s" % (cmd, rc, (err or out).strip()))
    return rc, out, err


def remote_sums(action, directory):
    """sha256 of every plain file in a router's directory, by file name."""
    cmd = "cd %s && for f in *; do if [ -f \"$f\" ]; then sha256sum -- \"$f\"; fi; done" % quote(directory)
    _, out, _ = run(action, cmd)
    sums = {}
    for line in out.splitlines():
        m = _SUM.match(line.strip("\r"))
        if m:
            sums[m.group(2)] = m.group(1)
    return sums


def remote_sum(action, path):
    """sha256 of one file on the router, or None when it does not exist."""
    _, out, _ = run(action, "sha256sum -- %s 2>/dev/null || true" % quote(path))
    m = _SUM.match(out.strip())
    return m.group(1) if m else None


def local_sum(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()
