# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The logic of module mlflow_webhook: one webhook of MLflow's model registry, found by its name,
created, brought to the options the user set (only those are compared), or removed; its secret
sent on creation (or every run, when asked: MLflow never shows it back), never returned or
shown in a diff; and, when asked, MLflow's test delivery sent to it and its answer checked."""

from __future__ import annotations

from urllib.parse import urlsplit

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow import webhooks
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.tracking_api import (
    CONNECTION_SPEC, TrackingApi, TrackingApiError, connection_problems)

ARGUMENT_SPEC = dict(
    CONNECTION_SPEC,
    name=dict(type='str', required=True),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    url=dict(type='str'),
    events=dict(type='list', elements='str', choices=sorted(webhooks.MODEL_EVENTS), default=['model_version_alias.created']),
    description=dict(type='str'),
    status=dict(type='str', choices=['active', 'disabled'], default='active'),
    secret=dict(type='str', no_log=True),
    update_secret=dict(type='str', choices=['always', 'on_create'], default='on_create', no_log=False),
    test=dict(type='bool', default=False),
)
# Pages of webhooks read at most (100 each) before the listing is refused as endless.
MAX_PAGES = 50


def option_problems(params):
    problems = connection_problems(params)
    if not params['name'].strip():
        problems.append('name must not be empty')
    if params['state'] == 'present':
        if urlsplit(params['url'] or '').scheme != 'https' or not urlsplit(params['url']).hostname:
            problems.append('url must be an https:// URL (MLflow delivers to https:// only), got %r' % params['url'])
        if not params['events']:
            problems.append('events must name one event or more')
    return problems


def view(webhook):
    """A webhook as the module returns it: no secret (MLflow never returns one)."""
    return dict(webhook_id=webhook['webhook_id'], name=webhook.get('name'), url=webhook.get('url'),
                events=sorted(webhooks.event_name(event) for event in webhook.get('events') or []),
                description=webhook.get('description', ''), status=str(webhook.get('status', '')).lower())


def _webhook_of(answer, what):
    webhook = answer.get('webhook')
    if not isinstance(webhook, dict) or not webhook.get('webhook_id'):
        raise TrackingApiError('%s: the answer holds no webhook (%s)' % (what, ', '.join(sorted(answer)) or 'empty'))
    return webhook


def named(api, name):
    """Every webhook of MLflow with this name, read page by page."""
    found, token = [], None
    for _page in range(MAX_PAGES):
        answer = api.call('GET', '/webhooks', query=dict(max_results=100, **({'page_token': token} if token else {})))
        listed = answer.get('webhooks', [])
        if not isinstance(listed, list) or not all(isinstance(w, dict) and w.get('webhook_id') for w in listed):
            raise TrackingApiError('GET /webhooks: the answer is not a list of webhooks')
        found.extend(w for w in listed if w.get('name') == name)
        token = answer.get('next_page_token')
        if not token:
            return found
    raise TrackingApiError('GET /webhooks: more than %d pages of webhooks' % MAX_PAGES)


def wanted(params):
    """The fields the user set, as MLflow's API takes them."""
    events = sorted(set(params['events']), key=params['events'].index)
    fields = dict(url=params['url'], events=[webhooks.event_body(event) for event in events],
                  status=params['status'].upper())
    if params['description'] is not None:
        fields['description'] = params['description']
    return fields


def differences(current, fields):
    """The fields whose value MLflow holds differs from the one wanted, each compared as view()
    shows it (events as sorted names, status in lower case)."""
    held, after = view(current), view(dict(current, **fields))
    return dict((key, value) for key, value in fields.items() if held[key] != after[key])


def tested(api, webhook_id, url, result):
    """MLflow's test delivery to the webhook; a failure keeps what the run changed (result)."""
    try:
        answer = api.call('POST', '/webhooks/%s/test' % webhook_id, body={})
    except TrackingApiError as error:
        raise ModuleFailure(str(error), **result)
    sent = answer.get('result')
    if not isinstance(sent, dict):
        raise ModuleFailure('POST /webhooks/%s/test: the answer holds no result' % webhook_id, **result)
    test = dict(success=bool(sent.get('success')), response_status=sent.get('response_status'),
                error_message=sent.get('error_message', ''))
    if not test['success']:
        raise ModuleFailure('MLflow\'s test delivery to %s failed: %s%s' % (
            url, 'answered %s' % test['response_status'] if test['response_status'] else 'no answer',
            ' (%s)' % test['error_message'] if test['error_message'] else ''), test=test, **result)
    return test


def run(params, check_mode, host):
    problems = option_problems(params)
    if problems:
        raise ModuleFailure('; '.join(problems), problems=problems)
    api = TrackingApi(params)
    try:
        return _converge(api, params, check_mode, host)
    except TrackingApiError as error:
        raise ModuleFailure(str(error), changed=False)


def _converge(api, params, check_mode, host):
    current = named(api, params['name'])
    result = dict(changed=False, secret_updated=False)
    if params['state'] == 'absent':
        if current:
            result.update(changed=True, removed=[w['webhook_id'] for w in current])
            if not check_mode:
                for index, webhook in enumerate(current):
                    try:
                        api.call('DELETE', '/webhooks/%s' % webhook['webhook_id'])
                    except TrackingApiError as error:
                        raise ModuleFailure(str(error), changed=index > 0,
                                            removed=[w['webhook_id'] for w in current[:index]])
        result.update(webhook={})
        if host.diff:
            result['diff'] = dict(before=view(current[0]) if current else {}, after={})
        return result
    if len(current) > 1:
        raise ModuleFailure('%d webhooks of MLflow are named %s (%s): remove all but one, the module keeps one per '
                            'name' % (len(current), params['name'], ', '.join(w['webhook_id'] for w in current)),
                            changed=False)
    fields = wanted(params)
    if not current:
        body = dict(fields, name=params['name'], secret=params['secret'])
        webhook = dict(body, webhook_id='(created)') if check_mode else \
            _webhook_of(api.call('POST', '/webhooks', body=body), 'POST /webhooks')
        result.update(changed=True, secret_updated=True)
        before = {}
    else:
        webhook = current[0]
        before = view(webhook)
        change = differences(webhook, fields)
        if params['update_secret'] == 'always':
            change['secret'] = params['secret']
            result['secret_updated'] = True
        if change:
            result['changed'] = True
            if check_mode:
                webhook = dict(webhook, **change)
            else:
                webhook = _webhook_of(api.call('PATCH', '/webhooks/%s' % webhook['webhook_id'], body=change),
                                      'PATCH /webhooks/%s' % webhook['webhook_id'])
    result['webhook'] = view(webhook)
    if host.diff:
        result['diff'] = dict(before=before, after=result['webhook'])
    if params['test'] and not check_mode:
        result['test'] = tested(api, webhook['webhook_id'], params['url'], result)
    return result


def run_module():
    run_ansible_module(run, ARGUMENT_SPEC, supports_check_mode=True,
                       required_if=[('state', 'present', ('url', 'secret'))])
