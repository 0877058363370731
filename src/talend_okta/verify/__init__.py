"""Post-deploy checks: does Talend hold exactly the users and groups Okta is meant to provision?

Checks, each reported by name:
- `talend-credentials`: Talend's SCIM API accepts the token (the request Okta's "Test API Credentials" sends).
- `okta-provisioning`: the app's SCIM connection, To App switches and username template, as configured (from the
  app's `features` when Okta's connection API reports UNKNOWN); when something is off, the admin-console steps
  still to be done by hand.
- `user-sync`: every user assigned to the app is active in Talend under their Okta app username, and no one else is.
- `group-sync`: every pushed group exists in Talend with the same members.
- `role-mapping` (when the stack declares roleMappings): Talend's role mappings are the declared ones, every mapped
  role exists, and the app sends CustomerRoles.

Okta provisions asynchronously, so `verify` re-reads until everything is in sync or time is up. Both sides are read
page by page, at the same time (one thread per service; Talend's SCIM pages a few at a time once the first page
says how many there are); memory grows with users, not with pages. A Talend list whose pages do not add up fails
user-sync and group-sync rather than letting them pass.

userNames are compared case-insensitively: SCIM defines `userName` as caseExact=false, Talend and scim2-server
treat `JDoe` and `jdoe` as one user, and Okta looks users up with the same case-insensitive `userName eq` filter.

Modules: `inputs` (where to read, what the stack declared), `report` (names and results), one module per check
(`talend_okta.credentials`, `provisioning`, `sync`, `roles`), `polling` (the loop), `render` (the human report),
`command` (the CLI command).
"""
