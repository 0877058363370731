"""The talend-okta policy pack: `pulumi preview --policy-pack policy` (the constructor serves the engine)."""

from pulumi_policy import PolicyPack
from talend_okta_policies import POLICIES

PolicyPack(name="talend-okta-guardrails", policies=POLICIES)
