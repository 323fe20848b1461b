"""Creates the hub server: the JSON API under /api, its OpenAPI document at /openapi.json."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from benchhub._version import __version__
from benchhub.config import HubConfig
from benchhub.hub import Hub
from benchhub.server import (
    api_accounts,
    api_benchmarks,
    api_catalog,
    api_jobs,
    api_uploads,
    web,
    web_benchmarks,
    web_jobs,
)
from benchhub.server.body_limit import BodyLimit
from benchhub.server.dependencies import SessionDep
from benchhub.server.errors import install_error_handlers
from benchhub.server.in_process_scoring import WorkerSettings, scoring_lifespan
from benchhub.server.sessions import load_secret


def create_app(config: HubConfig | None = None, *, scoring: WorkerSettings | None = None) -> FastAPI:
    """Creates the server of the hub at `config` (default: where the environment says), opening its database now.

    Its scoring worker starts and stops with the server (`scoring`: whether and how; see in_process_scoring).
    """
    hub = Hub(config or HubConfig.from_env())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with scoring_lifespan(app):
            yield
        hub.close()

    app = _application(lifespan)
    app.state.hub = hub
    app.state.scoring = scoring or WorkerSettings()
    app.state.secret = load_secret(hub.config.home)
    app.add_middleware(BodyLimit, hub=hub, secret=app.state.secret)
    return app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document /openapi.json serves, built without opening a hub."""
    return _application(None).openapi()


def _application(lifespan: Any) -> FastAPI:
    """The routes, error handlers and static files: everything of the server that does not need its hub."""
    app = FastAPI(
        title="benchhub",
        version=__version__,
        description="A self-hosted evaluation hub: datasets, models, evaluations and leaderboards.",
        openapi_url="/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(api_catalog.router)
    app.include_router(api_accounts.router)
    app.include_router(api_benchmarks.router)
    app.include_router(api_jobs.router)
    app.include_router(api_uploads.router)
    app.include_router(web.router)
    app.include_router(web_benchmarks.router)
    app.include_router(web_jobs.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static")
    app.add_api_route("/api/health", health, methods=["GET"], tags=["server"])
    return app


def health(session: SessionDep) -> dict[str, Any]:
    """Whether the server and its database answer."""
    session.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__, "database": session.get_bind().dialect.name}
