"""Settings are checked when a command starts: every wrong value stops it with a message that
names the variable (or the option), and a password in a database URL is never repeated."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphql_api import cli
from graphql_api.oidc import OidcConfig
from graphql_api.settings import (
    DEFAULT_OIDC_MEMBER_CLAIM,
    OidcSettings,
    Settings,
    SettingsError,
    parse_port,
)

SECRET = "a-settings-test-signing-key-0123456789abcdef"
PG = "postgresql://council:s3cret-pw@db.example.org:5432/council"
ISSUER = "https://login.example.org/realms/council"
JWKS = "https://login.example.org/realms/council/protocol/openid-connect/certs"


def refused(env: dict[str, str]) -> str:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)
    return str(raised.value)


def test_no_configuration_is_the_embedded_database_in_the_working_directory() -> None:
    settings = Settings.from_env({})
    assert settings.embedded
    assert settings.database_url == "sqlite:///council.db"
    assert settings.oidc is None
    assert settings.projection_wait_seconds == 10.0


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://council@db/council", "mysql:// is not a database URL"),
        ("council.db", "a value without scheme:// is not a database URL"),
        ("sqlite:council.db", "a value without scheme:// is not a database URL"),
        ("sqlite://council.db", "a SQLite URL starts with sqlite:///"),
        ("sqlite:///", "a sqlite URL names a file"),
        ("postgresql://council:s3cret-pw@db.example.org:5432/", "names its database"),
        ("postgresql://council:s3cret-pw@db.example.org:54x2/council", "port"),
        ("postgresql://council:s3cret-pw@db.example.org:70000/council", "1 to 65535"),
        ("postgresql://council:s3cret-pw@db.example.org:0/council", "1 to 65535"),
        ("postgresql://council:s3cret-pw@db.example.org:/council", "1 to 65535"),
        ("postgresql://council:s3cret-pw@db.example.org/council?sslmode=require", "query"),
        ("postgresql://council:s3cret pw@db.example.org/council", "spaces"),
    ],
)
def test_a_malformed_database_url_is_named_and_its_password_not_repeated(
    url: str, expected: str
) -> None:
    message = refused({"COUNCIL_DATABASE_URL": url, "COUNCIL_SECRET_KEY": SECRET})
    assert message.startswith("COUNCIL_DATABASE_URL: ")
    assert expected in message
    assert "s3cret" not in message


def test_a_postgresql_url_with_its_parts() -> None:
    settings = Settings.from_env({"COUNCIL_DATABASE_URL": PG, "COUNCIL_SCHEMA": "serbia"})
    assert (settings.database.host, settings.database.port) == ("db.example.org", 5432)
    assert (settings.database.dbname, settings.schema) == ("council", "serbia")


@pytest.mark.parametrize("schema", ["Serbia", "serbia-nmrf", "9lives", "x" * 42, "a b"])
def test_a_bad_schema_names_council_schema(schema: str) -> None:
    message = refused({"COUNCIL_DATABASE_URL": PG, "COUNCIL_SCHEMA": schema})
    assert message.startswith("COUNCIL_SCHEMA: ")


def test_production_needs_postgresql_a_secret_and_an_audit_key(tmp_path: Path) -> None:
    key = tmp_path / "audit.pem"
    key.write_text("not checked here")
    production = {"COUNCIL_PRODUCTION": "on", "COUNCIL_AUDIT_KEY_FILE": str(key)}
    assert refused({**production, "COUNCIL_DATABASE_URL": PG}) == (
        "COUNCIL_SECRET_KEY must be set when COUNCIL_PRODUCTION is on"
    )
    assert refused({**production, "COUNCIL_SECRET_KEY": SECRET}).startswith(
        "COUNCIL_DATABASE_URL must name a PostgreSQL database"
    )
    assert refused(
        {"COUNCIL_PRODUCTION": "on", "COUNCIL_DATABASE_URL": PG, "COUNCIL_SECRET_KEY": SECRET}
    ).startswith("COUNCIL_AUDIT_KEY_FILE must name")
    assert (
        refused(
            {
                **production,
                "COUNCIL_DATABASE_URL": PG,
                "COUNCIL_SECRET_KEY": SECRET,
                "COUNCIL_AUDIT_KEY_FILE": str(tmp_path / "missing.pem"),
            }
        )
        == f"COUNCIL_AUDIT_KEY_FILE: no such file: {tmp_path / 'missing.pem'}"
    )
    settings = Settings.from_env(
        {**production, "COUNCIL_DATABASE_URL": PG, "COUNCIL_SECRET_KEY": SECRET}
    )
    assert settings.production
    assert not settings.graphiql
    assert not settings.introspection


def test_a_short_secret_is_refused() -> None:
    assert refused({"COUNCIL_SECRET_KEY": "too-short"}) == (
        "COUNCIL_SECRET_KEY must be at least 32 characters long"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ten", "'ten' is not a number"),
        ("10s", "'10s' is not a number"),
        ("nan", "'nan' is not a finite number"),
        ("inf", "'inf' is not a finite number"),
        ("1e999", "'1e999' is not a finite number"),
        ("0", "must be greater than 0"),
        ("-5", "must be greater than 0"),
    ],
)
def test_a_number_that_is_not_a_usable_number(raw: str, expected: str) -> None:
    message = refused({"COUNCIL_PROJECTION_WAIT_SECONDS": raw})
    assert message == f"COUNCIL_PROJECTION_WAIT_SECONDS: {expected}"


def test_a_number_of_seconds() -> None:
    assert (
        Settings.from_env({"COUNCIL_PROJECTION_WAIT_SECONDS": " 2.5 "}).projection_wait_seconds
        == 2.5
    )


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("COUNCIL_PRODUCTION", "maybe", "is not on/off"),
        ("COUNCIL_GRAPHIQL", "enabled", "is not on/off"),
        ("COUNCIL_INTROSPECTION", "2", "is not on/off"),
        ("COUNCIL_LOG_LEVEL", "verbose", "is not debug, info, warning or error"),
        ("COUNCIL_LOG_FORMAT", "xml", "is not json or console"),
        ("COUNCIL_ORIGIN", "two\nlines", "must be one line"),
        ("COUNCIL_AUDIT_SIGNER", "the secretariat", "must be one word"),
    ],
)
def test_other_wrong_values_name_their_variable(name: str, raw: str, expected: str) -> None:
    message = refused({name: raw})
    assert message.startswith(f"{name}: ")
    assert expected in message


def test_an_oidc_provider_is_read_whole() -> None:
    env = {
        "COUNCIL_OIDC_ISSUER": ISSUER,
        "COUNCIL_OIDC_AUDIENCE": "council-ledger",
        "COUNCIL_OIDC_JWKS_URL": JWKS,
    }
    assert Settings.from_env(env).oidc == OidcSettings(ISSUER, "council-ledger", JWKS)
    # The default claim is the one the verifier reads.
    assert OidcConfig(ISSUER, "a", JWKS).member_claim == DEFAULT_OIDC_MEMBER_CLAIM
    claimed = Settings.from_env({**env, "COUNCIL_OIDC_MEMBER_CLAIM": "nmrf_member"})
    assert claimed.oidc is not None
    assert claimed.oidc.member_claim == "nmrf_member"
    config = cli.oidc_config(claimed)
    assert config == OidcConfig(ISSUER, "council-ledger", JWKS, member_claim="nmrf_member")
    assert cli.oidc_config(Settings.from_env({})) is None


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"COUNCIL_OIDC_ISSUER": ISSUER},
            "COUNCIL_OIDC_AUDIENCE and COUNCIL_OIDC_JWKS_URL must be set too",
        ),
        (
            {"COUNCIL_OIDC_ISSUER": ISSUER, "COUNCIL_OIDC_AUDIENCE": "council-ledger"},
            "COUNCIL_OIDC_JWKS_URL must be set too",
        ),
        (
            {"COUNCIL_OIDC_JWKS_URL": JWKS, "COUNCIL_OIDC_AUDIENCE": "council-ledger"},
            "COUNCIL_OIDC_ISSUER must be set too",
        ),
        (
            {"COUNCIL_OIDC_MEMBER_CLAIM": "nmrf_member"},
            "COUNCIL_OIDC_MEMBER_CLAIM is set, but",
        ),
    ],
)
def test_an_oidc_provider_is_all_or_nothing(env: dict[str, str], expected: str) -> None:
    assert refused(env).startswith(expected)


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("COUNCIL_OIDC_ISSUER", "login.example.org/realms/council", "is not an http(s) URL"),
        ("COUNCIL_OIDC_ISSUER", "ftp://login.example.org/", "is not an http(s) URL"),
        ("COUNCIL_OIDC_JWKS_URL", "file:///etc/keys.json", "is not an http(s) URL"),
        ("COUNCIL_OIDC_JWKS_URL", "https:///certs", "is not an http(s) URL"),
        ("COUNCIL_OIDC_JWKS_URL", "https://login.example.org:99999/certs", "port"),
        ("COUNCIL_OIDC_JWKS_URL", "https://login.example.org/my certs", "spaces"),
        ("COUNCIL_OIDC_MEMBER_CLAIM", "member id", "must be one word"),
        ("COUNCIL_OIDC_AUDIENCE", "two\nlines", "must be one line"),
    ],
)
def test_a_wrong_oidc_value_names_its_variable(name: str, raw: str, expected: str) -> None:
    env = {
        "COUNCIL_OIDC_ISSUER": ISSUER,
        "COUNCIL_OIDC_AUDIENCE": "council-ledger",
        "COUNCIL_OIDC_JWKS_URL": JWKS,
        name: raw,
    }
    message = refused(env)
    assert message.startswith(f"{name}: ")
    assert expected in message


@pytest.mark.parametrize("raw", ["80", "8000", "65535", " 443 "])
def test_a_port(raw: str) -> None:
    assert parse_port(raw) == int(raw)


@pytest.mark.parametrize("raw", ["0", "65536", "-1", "http", "80.5", "", "８０"])
def test_serve_refuses_a_bad_port(raw: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["serve", "--port", raw])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --port: {raw!r} is not a port number (a whole number from 1 to 65535)" in err


@pytest.mark.parametrize("raw", ["0", "soon", "-3"])
def test_serve_refuses_a_bad_shutdown_timeout(raw: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["serve", "--shutdown-timeout", raw])
    assert exited.value.code == 2
    assert "argument --shutdown-timeout: " in capsys.readouterr().err


def test_a_command_stops_at_start_with_the_variable_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COUNCIL_PROJECTION_WAIT_SECONDS", "soon")
    assert cli.main(["db", "init"]) == 2
    assert capsys.readouterr().err == (
        "council: configuration: COUNCIL_PROJECTION_WAIT_SECONDS: 'soon' is not a number\n"
    )
    assert not list(tmp_path.iterdir())  # nothing was created


def test_serve_on_postgresql_without_a_secret_stops_before_serving(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the shared key every authenticated request would fail: refuse to start."""
    monkeypatch.setenv("COUNCIL_DATABASE_URL", PG)
    monkeypatch.delenv("COUNCIL_SECRET_KEY", raising=False)
    monkeypatch.delenv("COUNCIL_PRODUCTION", raising=False)
    assert cli.main(["serve", "--port", "8000"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "council: configuration: COUNCIL_SECRET_KEY must be set with a PostgreSQL"
    )


@pytest.mark.parametrize(
    "url", ["postgresql://ana:s3cr3t@db:54x/council", "mysql://ana:s3cr3t@db/council"]
)
def test_the_url_parser_itself_never_repeats_a_password(url: str) -> None:
    from projections.db import DatabaseUrl, DatabaseUrlError

    with pytest.raises(DatabaseUrlError) as refused:
        DatabaseUrl.parse(url)
    assert "s3cr3t" not in str(refused.value)
