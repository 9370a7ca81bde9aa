"""Structured logs: one line per request (JSON in production) with request id, member,
operation, duration and log position. Configured once by ``council serve``."""

from __future__ import annotations

import logging
from typing import Any

import structlog

from graphql_api.settings import Settings


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings.log_level.upper())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if settings.log_format == "json":
        processors.append(structlog.processors.dict_tracebacks)
    processors.append(renderer)
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # Whatever sys.stdout is when a line is written, not the one at configuration.
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=True,
    )


def log_request(**fields: Any) -> None:
    """The one line of a request: request_id, member, operation, duration_ms, log_position."""
    structlog.get_logger("council.api").info("request", **fields)
