"""`talend-okta explain PERSON`: one person's path from Okta to Talend, step by step, with a verdict and its fix.

`read` asks Okta and Talend about that one person (never a whole directory), `steps` turns what was read into
numbered steps and a verdict, `render` prints them for people or as one JSON object.
"""
