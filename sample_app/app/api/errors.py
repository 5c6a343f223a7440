"""JSON error responses for everything under the API prefix."""

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException


def register_error_handlers(app: Flask, api_prefix: str) -> None:
    """Answer HTTP errors under ``api_prefix`` with JSON instead of Flask's HTML pages.

    Registered on the app rather than the blueprint so that routing errors (an unknown
    URL or a wrong method, raised before any blueprint is chosen) are covered too.
    """

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException) -> HTTPException | tuple[Response, int]:
        in_api = request.path == api_prefix or request.path.startswith(api_prefix + "/")
        # Redirects (e.g. a missing trailing slash) are HTTPExceptions too: pass them on.
        if not in_api or exc.code is None or exc.code < 400:
            return exc
        return jsonify(error=exc.description, status=exc.code), exc.code
