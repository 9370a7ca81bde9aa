"""deploy/: the compose file is valid Compose, its council services are the processes the
multi-process test runs, and the example configuration names every setting the code reads."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from graphql_api.settings import Settings
from tests.deploy_support import (
    DEPLOY,
    ENV_EXAMPLE,
    ROOT,
    council_processes,
    council_services,
    env_example_lines,
    load_compose,
    settings_read,
)

SCHEMA_FILE = Path(__file__).parent / "data" / "compose-spec.json"


def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft201909Validator.check_schema(schema)  # the draft its $schema names
    return jsonschema.Draft201909Validator(schema)


def test_the_vendored_schema_is_the_one_its_readme_names() -> None:
    readme = (SCHEMA_FILE.parent / "README.md").read_text(encoding="utf-8")
    assert "Apache License 2.0" in readme
    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() in readme


def test_the_compose_file_follows_the_compose_specification() -> None:
    errors = sorted(_validator().iter_errors(load_compose()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_the_schema_rejects_what_compose_would_reject() -> None:
    """The vendored schema does bite: a misspelt key and a wrong depends_on condition."""
    validator = _validator()
    misspelt = copy.deepcopy(load_compose())
    misspelt["services"]["migrate"]["comand"] = ["db", "init"]
    assert not validator.is_valid(misspelt)
    wrong = copy.deepcopy(load_compose())
    wrong["services"]["api-1"]["depends_on"]["migrate"]["condition"] = "service_done"
    assert not validator.is_valid(wrong)


def test_the_services_run_the_processes_the_multi_process_test_runs() -> None:
    """tests/test_multi_process.py starts exactly these, read from the same file."""
    processes = council_processes()
    assert [(p.service, p.kind, p.args, p.replicas) for p in processes] == [
        ("migrate", "migrate", ("db", "init"), 1),
        ("api-1", "serve", ("serve", "--host", "0.0.0.0"), 1),
        ("api-2", "serve", ("serve", "--host", "0.0.0.0"), 1),
        ("worker", "project", ("project",), 2),
    ]
    compose = load_compose()
    assert set(compose["services"]) == {"postgres", *(p.service for p in processes)}


def test_every_council_process_comes_from_one_image_and_one_env_file() -> None:
    compose = load_compose()
    services = council_services(compose)
    assert {s["image"] for s in services.values()} == {"council-ledger:latest"}
    assert {s["build"]["dockerfile"] for s in services.values()} == {"deploy/Dockerfile"}
    assert all(s["env_file"] == "council.env" for s in services.values())
    declared = set(compose.get("secrets", {}))
    for name, service in compose["services"].items():
        assert set(service.get("secrets", [])) <= declared, name


def test_the_processes_wait_for_the_database_and_the_migration() -> None:
    compose = load_compose()
    postgres = compose["services"]["postgres"]
    assert postgres["healthcheck"]["test"]
    [volume] = postgres["volumes"]
    assert volume.split(":")[0] in compose["volumes"]
    migrate = compose["services"]["migrate"]
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert migrate["restart"] == "no"
    for process in council_processes():
        if process.service != "migrate":
            service = compose["services"][process.service]
            assert service["depends_on"] == {
                "migrate": {"condition": "service_completed_successfully"}
            }, process.service


def test_the_example_configuration_names_every_setting_and_nothing_else() -> None:
    names = [name for name, _, _ in env_example_lines()]
    assert len(names) == len(set(names)), "a setting is named twice"
    assert set(names) == settings_read()


def test_each_setting_of_the_example_is_explained() -> None:
    """One comment per setting, just above it: what it means, its default, its allowed values."""
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").split("\n\n")
    for name, _, _ in env_example_lines():
        [block] = [b for b in lines if f"# {name}:" in b]
        comment = " ".join(line for line in block.splitlines() if not line.startswith(name))
        assert "Default:" in comment, name
        assert "Allowed:" in comment, name


def test_the_example_configuration_is_accepted(tmp_path: Path) -> None:
    key = tmp_path / "audit-key.pem"
    key.write_text("a key file\n")
    env = {name: value for name, value, is_set in env_example_lines() if is_set}
    settings = Settings.from_env({**env, "COUNCIL_AUDIT_KEY_FILE": str(key)})
    assert settings.production
    assert settings.database.engine == "postgres"
    assert not settings.graphiql
    assert not settings.introspection


@pytest.mark.parametrize(
    "expected",
    [
        "FROM python:3.11-slim",
        "libpango-1.0-0",
        "RUN pip install .",
        "USER council",
        'ENTRYPOINT ["council"]',
    ],
)
def test_the_image_definition(expected: str) -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert expected in dockerfile


def test_the_build_context_holds_what_the_image_copies() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    copied: list[Any] = [
        part
        for line in dockerfile.splitlines()
        if line.startswith("COPY ")
        for part in line.split()[1:-1]
    ]
    assert copied
    for part in copied:
        assert (ROOT / part).exists(), part
