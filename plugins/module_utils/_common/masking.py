# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How the collection hides secret values in what it returns and shows (private).
Kept apart from the Sparkflows client so that modules which only mask need not load it."""

from __future__ import annotations

import re

MASK = '********'
# How servers show a secret they keep but will not tell (Sparkflows' own form is not public):
# a run of asterisks or bullets (possibly ending in a few clear characters, as in ****1234), or
# a placeholder word in brackets such as <hidden> or [PROTECTED], or AWX's $encrypted$. A bare
# word is a value: "secret" is a real (if poor) password.
MASK_FORMS = re.compile(
    r'^\s*(?:[*\u2022\u25cf]{3,}[^*\s]{0,4}'
    r'|<\s*(?:hidden|masked|redacted|protected|secret|encrypted)\s*>'
    r'|\[\s*(?:hidden|masked|redacted|protected|secret|encrypted)\s*\]'
    r'|\$encrypted\$)\s*$', re.IGNORECASE)
# Words in a setting's name that make its value a secret.
# (access_key: an option or variable named after an S3 access key, as mlflow_config's s3_access_key
# is in what sparkflows_info and the fleet report show.)
SECRET_WORDS = ('password', 'passwd', 'secret', 'token', 'private', 'credential', 'access.key', 'accesskey',
                'access_key', 'api.key', 'apikey', 'api_key')


def is_secret_key(name):
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def masked(values, extra_names=()):
    """A copy of {name: value} with secret values masked (empty values stay empty): those whose
    names say so, and those named in extra_names."""
    return dict((name, MASK if is_secret(name, extra_names) and value not in (None, '') else value)
                for name, value in values.items())


def is_secret(name, extra_names=()):
    """Whether the value of name is a secret: its name says so, or it is one of extra_names
    (the names a user declared secret, compared exactly)."""
    return is_secret_key(str(name)) or str(name) in set(str(n) for n in extra_names or ())


def secret_values(mapping, extra_names=()):
    """The text of every secret value of a free-form {name: value} map (is_secret), for an
    AnsibleModule's no_log_values: the forms a value takes in what the module returns (its own
    text, and each text of a nested value). Empty values, None and booleans hide nothing (Ansible's
    own no_log skips them too: a boolean's text would hide every true or false returned)."""
    values = set()
    for name, value in (mapping or {}).items():
        if is_secret(name, extra_names):
            values.update(_texts(value))
    return values


def _texts(value):
    if value is None or isinstance(value, bool):
        return set()
    if isinstance(value, dict):
        found = set(text for item in value.values() for text in _texts(item))
    elif isinstance(value, (list, tuple, set)):
        found = set(text for item in value for text in _texts(item))
    else:
        found = set()
    text = str(value)
    if text:
        found.add(text)
    return found


def is_masked(value):
    """Whether a value a server answered is one of the mask forms (MASK_FORMS), not a value."""
    return isinstance(value, str) and MASK_FORMS.match(value) is not None
