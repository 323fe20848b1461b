"""The hub server: a JSON API (and, later, a web UI) over the same services as the command line."""

from benchhub.server.app import create_app

__all__ = ["create_app"]
