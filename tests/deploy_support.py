"""What deploy/ declares, read the way the tests need it: the council processes of
deploy/compose.yaml (which the multi-process test starts as they are declared there), the settings
of deploy/council.env.example and the settings graphql_api/settings.py reads.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from graphql_api import settings as settings_module
from graphql_api.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "council.env.example"
IMAGE = "council-ledger"
ENV_LINE = re.compile(r"^(#\s*)?(COUNCIL_[A-Z0-9_]+)=(.*)$")


def load_compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return data


def council_services(compose: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run the council-ledger image, by name."""
    return {
        name: service
        for name, service in compose["services"].items()
        if str(service.get("image", "")).split(":")[0] == IMAGE
    }


@dataclass(frozen=True)
class Process:
    """One council service of the compose file: its `council` arguments and how it runs."""

    service: str
    args: tuple[str, ...]
    replicas: int
    one_shot: bool

    @property
    def kind(self) -> str:
        """`migrate`, `serve` or `project`: the roles the multi-process test knows how to run."""
        if self.args == ("db", "init"):
            return "migrate"
        if self.args[:1] == ("serve",):
            return "serve"
        if self.args == ("project",):
            return "project"
        raise ValueError(f"service {self.service}: no test runs `council {' '.join(self.args)}`")


def council_processes() -> list[Process]:
    """The council processes of deploy/compose.yaml: the one-shot ones first, in file order."""
    processes = []
    for name, service in council_services(load_compose()).items():
        command = service.get("command")
        if not isinstance(command, list):
            raise ValueError(f"service {name}: write `command` as a list of arguments")
        processes.append(
            Process(
                service=name,
                args=tuple(str(arg) for arg in command),
                replicas=int(service.get("deploy", {}).get("replicas", 1)),
                one_shot=service.get("restart") == "no",
            )
        )
    return sorted(processes, key=lambda process: not process.one_shot)


def env_example_lines() -> Iterator[tuple[str, str, bool]]:
    """(name, value, set) for each setting of council.env.example; commented-out ones unset."""
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = ENV_LINE.match(line)
        if match:
            yield match.group(2), match.group(3), match.group(1) is None


class _Recording(dict[str, str]):
    """An empty environment that notes every name looked up in it."""

    def __init__(self) -> None:
        super().__init__()
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


def settings_read() -> set[str]:
    """Every environment variable graphql_api/settings.py reads.

    Both the names looked up while settings are read from an empty environment and every
    COUNCIL_* name that stands alone as a string in the module's source (a name read only in
    production, or only when another setting has some value, is found there).
    """
    recording = _Recording()
    Settings.from_env(recording)
    source = Path(settings_module.__file__).read_text(encoding="utf-8")
    constants = {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"COUNCIL_[A-Z0-9_]+", node.value)
    }
    return recording.read | constants
