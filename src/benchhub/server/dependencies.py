"""Per-request dependencies: the hub the app serves and one database session per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from benchhub.hub import Hub


def get_hub(request: Request) -> Hub:
    return request.app.state.hub


def db_session(hub: Annotated[Hub, Depends(get_hub)]) -> Iterator[Session]:
    """One session per request, shared by every dependency of the request and closed after it."""
    with hub.session() as session:
        yield session


HubDep = Annotated[Hub, Depends(get_hub)]
SessionDep = Annotated[Session, Depends(db_session)]
