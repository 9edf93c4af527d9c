# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one client of the Sparkflows REST API (private to this collection).

Every fact about the Sparkflows API that the collection relies on lives here: the paths and
the calls here, the transport (authentication, TLS, retries, error messages) in
_sparkflows.http, the shapes of the answers it recognises in _sparkflows.answers. The emulator
under tests/ implements the same contract for the tests; it is never imported from here.
"""

from __future__ import annotations

import time
from urllib.parse import quote

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows import answers
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.answers import UnrecognisedAnswer
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows import http as transport

# The client's error and URL check are the transport's (the modules import them from here).
SparkflowsError = transport.SparkflowsError


class MaskedValues(SparkflowsError):
    """A configuration write that would carry values the server showed masked; names: their keys."""

    def __init__(self, names):
        super(MaskedValues, self).__init__('Sparkflows showed %s masked: a write of the whole set would replace '
                                           'them with the mask, so nothing was written' % ', '.join(names))
        self.names = names


validate_url = transport.validate_url

# Connection options shared by every module that talks to Sparkflows (documented once in
# the sparkflows.mlops.sparkflows doc fragment).
CONNECTION_ARGSPEC = dict(
    api_url=dict(type='str', required=True),
    api_token=dict(type='str', no_log=True),
    api_token_header=dict(type='str', default='token', no_log=False),
    api_username=dict(type='str'),
    api_password=dict(type='str', no_log=True),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    timeout=dict(type='float', default=30.0),
    retries=dict(type='int', default=3),
)
CONNECTION_MUTUALLY_EXCLUSIVE = [('api_token', 'api_username')]
CONNECTION_REQUIRED_TOGETHER = [('api_username', 'api_password')]
CONNECTION_REQUIRED_ONE_OF = [('api_token', 'api_username')]

PATHS = dict(
    health='/healthcheck',
    login=transport.LOGIN_PATH,
    release_info='/api/v1/app/release-info',
    about='/api/v1/main/about',
    user_info='/api/v1/users/user-info',
    is_admin='/api/v1/user/isAdmin/isSuperuser',
    configurations='/api/v1/configurations',
    configurations_infer='/api/v1/configurations/infer',
    workflow_by_name='/api/v1/workflows/name/{name}',
    workflow_execute='/api/v1/workflow/execute',
    execution_status='/api/v1/workflow-executions/{execution_id}/status',
    output_models='/api/v1/mlmodel/OutputModels',
    output_model_by_uuid='/api/v1/mlmodel/outputModelByModelUuid/{uuid}',
    output_model_download='/api/v1/mlmodel/outputModel/{model_id}/download/{file_type}',
)

EXECUTION_DONE = ('COMPLETED', 'FAILED', 'KILLED', 'STOPPED', 'TIMEOUT', 'SKIPPED')


def module_kwargs(argument_spec, mutually_exclusive=(), required_one_of=(), **kwargs):
    """AnsibleModule keyword arguments for a module that talks to Sparkflows: its own options
    plus the connection options and their constraints. Check mode is supported by all."""
    return dict(
        argument_spec=dict(CONNECTION_ARGSPEC, **argument_spec),
        supports_check_mode=True,
        mutually_exclusive=CONNECTION_MUTUALLY_EXCLUSIVE + list(mutually_exclusive),
        required_together=CONNECTION_REQUIRED_TOGETHER,
        required_one_of=CONNECTION_REQUIRED_ONE_OF + list(required_one_of),
        **kwargs
    )


def connection_params(params):
    """The connection options out of a module's parameters."""
    return dict((key, params.get(key)) for key in CONNECTION_ARGSPEC)


class SparkflowsClient(transport.SparkflowsHttp):
    """The calls of the Sparkflows API, over SparkflowsHttp (one server; retries connection
    errors and 5xx, never 4xx)."""

    def read(self, method, path, reader, payload=None, authenticated=True):
        """call() whose answer is read by one of _sparkflows.answers' readers."""
        return self.parse(method, path, reader, self.call(method, path, payload, 'any', authenticated))

    def parse(self, method, path, reader, answer):
        """reader(answer); an answer of a shape it does not recognise fails naming the endpoint
        and what came."""
        try:
            return reader(answer)
        except UnrecognisedAnswer as e:
            raise SparkflowsError('%s %s: unrecognised answer: %s' % (method, self.base_url + path, e))

    def health(self):
        """GET /healthcheck without authentication: the status string (e.g. 'UP')."""
        return self.read('GET', PATHS['health'], answers.read_health, authenticated=False)

    def release(self):
        """(the release, the whole release-info answer) the server reports."""
        info = self.call('GET', PATHS['release_info'], expect='any')
        return self.parse('GET', PATHS['release_info'], answers.read_release, info), info

    def about(self):
        return self.call('GET', PATHS['about'])

    def user_info(self):
        return self.call('GET', PATHS['user_info'])

    def is_admin(self):
        return self.read('GET', PATHS['is_admin'], answers.read_flag)

    def configurations(self):
        """The configuration set (answers.Configurations: .text() is {name: value})."""
        return self.read('GET', PATHS['configurations'], answers.Configurations)

    def configurations_to_write(self):
        """The configuration set as GET /api/v1/configurations/infer gives it: the JSON that POST
        /api/v1/configurations takes back (documented, its shape not public). None where the
        server does not serve it (404, 405, 501): then the shape GET answers is the one written."""
        try:
            return self.read('GET', PATHS['configurations_infer'], answers.Configurations)
        except SparkflowsError as e:
            if e.status in (404, 405, 501):
                return None
            raise

    def configuration_body(self, read, changes, only_changed=False):
        """(the answers.Configurations written, the POST body) that writes changes ({name: text})
        to the configuration set read (an answers.Configurations): the whole set in the shape the
        server takes back (/infer's where it answers, else the shape read), or with only_changed
        the entries of the changed names alone. Nothing is written; only GETs are made.

        A value the server showed masked is never written: a body that would carry one back
        raises MaskedValues (the caller names what resolves it), a shape whose POST form is not
        known raises SparkflowsError."""
        written = self.configurations_to_write() or read
        if not written.writable:
            raise SparkflowsError('Sparkflows answers GET %s as %s and does not serve %s, which would say what '
                                  'shape POST %s takes: nothing was written'
                                  % (PATHS['configurations'], written.shape_text, PATHS['configurations_infer'],
                                     PATHS['configurations']))
        carried = [] if only_changed else written.masked_names(exclude=changes)
        if carried:
            raise MaskedValues(carried)
        return written, written.changed_entries(changes) if only_changed else written.body(changes)

    def save_configurations(self, body):
        """POST /api/v1/configurations with a body made by configuration_body."""
        return self.call('POST', PATHS['configurations'], body, expect='any')

    def open_download(self, model_id, file_type, headers=None, method='GET'):
        """Open a model download (GET, or HEAD to ask without the body).

        Returns (status, headers, response) for 200, 206 and 304 with the body unread; any
        other answer raises SparkflowsError.
        """
        path = PATHS['output_model_download'].format(model_id=quote(str(model_id), safe=''),
                                                     file_type=quote(file_type, safe=''))
        request_headers = self._auth_headers()
        request_headers.update(headers or {})
        status, response_headers, response = self._open(method, path, headers=request_headers)
        if status not in (200, 206, 304):
            content = response if isinstance(response, bytes) else response.read()
            raise SparkflowsError(self._error_message(method, path, status, response_headers.get('Content-Type', ''),
                                                      content))
        ctype = response_headers.get('Content-Type', '')
        if 'html' in ctype.lower():
            raise SparkflowsError('%s %s: HTTP %d but the answer is an HTML page (Content-Type %s), not a model file'
                                  % (method, self.base_url + path, status, ctype))
        return status, response_headers, response

    def output_models(self):
        return self.read('GET', PATHS['output_models'], answers.read_models)

    def output_model_by_uuid(self, uuid):
        return self.read('GET', PATHS['output_model_by_uuid'].format(uuid=quote(uuid, safe='')), answers.read_model)

    def select_model(self, model_id=None, model_uuid=None, model_name=None, stage=None):
        """A model's metadata by id, uuid, or name (its latest version, optionally of one stage)."""
        if model_uuid:
            return self.output_model_by_uuid(model_uuid)
        models = self.output_models()
        if model_id:
            found = [m for m in models if str(m.get('id')) == str(model_id)]
            if not found:
                raise SparkflowsError('No model with id %s in the Sparkflows model repository' % model_id)
            return found[0]
        found = [m for m in models if m.get('name') == model_name and (stage is None or m.get('stage') == stage)]
        if not found:
            raise SparkflowsError('No model named %s%s in the Sparkflows model repository' % (
                model_name, '' if stage is None else ' in stage %s' % stage))
        return self.latest_model(found, 'model %s' % model_name)

    def latest_model(self, models, what):
        """The model of the highest version (then id) among models, versions compared as numbers."""
        try:
            return max(models, key=lambda m: (answers.version_key(m.get('version')), answers.id_key(m)))
        except UnrecognisedAnswer as e:
            raise SparkflowsError('GET %s: unrecognised answer for %s: %s'
                                  % (self.base_url + PATHS['output_models'], what, e))

    def workflow_id(self, name):
        """The id of the workflow named name."""
        return self.read('GET', PATHS['workflow_by_name'].format(name=quote(name, safe='')), answers.read_workflow)

    def execute_workflow(self, workflow_id, program_parameters=''):
        payload = {'workflowId': workflow_id, 'programParameters': program_parameters, 'sparkConfig': '',
                   'libJars': '', 'emailOnFailure': '', 'emailOnSuccess': ''}
        return self.read('POST', PATHS['workflow_execute'], answers.read_execution_id, payload)

    def execution_status(self, execution_id):
        """(state, the server's message or None) of an execution."""
        return self.read('GET', PATHS['execution_status'].format(execution_id=execution_id),
                         answers.read_execution_status)

    def wait_for_execution(self, execution_id, timeout, interval=2.0, clock=time.monotonic):
        """Poll the execution status until it is done or timeout seconds pass (bounded);
        (state, message) as execution_status."""
        deadline = clock() + timeout
        status = self.execution_status(execution_id)
        while status[0] not in EXECUTION_DONE and clock() < deadline:
            self._sleep(interval)
            status = self.execution_status(execution_id)
        return status
