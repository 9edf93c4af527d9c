"""A moto S3 server on loopback that checks credentials as S3 does.

moto accepts any credentials by default. With IAM authentication on (moto's
INITIAL_NO_AUTH_ACTION_COUNT, set to 0 through its /moto-api/reset-auth endpoint once the users
exist), every request must carry an access key of an IAM user moto knows, a Signature Version 4
signature it recomputes with that user's secret key (InvalidAccessKeyId, SignatureDoesNotMatch
otherwise), and a policy of the user that allows the action (AccessDenied otherwise). The users,
the bucket and its object are made before that, while any request is accepted."""

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request

import boto3

from utils.ports import free_port
from utils.process import stop

REGION = "us-east-1"
BUCKET = "mlflow-artifacts"
# A second bucket, the one the module's EXAMPLES name for MinIO.
OTHER_BUCKET = "mlflow"
OBJECT_KEY = "experiments/1/meta.yaml"
# The one stand-in access key that the setup requests carry (any is accepted before auth is on).
SETUP_KEY = ("AKIASETUPSETUPSETUP0", "setup-secret")


class S3Server(object):
    def __init__(self, url, users):
        self.url = url
        self.users = users  # name: (access key id, secret key)
        self.region = REGION
        self.bucket = BUCKET


def _wait(url, process, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            with open(log_path) as log:
                raise RuntimeError("moto_server exited: %s" % log.read()[-2000:])
        try:
            with urllib.request.urlopen(url + "/moto-api/data.json", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("moto_server did not answer at %s within %d s" % (url, timeout))


def _client(service, url):
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id=SETUP_KEY[0],
                        aws_secret_access_key=SETUP_KEY[1])


def _user(iam, name, policy):
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="s3", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def _enable_auth(url):
    # No form content type: moto reads the raw body (Flask would parse a form and leave it empty).
    request = urllib.request.Request(url + "/moto-api/reset-auth", data=b"0", method="POST",
                                     headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert json.loads(answer.read())["status"] == "ok"


@contextlib.contextmanager
def running_s3(tmp_directory):
    """An S3Server with users `mlflow` (every S3 action) and `outsider` (may list only another
    bucket), the bucket BUCKET holding OBJECT_KEY and the empty OTHER_BUCKET, IAM authentication on."""
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    moto_server = os.path.join(os.path.dirname(sys.executable), "moto_server")
    log_path = os.path.join(str(tmp_directory), "moto.log")
    with open(log_path, "wb") as log:
        process = subprocess.Popen([moto_server, "-H", "127.0.0.1", "-p", str(port)], stdout=log,
                                   stderr=subprocess.STDOUT, env=dict(os.environ, AWS_DEFAULT_REGION=REGION))
    try:
        _wait(url, process, log_path)
        iam = _client("iam", url)
        users = {
            "mlflow": _user(iam, "mlflow", {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
            "outsider": _user(iam, "outsider", {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::another-bucket"}]}),
        }
        s3 = _client("s3", url)
        s3.create_bucket(Bucket=BUCKET)
        s3.create_bucket(Bucket=OTHER_BUCKET)
        s3.put_object(Bucket=BUCKET, Key=OBJECT_KEY, Body=b"name: churn\n")
        _enable_auth(url)
        yield S3Server(url, users)
    finally:
        stop(process)
