"""HTML pages blueprint "main"."""

from .views import main_bp

__all__ = ["main_bp"]
