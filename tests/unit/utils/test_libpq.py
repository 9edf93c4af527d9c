"""tests/utils/libpq.py reads a password file as libpq does (the cases of PostgreSQL's
documentation of the password file, and of fe-connect.c)."""

from utils.libpq import pgpass_lookup


def test_fields_match_in_order_and_the_first_matching_line_wins():
    text = "db1:5432:mlflow:mlflow:first\ndb1:5432:*:mlflow:second\n"
    assert pgpass_lookup(text, "db1", 5432, "mlflow", "mlflow") == "first"
    assert pgpass_lookup(text, "db1", 5432, "other", "mlflow") == "second"
    assert pgpass_lookup(text, "db1", 5433, "mlflow", "mlflow") is None
    assert pgpass_lookup(text, "db2", 5432, "mlflow", "mlflow") is None


def test_a_star_matches_anything_and_a_comment_nothing():
    text = "# db1:5432:mlflow:mlflow:commented\n*:*:*:*:any\n"
    assert pgpass_lookup(text, "db1", 5432, "mlflow", "mlflow") == "any"


def test_backslash_escapes_colon_and_backslash_in_every_field():
    text = "h\\:x:5432:d\\\\b:u:p\\:a\\\\ss:ignored\r\n"
    assert pgpass_lookup(text, "h:x", 5432, "d\\b", "u") == "p:a\\ss"
    # Unescaped, a colon ends the password.
    assert pgpass_lookup("h:5432:db:u:p:w\n", "h", 5432, "db", "u") == "p"


def test_a_field_must_match_whole():
    assert pgpass_lookup("db1:5432:mlflow:mlflow:pw\n", "db1", 5432, "mlflow_auth", "mlflow") is None
    assert pgpass_lookup("db1:5432:mlflow_auth:mlflow:pw\n", "db1", 5432, "mlflow", "mlflow") is None
