"""Domain errors: each names what is wrong, and carries the data a client needs."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule the Council's record enforces."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Conflict(DomainError):
    """A write based on a stale revision; carries the current one."""

    def __init__(self, message: str, *, current_revision: int) -> None:
        super().__init__(message)
        self.current_revision = current_revision


class NotAllowed(DomainError):
    """Who is acting may not do this."""


class NotFound(DomainError):
    """The named thing does not exist (or is not visible to the actor)."""

    def __init__(self, message: str, *, kind: str, id: object) -> None:
        super().__init__(message)
        self.kind = kind
        self.id = id


class Invalid(DomainError):
    """Bad input; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


class WrongState(DomainError):
    """The thing exists but its lifecycle does not allow this now."""

    def __init__(self, message: str, *, state: str) -> None:
        super().__init__(message)
        self.state = state
