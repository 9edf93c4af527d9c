"""The S3 listing of mlflow_store_check: Signature Version 4 against the examples AWS publishes
(the Amazon S3 API reference, "Examples: Signature Calculations in AWS Signature Version 4" /
"Authenticating Requests: Using the Authorization Header": GET Object, PUT Object, GET Bucket
Lifecycle, GET Bucket (List Objects), with AKIAIOSFODNN7EXAMPLE; the IAM guide's signing key
example), where the request goes (boto3's addressing), each S3 error code's message, and TLS
against a local HTTPS stand-in. moto's S3 with IAM authentication, which recomputes the
signature, is in tests/integration/plugins/modules/test_mlflow_store_check.py."""

import hashlib
import http.server
import ssl
import threading

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.s3_probe import (
    EMPTY_SHA256,
    S3Problem,
    answer_problem,
    authorization,
    canonical_query,
    canonical_request,
    check_bucket,
    key_count,
    list_request,
    scrub,
    signed_headers,
    signing_key,
)
from utils.certificates import make_ca, make_server_certificate, pem_certificate, pem_key

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
HOST = "examplebucket.s3.amazonaws.com"
DATE = "20130524T000000Z"
PUT_BODY = hashlib.sha256(b"Welcome to Amazon S3.").hexdigest()
AWS_EXAMPLES = [
    ("GET Object", "GET", "/test.txt", [], {"range": "bytes=0-9"}, EMPTY_SHA256,
     "host;range;x-amz-content-sha256;x-amz-date",
     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
    ("PUT Object", "PUT", "/test$file.text", [],
     {"date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"}, PUT_BODY,
     "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
     "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
    ("GET Bucket Lifecycle", "GET", "/", [("lifecycle", "")], {}, EMPTY_SHA256,
     "host;x-amz-content-sha256;x-amz-date",
     "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
    ("GET Bucket (List Objects)", "GET", "/", [("prefix", "J"), ("max-keys", "2")], {}, EMPTY_SHA256,
     "host;x-amz-content-sha256;x-amz-date",
     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
]


@pytest.mark.parametrize("name, method, path, query, extra, payload, signed, signature", AWS_EXAMPLES,
                         ids=[example[0] for example in AWS_EXAMPLES])
def test_signature_version_4_matches_the_examples_aws_publishes(
        name, method, path, query, extra, payload, signed, signature):
    headers = dict(extra, host=HOST, **{"x-amz-date": DATE, "x-amz-content-sha256": payload})
    assert authorization(method, path, query, headers, payload, ACCESS_KEY, SECRET_KEY, "us-east-1", DATE) == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=%s, Signature=%s" % (signed, signature))


def test_the_signing_key_matches_the_iam_guides_example():
    key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
    assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"


def test_the_canonical_request_of_the_get_object_example():
    # The canonical request the AWS page prints for its GET Object example.
    request, signed = canonical_request("GET", "/test.txt", [], {
        "Host": HOST, "Range": "bytes=0-9", "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": DATE}, EMPTY_SHA256)
    assert request == "\n".join([
        "GET", "/test.txt", "", "host:examplebucket.s3.amazonaws.com", "range:bytes=0-9",
        "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "x-amz-date:20130524T000000Z", "", "host;range;x-amz-content-sha256;x-amz-date",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"])
    assert signed == "host;range;x-amz-content-sha256;x-amz-date"


def test_the_query_is_encoded_then_sorted():
    assert canonical_query([("prefix", "mlflow/run 1+ä"), ("max-keys", "1"), ("list-type", "2")]) == \
        "list-type=2&max-keys=1&prefix=mlflow%2Frun%201%2B%C3%A4"


def test_a_session_token_is_signed():
    target = list_request("b", "", "", "us-east-1", None)
    plain = signed_headers(target, ACCESS_KEY, SECRET_KEY, "us-east-1", amz_date=DATE)
    with_token = signed_headers(target, ACCESS_KEY, SECRET_KEY, "us-east-1", "FwoGZXIvYXdzE-token", amz_date=DATE)
    assert with_token["x-amz-security-token"] == "FwoGZXIvYXdzE-token"
    assert "x-amz-security-token" in with_token["authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert plain["authorization"] != with_token["authorization"]


@pytest.mark.parametrize("bucket, endpoint_url, region, path_style, url, host", [
    # AWS's own endpoint: the bucket in the host name, as boto3 does.
    ("mlflow-artifacts", "", "eu-west-1", None, "https://mlflow-artifacts.s3.eu-west-1.amazonaws.com/",
     "mlflow-artifacts.s3.eu-west-1.amazonaws.com"),
    # A name with dots would not match the certificate's *.s3...: path style.
    ("mlflow.artifacts", "", "us-east-1", None, "https://s3.us-east-1.amazonaws.com/mlflow.artifacts",
     "s3.us-east-1.amazonaws.com"),
    ("mlflow", "https://minio.example.net:9000/", "us-east-1", None, "https://minio.example.net:9000/mlflow",
     "minio.example.net:9000"),
    ("mlflow", "https://minio.example.net:443", "us-east-1", None, "https://minio.example.net/mlflow",
     "minio.example.net"),
    ("mlflow", "http://[fd00::9]:9000/s3", "us-east-1", None, "http://[fd00::9]:9000/s3/mlflow", "[fd00::9]:9000"),
    ("mlflow", "https://storage.example.net", "us-east-1", False, "https://mlflow.storage.example.net/",
     "mlflow.storage.example.net"),
    ("mlflow", "", "us-east-1", True, "https://s3.us-east-1.amazonaws.com/mlflow", "s3.us-east-1.amazonaws.com"),
])
def test_where_the_listing_goes(bucket, endpoint_url, region, path_style, url, host):
    target = list_request(bucket, "experiments/", endpoint_url, region, path_style)
    assert (target["url"], target["host"]) == (url, host)
    assert target["query"] == [("list-type", "2"), ("max-keys", "1"), ("prefix", "experiments/")]


@pytest.mark.parametrize("endpoint_url", ["ftp://minio.example.net", "minio.example.net:9000",
                                          "https://user:pw@minio.example.net", "https://minio.example.net/?x=1"])
def test_an_endpoint_url_that_is_no_plain_http_url_is_refused(endpoint_url):
    with pytest.raises(S3Problem, match="endpoint_url must be") as refused:
        list_request("b", "", endpoint_url, "us-east-1", None)
    assert "pw@" not in str(refused.value)


def error(code, message="", extra=""):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>%s'
            '<RequestId>4442587FB7D0A2F9</RequestId></Error>' % (code, message, extra)).encode()


E = "https://s3.us-east-1.amazonaws.com"


@pytest.mark.parametrize("status, headers, body, message", [
    (404, {}, error("NoSuchBucket", "The specified bucket does not exist", "<BucketName>nope</BucketName>"),
     "S3 bucket mlflow-artifacts does not exist at %s" % E),
    (403, {}, error("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."),
     "S3 at %s refused the access key (InvalidAccessKeyId): it knows no such access key ID" % E),
    (403, {}, error("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you "
                    "provided. Check your key and signing method.", "<StringToSign>AWS4-HMAC-SHA256...</StringToSign>"),
     "S3 at %s refused the request: the secret key does not match the access key (SignatureDoesNotMatch)" % E),
    (403, {}, error("AccessDenied", "Access Denied"),
     "AccessDenied to bucket mlflow-artifacts at %s: the access key may not list it (s3:ListBucket) under prefix "
     "experiments/" % E),
    (301, {"x-amz-bucket-region": "eu-west-1"}, error("PermanentRedirect", "The bucket you are attempting to access "
                                                      "must be addressed using the specified endpoint.",
                                                      "<Endpoint>mlflow-artifacts.s3.eu-west-1.amazonaws.com"
                                                      "</Endpoint>"),
     "S3 bucket mlflow-artifacts is not in region us-east-1 (it is in eu-west-1): set region (or endpoint_url) to "
     "its region"),
    (301, {}, error("PermanentRedirect", "", "<Endpoint>mlflow-artifacts.s3.eu-west-1.amazonaws.com</Endpoint>"),
     "S3 bucket mlflow-artifacts is not in region us-east-1 (S3 names the endpoint "
     "mlflow-artifacts.s3.eu-west-1.amazonaws.com): set region (or endpoint_url) to its region"),
    (301, {"x-amz-bucket-region": "eu-west-1"}, b"",
     "S3 bucket mlflow-artifacts is not in region us-east-1 (it is in eu-west-1): set region (or endpoint_url) to "
     "its region"),
    (400, {}, error("AuthorizationHeaderMalformed", "The authorization header is malformed; the region 'us-east-1' is "
                    "wrong; expecting 'eu-west-1'", "<Region>eu-west-1</Region>"),
     "S3 at %s expects requests for bucket mlflow-artifacts signed for another region than us-east-1 (it is in "
     "eu-west-1): set region" % E),
    (403, {}, error("RequestTimeTooSkewed", "The difference between the request time and the current time is too "
                    "large."),
     "S3 at %s refused the request: this host's clock differs from the server's by more than 15 minutes "
     "(RequestTimeTooSkewed); set the time (NTP)" % E),
    (400, {}, error("ExpiredToken", "The provided token has expired."),
     "S3 at %s refused the session token: it has expired (ExpiredToken)" % E),
    (503, {}, error("SlowDown", "Please reduce your request rate."),
     "S3 at %s refused to list bucket mlflow-artifacts: HTTP 503 SlowDown: Please reduce your request rate." % E),
    (502, {}, b"<html><body>Bad Gateway</body></html>",
     "S3 at %s answered HTTP 502 Bad Gateway with no S3 error: is it an S3 endpoint?" % E),
    (200, {}, b"<html>a web site</html>", "%s answered HTTP 200 without a bucket listing: is it an S3 endpoint?" % E),
])
def test_each_answer_has_its_message(status, headers, body, message):
    problem = answer_problem(status, {200: "OK", 502: "Bad Gateway"}.get(status, ""), headers, body,
                             "mlflow-artifacts", "experiments/", E, "us-east-1")
    assert str(problem) == message


def test_a_listing_is_no_problem_and_tells_whether_the_prefix_holds_keys():
    listing = (b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
               b'<Name>mlflow-artifacts</Name><Prefix>experiments/</Prefix><KeyCount>1</KeyCount><MaxKeys>1</MaxKeys>'
               b'<IsTruncated>true</IsTruncated><Contents><Key>experiments/1/meta.yaml</Key></Contents>'
               b'</ListBucketResult>')
    assert answer_problem(200, "OK", {}, listing, "mlflow-artifacts", "experiments/", E, "us-east-1") is None
    assert key_count(listing) == 1
    assert key_count(b"<ListBucketResult><KeyCount>0</KeyCount></ListBucketResult>") == 0
    assert key_count(b"<ListBucketResult><Contents><Key>a</Key></Contents></ListBucketResult>") == 1


def test_secrets_are_masked_in_any_text():
    assert scrub("key AKIAIOSFODNN7EXAMPLE and s3cret", ["AKIAIOSFODNN7EXAMPLE", "s3cret", None, ""]) == \
        "key ******** and ********"


# -- TLS against a local HTTPS stand-in --------------------------------------------------------

LISTING = b'<ListBucketResult><Name>mlflow</Name><KeyCount>0</KeyCount></ListBucketResult>'


class Handler(http.server.BaseHTTPRequestHandler):
    requests = []

    def do_GET(self):  # noqa: N802 - http.server's name
        Handler.requests.append((self.path, dict(self.headers)))
        self.send_response(200)
        self.send_header("Content-Length", str(len(LISTING)))
        self.end_headers()
        self.wfile.write(LISTING)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def https_endpoint(tmp_path_factory):
    directory = tmp_path_factory.mktemp("s3-tls")
    ca_key, ca = make_ca("sfmlops test CA")
    _other_key, other = make_ca("sfmlops other CA")
    key, certificate = make_server_certificate(ca_key, ca)
    (directory / "ca.pem").write_bytes(pem_certificate(ca))
    (directory / "other.pem").write_bytes(pem_certificate(other))
    (directory / "server.pem").write_bytes(pem_certificate(certificate) + pem_key(key))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(directory / "server.pem"))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield dict(url="https://127.0.0.1:%d" % server.server_address[1], ca=str(directory / "ca.pem"),
               other=str(directory / "other.pem"), port=server.server_address[1])
    server.shutdown()
    server.server_close()


def test_a_certificate_of_the_given_ca_passes_and_the_request_is_signed(https_endpoint):
    found = check_bucket("mlflow", ACCESS_KEY, SECRET_KEY, prefix="runs/", endpoint_url=https_endpoint["url"],
                         ca_path=https_endpoint["ca"], timeout=5)
    assert found == dict(endpoint=https_endpoint["url"], url=https_endpoint["url"] + "/mlflow", bucket="mlflow",
                         prefix="runs/", region="us-east-1", path_style=True, prefix_has_objects=False)
    path, headers = Handler.requests[-1]
    assert path == "/mlflow?list-type=2&max-keys=1&prefix=runs%2F"
    assert headers["host"] == "127.0.0.1:%d" % https_endpoint["port"]
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/")
    assert headers["x-amz-content-sha256"] == EMPTY_SHA256
    assert SECRET_KEY not in str(headers)


def test_a_certificate_of_another_ca_fails_unless_verification_is_off(https_endpoint):
    with pytest.raises(S3Problem) as refused:
        check_bucket("mlflow", ACCESS_KEY, SECRET_KEY, endpoint_url=https_endpoint["url"],
                     ca_path=https_endpoint["other"], timeout=5)
    assert str(refused.value) == "the TLS certificate of S3 at %s is not trusted by ca_path %s: unable to get " \
        "local issuer certificate" % (https_endpoint["url"], https_endpoint["other"])
    with pytest.raises(S3Problem, match="not trusted by this host.s system CA store: .*give ca_path"):
        check_bucket("mlflow", ACCESS_KEY, SECRET_KEY, endpoint_url=https_endpoint["url"], timeout=5)
    assert check_bucket("mlflow", ACCESS_KEY, SECRET_KEY, endpoint_url=https_endpoint["url"], validate_certs=False,
                        timeout=5)["bucket"] == "mlflow"


def test_a_name_the_certificate_does_not_hold_fails(https_endpoint):
    url = "https://localhost:%d" % https_endpoint["port"]
    with pytest.raises(S3Problem, match="the TLS certificate of S3 at %s is not for localhost: Hostname mismatch"
                                        % url):
        check_bucket("mlflow", ACCESS_KEY, SECRET_KEY, endpoint_url=url, ca_path=https_endpoint["ca"], timeout=5)


def test_an_endpoint_that_does_not_answer_is_named(tmp_path):
    with pytest.raises(S3Problem, match=r"^S3 at http://127.0.0.1:1 does not answer \(connection refused\)$"):
        check_bucket("mlflow", ACCESS_KEY, SECRET_KEY, endpoint_url="http://127.0.0.1:1", timeout=2)
    with pytest.raises(S3Problem, match=r"^S3 at https://s3.example.invalid does not answer \(cannot resolve "
                                        r"s3.example.invalid"):
        check_bucket("mlflow", ACCESS_KEY, SECRET_KEY, endpoint_url="https://s3.example.invalid", timeout=2)
    with pytest.raises(S3Problem, match="cannot read ca_path %s" % (tmp_path / "none.pem")):
        check_bucket("mlflow", ACCESS_KEY, SECRET_KEY, endpoint_url="https://127.0.0.1:1",
                     ca_path=str(tmp_path / "none.pem"), timeout=2)
