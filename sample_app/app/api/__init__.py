"""JSON API blueprint "api", mounted at API_PREFIX."""

from .routes import api_bp

API_PREFIX = "/api/v1"

__all__ = ["API_PREFIX", "api_bp"]
