# Copyright: camvpn developers. MIT OR Apache-2.0.
"""camvpn.fleet.fetch_peers: the peers' configs, QR codes and pages from a
router's rendered site to a directory on the controller, with or without
Python on the router.

A file is fetched when its sha256 differs from the controller's copy, and
written beside it (mode 0600) then renamed; a file the router no longer has
(a peer removed) is removed. The results hold file names only: the configs
hold private keys, and never pass through Ansible's variables or output.
"""

from __future__ import annotations

import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.camvpn.fleet.plugins.plugin_utils.remote import (
    local_sum,
    remote_sums,
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = True
    _VALID_ARGS = frozenset(("src", "dest"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        src, dest = self._task.args.get("src"), self._task.args.get("dest")
        if not src or not dest:
            raise AnsibleActionFail("src (the router's peers/ directory) and dest are required")
        dest = os.path.expanduser(dest)
        there = remote_sums(self, src)
        if not there:
            raise AnsibleActionFail("%s on the router holds no files: render the site first" % src)
        here = {}
        if os.path.isdir(dest):
            here = {
                n: local_sum(os.path.join(dest, n))
                for n in os.listdir(dest)
                if os.path.isfile(os.path.join(dest, n))
            }
        fetch = sorted(n for n, s in there.items() if here.get(n) != s)
        remove = sorted(n for n in here if n not in there)
        result.update(
            changed=bool(fetch or remove),
            dest=dest,
            files=sorted(there),
            fetched=fetch,
            removed=remove,
        )
        if self._task.check_mode or not (fetch or remove):
            return result
        os.makedirs(dest, mode=0o700, exist_ok=True)
        for name in fetch:
            fd, part = tempfile.mkstemp(dir=dest, prefix=".%s." % name)
            os.close(fd)  # mkstemp made it 0600: the key is never readable by others
            try:
                self._connection.fetch_file(os.path.join(src, name), part)
                os.chmod(part, 0o600)
                if local_sum(part) != there[name]:
                    raise AnsibleActionFail("%s changed on the router while it was fetched" % name)
                os.replace(part, os.path.join(dest, name))
            except BaseException:
                if os.path.exists(part):
                    os.unlink(part)
                raise
        for name in remove:
            os.unlink(os.path.join(dest, name))
        return result
