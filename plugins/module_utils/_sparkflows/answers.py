# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The shapes of the Sparkflows answers the client recognises (private to this collection).

Sparkflows' REST API is only partly public: where the documentation is silent, every shape
accepted here is listed in docs/sparkflows-api.md, and anything else is refused with an
UnrecognisedAnswer that describes what came (its top-level keys), never guessed at. Readers take
the decoded JSON of one answer and return plain values; they never raise anything else.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.masking import is_masked

# Keys of the release-info answer that carry the release, most specific first.
RELEASE_KEYS = ('release', 'version', 'releaseVersion')
# A release is used as (part of) an image tag: Docker's tag alphabet, starting with a digit.
RELEASE = re.compile(r'^[0-9][0-9A-Za-z_.-]{0,127}$')
# Field pairs of one configuration entry: documented name/value, and JPA-style entities.
ENTRY_FIELDS = (('name', 'value'), ('configKey', 'configValue'), ('key', 'value'))
VERSION = re.compile(r'^[0-9]+(\.[0-9]+)*$')
EXECUTION_CODES = {
    0: 'RUNNING', 1: 'STOPPED', 2: 'COMPLETED', 3: 'FAILED', 4: 'STARTING', 5: 'STOP',
    6: 'KILLED', 7: 'STOPPING', 8: 'TIMEOUT', 9: 'PENDING', 10: 'SKIPPED',
}
EXECUTION_STATES = frozenset(EXECUTION_CODES.values())
SCALARS = (str, int, float, bool)


class UnrecognisedAnswer(Exception):
    """An answer of a shape the client does not know (the client adds method and URL)."""


def describe(answer):
    """What an answer is, for an error message: its type and top-level keys, never its values."""
    if answer is None or answer == '':
        return 'an empty answer'
    if isinstance(answer, dict):
        return 'an object with keys [%s]' % ', '.join(sorted(str(key) for key in answer)[:20])
    if isinstance(answer, list):
        kinds = sorted(set(type(item).__name__ for item in answer))
        keys = sorted(set(str(key) for item in answer if isinstance(item, dict) for key in item))[:20]
        with_keys = ' with keys [%s]' % ', '.join(keys) if keys else ''
        return 'a list of %d (%s)%s' % (len(answer), ', '.join(kinds) or 'nothing', with_keys)
    if isinstance(answer, bool):
        return 'a boolean'
    if isinstance(answer, (int, float)):
        return 'a number'
    return 'a string of %d characters' % len(str(answer))


def value_text(value):
    """A configuration value as the configuration stores it: text, booleans in lower case."""
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def read_release(answer):
    """GET /api/v1/app/release-info: {release|version|releaseVersion: "3.1.0", ...} or "3.1.0"."""
    candidates = [answer.get(key) for key in RELEASE_KEYS] if isinstance(answer, dict) else [answer]
    for value in candidates:
        if isinstance(value, SCALARS) and not isinstance(value, bool) and RELEASE.match(str(value).strip()):
            return str(value).strip()
    raise UnrecognisedAnswer('no release in %s (read from the key %s, a release such as 3.1.0)'
                             % (describe(answer), ' or '.join(RELEASE_KEYS)))


def read_flag(answer, keys=('isSuperuser', 'admin')):
    """A yes/no answer: true/false, "true"/"false", or an object holding one under keys."""
    if isinstance(answer, dict):
        for key in keys:
            if key in answer:
                return read_flag(answer[key], ())
    if isinstance(answer, bool):
        return answer
    if isinstance(answer, str) and answer.strip().strip('"').lower() in ('true', 'false'):
        return answer.strip().strip('"').lower() == 'true'
    raise UnrecognisedAnswer('expected true or false, got %s' % describe(answer))


def read_health(answer):
    """GET /healthcheck: {"status": "UP"} or the bare status."""
    if isinstance(answer, dict) and isinstance(answer.get('status'), str):
        return answer['status']
    if isinstance(answer, str) and answer.strip():
        return answer.strip().strip('"')
    raise UnrecognisedAnswer('no status in %s' % describe(answer))


def is_page(answer):
    """Whether answer is a Spring Data page ({"content": [...], "totalElements": N, ...})."""
    return isinstance(answer, dict) and isinstance(answer.get('content'), list)


def whole_page(answer, what, why):
    """The items of a page that holds the whole list; a page of part of it is refused."""
    total = answer.get('totalElements', len(answer['content']))
    if answer.get('last') is False or not isinstance(total, int) or total > len(answer['content']):
        raise UnrecognisedAnswer('a page of %d of %s %s: %s' % (len(answer['content']), total, what, why))
    return answer['content']


def _entry_fields(entries):
    """The field pair every entry of a list uses, or None when it is not a list of entries."""
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        return None
    if not entries:
        return ENTRY_FIELDS[0]
    for fields in ENTRY_FIELDS:
        if all(fields[0] in entry and isinstance(entry[fields[0]], str) for entry in entries):
            return fields
    return None


SHAPE_TEXT = dict(entries='a list of entries', flat='an object of names and values',
                  page='a Spring Data page of entries', grouped='entries grouped by category')


class Configurations(object):
    """The configuration set as read from GET /api/v1/configurations (or /infer), and the bodies
    that write it back in the same shape with changes applied: the whole set (read-modify-write:
    a POST that replaces the whole set loses nothing) or the changed entries alone.

    Shapes: a list of entries ({name, value}, {configKey, configValue} or {key, value}, other
    fields such as an entity's id kept), a complete Spring Data page of entries ({content: [...],
    totalElements: N}), a flat object {name: value}, or entries grouped by category
    {category: [entries]}. A page is read but not written: what a POST takes in its place is
    not known (writable is False)."""

    def __init__(self, answer):
        self.answer = answer
        self.groups = None  # {category: (fields, entries)} for the grouped shape
        self.fields = None
        if is_page(answer):
            entries = whole_page(answer, 'configurations', 'the whole set must be read before it is written back')
            self.shape = 'page'
        elif isinstance(answer, list):
            self.shape, entries = 'entries', answer
        elif isinstance(answer, dict) and answer and all(_entry_fields(v) for v in answer.values()):
            self.shape, entries = 'grouped', None
            self.groups = dict((category, _entry_fields(v)) for category, v in answer.items())
        elif isinstance(answer, dict) and all(v is None or isinstance(v, SCALARS) for v in answer.values()):
            self.shape, entries = 'flat', None
        else:
            raise UnrecognisedAnswer('configurations as %s, not one of the known shapes (see docs/sparkflows-api.md)'
                                     % describe(answer))
        if entries is not None:
            self.fields = _entry_fields(entries)
            if self.fields is None:
                raise UnrecognisedAnswer('configurations as %s: entries need name/value, configKey/configValue '
                                         'or key/value' % describe(entries))
        self.values = {}
        for name, value in self._pairs():
            if value is not None and not isinstance(value, SCALARS):
                raise UnrecognisedAnswer('the configuration %s holds %s, not a value' % (name, describe(value)))
            self.values[name] = value

    def _pairs(self):
        if self.shape == 'flat':
            return list(self.answer.items())
        if self.shape == 'grouped':
            return [(entry[fields[0]], entry.get(fields[1])) for category, fields in self.groups.items()
                    for entry in self.answer[category]]
        entries = self.answer['content'] if self.shape == 'page' else self.answer
        return [(entry[self.fields[0]], entry.get(self.fields[1])) for entry in entries]

    def text(self):
        """{name: value as text}."""
        return dict((name, value_text(value)) for name, value in self.values.items())

    @property
    def writable(self):
        """Whether a body in the shape read is known: every shape but the page."""
        return self.shape != 'page'

    @property
    def shape_text(self):
        return SHAPE_TEXT[self.shape]

    def masked_names(self, exclude=()):
        """The names whose values were read masked (_common.masking.is_masked), but those in exclude."""
        return sorted(name for name, value in self.values.items() if name not in exclude and is_masked(value))

    def body(self, changes):
        """The whole set in the shape read, with changes ({name: text}) applied and new names added."""
        return self._body(changes, keep_all=True)

    def changed_entries(self, changes):
        """Only the entries of the changed names, in the shape read: an entry read keeps its other
        fields (an entity's id), a new name is a new entry (in the closest group when grouped)."""
        return self._body(changes, keep_all=False)

    def _body(self, changes, keep_all):
        if not self.writable:
            raise UnrecognisedAnswer('configurations as %s cannot be written back' % self.shape_text)
        if self.shape == 'flat':
            body = dict(self.answer) if keep_all else {}
            body.update(changes)
            return body
        pending = dict(changes)
        if self.shape == 'grouped':
            body = copy.deepcopy(self.answer)
            for category, fields in self.groups.items():
                body[category] = _apply(body[category], fields, pending, keep_all)
            for name, value in sorted(pending.items()):
                category = _closest_group(self.answer, self.groups, name)
                body[category].append({self.groups[category][0]: name, self.groups[category][1]: value})
            return dict((category, entries) for category, entries in body.items() if keep_all or entries)
        entries = _apply(copy.deepcopy(self.answer), self.fields, pending, keep_all)
        entries.extend({self.fields[0]: name, self.fields[1]: value} for name, value in sorted(pending.items()))
        return entries


def _apply(entries, fields, pending, keep_all=True):
    """The entries with the pending values ({name: text}) set and popped; the others too when keep_all."""
    kept = []
    for entry in entries:
        if entry[fields[0]] in pending:
            entry[fields[1]] = pending.pop(entry[fields[0]])
            kept.append(entry)
        elif keep_all:
            kept.append(entry)
    return kept


def _closest_group(body, groups, name):
    """The category whose names share the longest dotted prefix with name (the first on a tie)."""
    def shared(other):
        count = 0
        for a, b in zip(name.split('.'), other.split('.')):
            if a != b:
                break
            count += 1
        return count
    scores = [(max([shared(entry[groups[c][0]]) for entry in body[c]] or [0]), -i, c) for i, c in enumerate(body)]
    return max(scores)[2]


def read_model(answer):
    """A model record: an object with an id (a number, or text)."""
    if isinstance(answer, dict) and isinstance(answer.get('id'), (int, str)) and not isinstance(answer['id'], bool) \
            and str(answer['id']).strip():
        return answer
    raise UnrecognisedAnswer('expected a model record with an id, got %s' % describe(answer))


def read_models(answer):
    """GET /api/v1/mlmodel/OutputModels: a list of model records, or a complete Spring Data page."""
    items = whole_page(answer, 'models', 'the client reads complete lists only') if is_page(answer) else answer
    if not isinstance(items, list):
        raise UnrecognisedAnswer('expected a list of models, got %s' % describe(answer))
    return [read_model(item) for item in items]


def version_key(version):
    """A model version as a sortable tuple: 2 and "2" alike, "1.10" after "1.9"; None first."""
    if version is None or version == '':
        return ()
    if isinstance(version, int) and not isinstance(version, bool) and version >= 0:
        return (version,)
    if isinstance(version, str) and VERSION.match(version.strip()):
        return tuple(int(part) for part in version.strip().split('.'))
    raise UnrecognisedAnswer('model version %s is not a number such as 3 or 1.10' % (
        repr(version) if isinstance(version, (str, int, float)) else describe(version)))


def id_key(model):
    text = str(model.get('id'))
    return (0, int(text)) if text.isdigit() else (1, text)


def read_workflow(answer):
    """GET /api/v1/workflows/name/{name}: an object with the workflow's id."""
    if isinstance(answer, dict):
        try:
            return read_execution_id(answer.get('id'))
        except UnrecognisedAnswer:
            pass
    raise UnrecognisedAnswer('expected a workflow with an id, got %s' % describe(answer))


def read_execution_id(answer):
    """POST /api/v1/workflow/execute: the execution id, bare (162) or in {id|workflowExecutionId}."""
    if isinstance(answer, dict):
        for key in ('id', 'workflowExecutionId', 'executionId'):
            if key in answer:
                return read_execution_id(answer[key])
    if isinstance(answer, int) and not isinstance(answer, bool) and answer >= 0:
        return answer
    if isinstance(answer, str) and answer.strip().strip('"').isdigit():
        return int(answer.strip().strip('"'))
    raise UnrecognisedAnswer('expected an execution id, got %s' % describe(answer))


def read_execution_status(answer):
    """GET /api/v1/workflow-executions/{id}/status: (state, server message or None). A state name
    (RUNNING, "COMPLETED"...), a numeric code, or an object with status|executionStatus."""
    message = None
    if isinstance(answer, dict):
        message = next((answer[key] for key in ('message', 'errorMessage', 'error') if isinstance(answer.get(key), str)),
                       None)
        answer = next((answer[key] for key in ('status', 'executionStatus', 'state') if key in answer), None)
    if isinstance(answer, int) and not isinstance(answer, bool) and answer in EXECUTION_CODES:
        return EXECUTION_CODES[answer], message
    if isinstance(answer, str):
        text = answer.strip().strip('"').upper()
        if text.isdigit() and int(text) in EXECUTION_CODES:
            return EXECUTION_CODES[int(text)], message
        if text in EXECUTION_STATES:
            return text, message
    raise UnrecognisedAnswer('not an execution state (%s): got %s' % (
        ', '.join(sorted(EXECUTION_STATES)), describe(answer) if not isinstance(answer, str) else repr(answer[:40])))
