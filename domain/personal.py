"""Personal data of people (names, e-mail): sealed per person, erasable without breaking history."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class PersonalDataVault(Protocol):
    """Seals a person's data with a key of their own; erasure destroys the key."""

    def seal(self, person_id: UUID, data: dict[str, str]) -> str:
        """Encrypt ``data`` for ``person_id`` (creating the person's key) and return text."""
        ...

    def unseal(self, person_id: UUID, sealed: str) -> dict[str, str] | None:
        """The data, or None once the person's key was destroyed."""
        ...

    def erase(self, person_id: UUID) -> None:
        """Destroy the person's key, for good."""
        ...
