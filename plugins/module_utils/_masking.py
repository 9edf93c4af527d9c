# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How the collection hides secret values in what it returns and shows (private).
Kept apart from the Sparkflows client so that modules which only mask need not load it."""

from __future__ import annotations

MASK = '********'
# Words in a setting's name that make its value a secret.
SECRET_WORDS = ('password', 'passwd', 'secret', 'token', 'private', 'credential', 'access.key', 'accesskey',
                'api.key', 'apikey', 'api_key')


def is_secret_key(name):
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def masked(values):
    """A copy of {name: value} with secret values masked (empty values stay empty)."""
    return dict((name, MASK if is_secret_key(name) and value not in (None, '') else value)
                for name, value in values.items())
