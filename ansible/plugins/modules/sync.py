#!/usr/bin/python
# Copyright: camvpn developers. MIT OR Apache-2.0.
"""camvpn.fleet.sync: converge a router's camvpn site to a spec."""

from __future__ import annotations

DOCUMENTATION = r"""
module: sync
short_description: Converge a router's camvpn site to a declarative spec
description:
  - Runs C(camvpn sync -) on the router with O(spec) as JSON on standard input.
    camvpn checks the whole spec before it writes anything, then creates or
    converges the site (cameras and peers added, changed, removed; peers that
    stay keep their keys and addresses), renders it and, with O(apply), applies it.
  - Reports C(changed) exactly when the site changed, or applying it changed
    the router (a tunnel brought back up, the firewall's rules reloaded with
    other rules, forwarding switched on). A bad spec fails with camvpn's
    message, which names the field and the value, and leaves the site untouched.
  - Needs Python on the router. Routers without Python are driven by the role
    C(camvpn.fleet.router) through C(ansible.builtin.raw) with the same command.
  - No key passes through this module; the answer holds names only.
  - In check mode, camvpn checks the spec and tells what would change
    (C(camvpn sync --dry-run)), writing nothing.
options:
  spec:
    description:
      - The whole desired site, as for C(camvpn sync) (C(platform), C(endpoint),
        C(wan_if), C(lan_if), C(subnet), C(lan), C(cameras), C(peers), ...).
    type: dict
    required: true
  dir:
    description: The site directory on the router.
    type: path
    default: /etc/camvpn
  binary:
    description: The camvpn binary on the router (a bare name is looked up in C(PATH)).
    type: str
    default: /usr/local/bin/camvpn
  apply:
    description: Apply the site on the router afterwards (C(camvpn sync --apply)).
    type: bool
    default: true
  out:
    description: Where to render; default C(out/) in the site directory.
    type: path
author: camvpn developers
"""

EXAMPLES = r"""
- name: Converge the site
  camvpn.fleet.sync:
    spec:
      platform: linux
      endpoint: vpn.example.net
      cameras:
        - {name: driveway, ip: 192.168.1.108, vendor: dahua}
      peers:
        - {name: alice, cameras: [driveway]}
"""

RETURN = r"""
created:
  description: Whether the site was created by this run.
  type: bool
  returned: success
settings:
  description: Site settings that changed.
  type: list
  elements: str
  returned: success
cameras:
  description: Cameras C(added), C(changed) and C(removed), by name.
  type: dict
  returned: success
peers:
  description: Peers C(added), C(changed) and C(removed), by name.
  type: dict
  returned: success
rendered:
  description: Where the site was rendered on the router (peers' files in C(peers/)).
  type: str
  returned: success
applied:
  description: Whether the site was applied on the router.
  type: bool
  returned: success
host_changed:
  description: Whether applying changed the router (its firewall, tunnel, forwarding).
  type: bool
  returned: success
dry_run:
  description: Whether camvpn only told what would change (check mode).
  type: bool
  returned: success
"""

import json

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(
            spec=dict(type="dict", required=True),
            dir=dict(type="path", default="/etc/camvpn"),
            binary=dict(type="str", default="/usr/local/bin/camvpn"),
            apply=dict(type="bool", default=True),
            out=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    cmd = [p["binary"], "--dir", p["dir"], "sync", "-"]
    if p["apply"]:
        cmd.append("--apply")
    if p["out"]:
        cmd += ["--out", p["out"]]
    if module.check_mode:
        cmd.append("--dry-run")
    rc, out, err = module.run_command(cmd, data=json.dumps(p["spec"]))
    if rc != 0:
        module.fail_json(msg=err.strip() or out.strip() or "camvpn sync failed", rc=rc)
    try:
        answer = json.loads(out)
    except ValueError:
        module.fail_json(msg="camvpn sync did not answer with JSON", stdout=out, rc=rc)
    for line in err.splitlines():
        if line.startswith("warning: "):
            module.warn(line[len("warning: "):])
    changed = bool(answer.pop("changed"))
    module.exit_json(changed=changed, **answer)


if __name__ == "__main__":
    main()
