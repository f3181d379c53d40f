"""Errors as RFC 9457 problems (``application/problem+json``): the handlers the app installs.

The body names the error of ringfence's tree (``error``) and its code, with the error's message as
``detail``; the status comes from :func:`~ringfence.http.errors.status_for`. A request the schema
refuses is an ``InvalidCommand`` (422) listing each problem's location; an unknown route is
``NotFound`` (404); anything unexpected is ``InternalError`` (500), logged with its traceback on the
server and never sent to the client.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ringfence.core.errors import RingfenceError, UnknownEntity
from ringfence.http.errors import RateLimited, public_name, status_for

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "ProblemResponse",
    "error_problem",
    "install_problem_handlers",
    "problem_response",
    "unexpected_problem",
    "validation_problem",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
_log = logging.getLogger("ringfence.http")

_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Refused by the venue",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    503: "Journal unavailable",
}


class ProblemResponse(JSONResponse):
    """A JSON response with the problem media type."""

    media_type = PROBLEM_MEDIA_TYPE


def problem_response(
    status: int, error: str, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> ProblemResponse:
    """Return a problem response."""
    body = {
        "type": f"urn:ringfence:error:{error}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "error": error,
        "code": code,
        **extra,
    }
    return ProblemResponse(body, status_code=status, headers=headers)


def error_response(error: RingfenceError, status: int | None = None) -> ProblemResponse:
    """Return the problem response of an error of the tree."""
    status = status_for(error) if status is None else status
    headers = None
    if isinstance(error, RateLimited):
        headers = {"Retry-After": str(max(1, math.ceil(error.retry_after_s)))}
    if type(error) is RingfenceError:  # the writer's report of an error outside the tree
        return problem_response(500, "InternalError", "internal_error", error.message)
    return problem_response(status, public_name(error), error.code, error.message, headers)


def validation_problem(errors: list[Any]) -> ProblemResponse:
    """Return the 422 problem of a request the schema refused, each problem at its location."""
    listed = [
        {
            "loc": [str(part) for part in item.get("loc", ())],
            "msg": str(item.get("msg", "")),
            "type": str(item.get("type", "")),
        }
        for item in errors
    ]
    detail = "; ".join(f"{'.'.join(item['loc'])}: {item['msg']}" for item in listed[:10]) or "invalid request"
    return problem_response(422, "InvalidCommand", "invalid_command", detail, errors=listed)


def error_problem(method: str, path: str, error: RingfenceError) -> ProblemResponse:
    """Return the problem of an error of the tree a request ``METHOD PATH`` raised (a 5xx is logged)."""
    if status_for(error) >= 500:
        _log.error("request %s %s failed: %s", method, path, error, exc_info=error)
    if isinstance(error, UnknownEntity) and method in ("GET", "HEAD"):
        return error_response(error, 404)  # a query's resource; in a command's body it stays 422
    return error_response(error)


def unexpected_problem(method: str, path: str, error: BaseException) -> ProblemResponse:
    """Return the 500 problem of an error outside the tree, logged with its traceback (which the client never sees)."""
    _log.error("request %s %s failed", method, path, exc_info=error)
    return problem_response(500, "InternalError", "internal_error", "the service failed (see its log)")


async def _ringfence_error(request: Request, error: Exception) -> ProblemResponse:
    if not isinstance(error, RingfenceError):  # pragma: no cover - registered for RingfenceError only
        return await _unexpected(request, error)
    return error_problem(request.method, request.url.path, error)


async def _validation_error(request: Request, error: Exception) -> ProblemResponse:
    if isinstance(error, RequestValidationError):
        return validation_problem(list(error.errors()))
    return await _unexpected(request, error)  # pragma: no cover


async def _http_error(request: Request, error: Exception) -> ProblemResponse:
    if not isinstance(error, StarletteHTTPException):  # pragma: no cover
        return await _unexpected(request, error)
    if error.status_code == 400:  # FastAPI's "error parsing the body": a malformed body like any other
        return problem_response(422, "InvalidCommand", "invalid_command", f"the body is not valid JSON: {error.detail}")
    name = {404: "NotFound", 405: "MethodNotAllowed"}.get(error.status_code, "HTTPError")
    code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
    detail = str(error.detail) if error.status_code != 404 else f"no such resource: {request.url.path}"
    return problem_response(error.status_code, name, code, detail, dict(error.headers or {}) or None)


async def _unexpected(request: Request, error: Exception) -> ProblemResponse:
    return unexpected_problem(request.method, request.url.path, error)


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` a problem response."""
    app.add_exception_handler(RingfenceError, _ringfence_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
