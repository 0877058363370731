"""`talend-okta preflight`: what deploying a stack config will do to people in Talend, before it is deployed.

Reads the stack config file (e.g. `Pulumi.dev.yaml`) and, from Okta, the app's current assignments and the
members of the configured groups; then plans, without touching anything:
- who will be created in Talend (members of configured groups not assigned to the app yet),
- who will be deactivated (assigned now, but by no configured group, not directly and not by a group assigned by
  hand outside the stack),
- `userName` collisions under the Email-prefix rule (`jdoe@a.com` and `jdoe@b.com` both become `jdoe`),
- members without an email (Okta cannot compute their userName),
- groups the last deployment assigned under another name (from the stack outputs): unless the config lists that
  name in the group's `formerNames`, Pulumi deletes the old assignment, which unassigns the group.
The plan is a pure function of what was read (`plan`), so tests and renderers need no network.

Modules: `snapshot` (what is read from Okta), `plan` (the pure plan and report), `roles` (the roles section),
`render` (table, JSON, Markdown), `command` (read, plan, render: the CLI command).
"""
