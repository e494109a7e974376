# Copyright: camvpn developers. MIT OR Apache-2.0.
"""camvpn.fleet.install: put camvpn on a router, with or without Python there.

A binary is copied to `dest` when its sha256 differs (written beside it, then
renamed: a router never runs half a binary). A .deb or .ipk from
scripts/dist.sh is installed with dpkg or opkg when the router has another
version of camvpn. Everything goes over the connection itself, as `raw` does.
"""

from __future__ import annotations

import io
import os
import posixpath
import tarfile

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.camvpn.fleet.plugins.plugin_utils.remote import (
    local_sum,
    quote,
    remote_sum,
    run,
)

PACKAGED = "/usr/bin/camvpn"


def _control_fields(text):
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and not key.startswith(" "):
            fields[key.strip()] = value.strip()
    return fields


def _control_of_tar(blob):
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:*") as t:
        for m in t.getmembers():
            if m.name in ("./control", "control"):
                return t.extractfile(m).read().decode()
    raise ValueError("no control file in control.tar")


def package_fields(path):
    """Package and Version of a .deb (ar archive) or .ipk (tar.gz)."""
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".ipk"):
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as outer:
            for m in outer.getmembers():
                if m.name in ("./control.tar.gz", "control.tar.gz"):
                    return _control_fields(_control_of_tar(outer.extractfile(m).read()))
        raise ValueError("no control.tar.gz in the .ipk")
    if path.endswith(".deb"):
        if data[:8] != b"!<arch>\n":
            raise ValueError("not an ar archive")
        pos = 8
        while pos + 60 <= len(data):
            header = data[pos:pos + 60]
            name = header[:16].decode().strip().rstrip("/")
            size = int(header[48:58].decode().strip())
            if name.startswith("control.tar"):
                return _control_fields(_control_of_tar(data[pos + 60:pos + 60 + size]))
            pos += 60 + size + size % 2
        raise ValueError("no control.tar.* in the .deb")
    raise ValueError("a package is a .deb or an .ipk (from scripts/dist.sh)")


class ActionModule(ActionBase):
    TRANSFERS_FILES = True
    _VALID_ARGS = frozenset(("binary", "package", "dest"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        binary, package = args.get("binary"), args.get("package")
        if bool(binary) == bool(package):
            raise AnsibleActionFail("give binary or package (one of them)")
        try:
            if binary:
                result.update(self._binary(binary, args.get("dest") or "/usr/local/bin/camvpn"))
            else:
                result.update(self._package(package))
        except (OSError, ValueError) as e:
            raise AnsibleActionFail("%s: %s" % (binary or package, e))
        return result

    def _binary(self, src, dest):
        src = os.path.expanduser(src)
        want = local_sum(src)
        out = {"path": dest, "sha256": want, "changed": False}
        if remote_sum(self, dest) == want:
            return out
        out["changed"] = True
        if self._task.check_mode:
            return out
        part = dest + ".camvpn-new"
        run(self, "mkdir -p %s && rm -f %s" % (quote(posixpath.dirname(dest)), quote(part)))
        self._transfer_file(src, part)
        run(self, "chmod 0755 %s && mv -f %s %s" % (quote(part), quote(part), quote(dest)))
        if remote_sum(self, dest) != want:
            raise AnsibleError("%s on the router differs from %s after the copy" % (dest, src))
        return out

    def _package(self, src):
        src = os.path.expanduser(src)
        fields = package_fields(src)
        if fields.get("Package") != "camvpn" or not fields.get("Version"):
            raise ValueError("not a camvpn package (Package: %s)" % fields.get("Package"))
        version = fields["Version"]
        if src.endswith(".deb"):
            query = "dpkg-query -W -f '${Version}' camvpn 2>/dev/null || true"
            install = "dpkg -i %s"
        else:
            query = "opkg status camvpn 2>/dev/null | sed -n 's/^Version: //p'"
            install = "opkg install --force-downgrade %s"
        out = {"path": PACKAGED, "version": version, "changed": False}
        _, have, _ = run(self, query)
        if have.strip() == version:
            return out
        out["changed"] = True
        if self._task.check_mode:
            return out
        remote = "/tmp/camvpn-ansible-%s" % os.path.basename(src)
        self._transfer_file(src, remote)
        try:
            run(self, install % quote(remote))
        finally:
            run(self, "rm -f %s" % quote(remote), check=False)
        return out
