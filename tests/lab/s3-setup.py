"""Set up the lab's S3 (moto's server, a stand-in for AWS S3 or an S3-compatible store): an IAM
user `mlflow` allowed every S3 action, its access key written to STATE/s3/ (0600), the bucket of
mlflow1's artifacts, then IAM authentication on - from then on moto checks every request's
access key and signature as S3 does (a wrong key or secret is refused).

Usage: s3-setup.py URL STATE_DIR BUCKET   (run once per start of the S3 container: moto keeps
its data in memory)."""

import json
import os
import sys
import time
import urllib.request

import boto3

REGION = "us-east-1"
# Any key is accepted until authentication is on: this one only makes the user, key and bucket.
SETUP_KEY = ("AKIALABSETUPLABSETUP", "lab-setup-secret")


def wait(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/moto-api/data.json", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    sys.exit("s3-setup: moto did not answer at %s within %d s" % (url, timeout))


def main(url, state, bucket):
    wait(url)
    client = dict(endpoint_url=url, region_name=REGION, aws_access_key_id=SETUP_KEY[0],
                  aws_secret_access_key=SETUP_KEY[1])
    iam = boto3.client("iam", **client)
    iam.create_user(UserName="mlflow")
    iam.put_user_policy(UserName="mlflow", PolicyName="s3", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="mlflow")["AccessKey"]
    boto3.client("s3", **client).create_bucket(Bucket=bucket)
    os.makedirs(os.path.join(state, "s3"), mode=0o700, exist_ok=True)
    for name, value in (("access-key", key["AccessKeyId"]), ("secret-key", key["SecretAccessKey"])):
        path = os.path.join(state, "s3", name)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            handle.write(value + "\n")
    # A raw body: moto reads it as the count of requests still let through without checks.
    request = urllib.request.Request(url + "/moto-api/reset-auth", data=b"0", method="POST",
                                     headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        if json.loads(answer.read()).get("status") != "ok":
            sys.exit("s3-setup: moto did not turn authentication on")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
