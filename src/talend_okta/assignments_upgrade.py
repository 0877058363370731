"""Upgrading a stack from per-group assignment resources to `talend:GroupAssignments` and `talend:PushGroups`.

Stacks deployed before issue 20 hold one `okta:app/groupAssignment:GroupAssignment` and one
`okta:index/pushGroup:PushGroup` per group. Pulumi's aliases cannot merge N resources into one, and a resource left
out of the program is deleted by the next `pulumi up`: for these, deleting unassigns the group (its members are
deactivated in Talend) and drops the push mapping. So before the first `pulumi up` with this version, the per-group
resources leave the state only (`pulumi state remove`: Okta is not touched); that `pulumi up` then creates the two
resources, which adopt what Okta holds and write nothing where it already matches.

    pulumi stack export | python -m talend_okta.assignments_upgrade     # prints the `pulumi state remove` command

Exit 0 with the command (or a line saying there is nothing to remove), 2 when stdin is not a stack export.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Mapping
from typing import Any

GROUP_ASSIGNMENT_TYPE = "okta:app/groupAssignment:GroupAssignment"
PER_GROUP_TYPES = (GROUP_ASSIGNMENT_TYPE, "okta:index/pushGroup:PushGroup")
COMPONENT_TYPE = "talend-okta:index:TalendCloudApp"


def per_group_urns(export: Mapping[str, Any]) -> list[str]:
    """The URNs of the component's per-group assignment and push-group resources in a `pulumi stack export`."""
    resources = export.get("deployment", {}).get("resources") or []
    return [
        resource["urn"]
        for resource in resources
        if resource.get("type") in PER_GROUP_TYPES and f"::{COMPONENT_TYPE}$" in resource.get("urn", "")
    ]


def remove_command(urns: list[str]) -> str:
    return shlex.join(["pulumi", "state", "remove", "--yes", *urns])


def main() -> None:
    try:
        export = json.load(sys.stdin)
        if not isinstance(export, dict) or "deployment" not in export:
            raise ValueError("no deployment")
    except ValueError:
        print("assignments_upgrade: error: stdin is not a stack export (pulumi stack export | …)", file=sys.stderr)
        raise SystemExit(2) from None
    urns = per_group_urns(export)
    print(remove_command(urns) if urns else "# nothing to remove: the stack holds no per-group assignment resources")


if __name__ == "__main__":
    main()
