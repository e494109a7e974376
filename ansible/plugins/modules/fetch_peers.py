#!/usr/bin/python
# Copyright: camvpn developers. MIT OR Apache-2.0.
# The work is done on the controller by the action plugin of the same name
# (plugins/action/fetch_peers.py); this file documents it.

DOCUMENTATION = r"""
module: fetch_peers
short_description: Fetch the peers' configs, QR codes and pages from a router
description:
  - Copies every file of the router's rendered C(peers/) directory to O(dest)
    on the controller, mode 0600, when its sha256 differs from the copy there;
    removes files of O(dest) that the router no longer has (peers removed).
  - The results hold file names only; the configs (which hold private keys)
    never pass through Ansible's variables or output.
  - Runs over the connection itself; the router needs a shell and
    C(sha256sum), not Python.
options:
  src:
    description: The rendered C(peers/) directory on the router.
    type: path
    required: true
  dest:
    description: The directory on the controller.
    type: path
    required: true
notes:
  - Supports check mode.
author: camvpn developers
"""

EXAMPLES = r"""
- camvpn.fleet.fetch_peers:
    src: /etc/camvpn/out/peers
    dest: "fetched/{{ inventory_hostname }}/peers"
"""

RETURN = r"""
files:
  description: The files of the router's peers/ directory.
  type: list
  elements: str
  returned: success
fetched:
  description: The files fetched by this run.
  type: list
  elements: str
  returned: success
removed:
  description: The files removed from O(dest) by this run.
  type: list
  elements: str
  returned: success
"""
