"""`talend-okta review`: who can reach Talend, why, with which roles, and who holds a seat without signing in."""
