# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The scorer image rules: the tag of a Sparkflows release, and the registry an image
repository lives in. scorer_container applies them; the scorer role reaches them through the
scorer_image_tag and registry_host filters."""

from __future__ import annotations


class ImageRuleError(ValueError):
    """A format or repository the rules cannot apply to; one clear message."""


def expected_tag(release, tag_format='{release}'):
    """The scorer image tag of a Sparkflows release: tag_format with {release} filled in."""
    try:
        return tag_format.format(release=release)
    except (KeyError, IndexError, ValueError) as e:
        raise ImageRuleError('image_tag_format %r must use only {release}: %s' % (tag_format, e))


def registry_of(repository):
    """The registry host of an image repository, None for Docker Hub (as the engine reads a
    reference: the first part is a host only with a dot, a port or localhost)."""
    first = repository.split('/', 1)[0]
    if '/' in repository and ('.' in first or ':' in first or first == 'localhost'):
        return first
    return None
