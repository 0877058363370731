"""talend-okta: Okta ⟷ Talend Cloud SAML sign-on and SCIM provisioning as code."""

__version__ = "0.1.0"
