#!/usr/bin/python
# Copyright: camvpn developers. MIT OR Apache-2.0.
# The work is done on the controller by the action plugin of the same name
# (plugins/action/install.py); this file documents it.

DOCUMENTATION = r"""
module: install
short_description: Put camvpn on a router, with or without Python there
description:
  - Copies a camvpn binary from the controller to O(dest) when its sha256
    differs (written beside it, then renamed), or installs a C(.deb) or C(.ipk)
    made by C(scripts/dist.sh) with dpkg or opkg when the router has another
    version of camvpn.
  - Runs over the connection itself, as C(ansible.builtin.raw) does; the
    router needs a shell and C(sha256sum), not Python.
options:
  binary:
    description: A camvpn binary on the controller (for the router's CPU).
    type: path
  package:
    description: A camvpn C(.deb) or C(.ipk) on the controller.
    type: path
  dest:
    description: Where the binary goes on the router (with O(binary)).
    type: path
    default: /usr/local/bin/camvpn
notes:
  - Supports check mode.
author: camvpn developers
"""

EXAMPLES = r"""
- camvpn.fleet.install:
    binary: dist/camvpn-0.1.0-mips-unknown-linux-musl
"""

RETURN = r"""
path:
  description: The camvpn binary on the router.
  type: str
  returned: success
version:
  description: The package's version (with O(package)).
  type: str
  returned: with package
"""
