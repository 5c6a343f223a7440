"""JSON API blueprint "api", mounted at API_PREFIX."""

from . import jobs  # noqa: F401  (adds the job views to api_bp)
from .routes import api_bp

API_PREFIX = "/api/v1"

__all__ = ["API_PREFIX", "api_bp"]
