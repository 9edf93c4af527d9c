# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The scorer image rules: the tag of a Sparkflows release, the refusal of another release's
tag, the tag an image reference names, and the registry an image repository lives in. scorer_container applies them; the scorer
role reaches them through the scorer_image_tag and registry_host filters."""

from __future__ import annotations


# What the scorer image of the Sparkflows guide serves: the port inside the container, its health
# and scoring routes, and where it loads the model from (the defaults of scorer_container,
# scorer_info and role scorer; a unit test keeps the role's the same).
CONTAINER_PORT = 8080
HEALTH_PATH = '/health'
SCORING_PATH = '/predict'
MODEL_MOUNT = '/opt/sparkflows/model'


class ImageRuleError(ValueError):
    """A format or repository the rules cannot apply to; one clear message."""


def expected_tag(release, tag_format='{release}'):
    """The scorer image tag of a Sparkflows release: tag_format with {release} filled in."""
    try:
        return tag_format.format(release=release)
    except (KeyError, IndexError, ValueError) as e:
        raise ImageRuleError('image_tag_format %r must use only {release}: %s' % (tag_format, e))


def checked_tag(release, tag_format='{release}', given_tag=None, allow_mismatch=False,
                tag_name='image tag', allow_name='allow_release_mismatch', nothing_changed=False):
    """The image tag to run: given_tag, else the tag of release (None without either).

    A given tag that is not the release's is refused unless allow_mismatch; the message names
    the caller's own names of the tag and of the permission, and says nothing was changed when
    the caller refuses before any change."""
    expected = expected_tag(release, tag_format) if release else None
    tag = given_tag or expected
    if expected and tag != expected and not allow_mismatch:
        raise ImageRuleError('%s %s does not match Sparkflows release %s (expected tag %s); %s %s to run it anyway'
                             % (tag_name, tag, release, expected,
                                'nothing was changed. Set' if nothing_changed else 'set', allow_name))
    return tag


def registry_of(repository):
    """The registry host of an image repository, None for Docker Hub (as the engine reads a
    reference: the first part is a host only with a dot, a port or localhost)."""
    first = repository.split('/', 1)[0]
    if '/' in repository and ('.' in first or ':' in first or first == 'localhost'):
        return first
    return None


def tag_of(reference):
    """The tag an image reference names, as the engine reads it: after the last ':' of its last
    path part, 'latest' without one; None for a reference by digest (repository@sha256:...)."""
    if '@' in reference:
        return None
    last = reference.rsplit('/', 1)[-1]
    return last.rpartition(':')[2] if ':' in last else 'latest'
