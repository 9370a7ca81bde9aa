"""What every resolver receives: the services, the viewer, the request's loaders and its id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry

from graphql_api.auth import Viewer, Viewers
from graphql_api.live import LiveFeed
from graphql_api.loaders import Loaders
from graphql_api.runtime import Runtime
from projections.queries.store import ReadStore


@dataclass(frozen=True)
class Services:
    """Built once per process by the app."""

    runtime: Runtime
    store: ReadStore
    feed: LiveFeed
    viewers: Viewers


@dataclass
class Context:
    services: Services
    viewer: Viewer
    request_id: str
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] | None = None
    operation_name: str | None = None
    log_position: int | None = field(default=None)
    _loaders: Loaders | None = field(default=None, repr=False)

    @classmethod
    def create(cls, services: Services, viewer: Viewer, request_id: str, **kwargs: Any) -> Context:
        return cls(services=services, viewer=viewer, request_id=request_id, **kwargs)

    @property
    def loaders(self) -> Loaders:
        """Made when first asked for: a request answered from the response cache needs none."""
        if self._loaders is None:
            self._loaders = Loaders(self.services.runtime, self.services.store)
        return self._loaders

    def refresh(self) -> None:
        """Forget what this request's loaders read."""
        self._loaders = None

    def after_write(self, log_position: int) -> None:
        """A mutation was stored and projected: later reads in this request see it."""
        self.log_position = log_position
        self.refresh()
        self.services.feed.poke()


Info = strawberry.Info[Context, None]
