"""The talend-okta policy pack: `pulumi preview --policy-pack policy` (the constructor serves the engine)."""

from pulumi_policy import PolicyPack

from talend_okta_policies import POLICIES  # type: ignore[import-not-found]  # sibling file, found when Pulumi runs this directory

PolicyPack(name="talend-okta-guardrails", policies=POLICIES)
