"""One error tree for every service, rendered as RFC 9457 problem details.

A service raises an `AppError`; the handlers installed by `install_error_handlers` turn it — and FastAPI's own validation,
routing and body errors — into `application/problem+json` with a stable `code`, a Chinese `title`/`detail` and, for field
problems, one `errors` entry per field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

__all__ = [
    "PROBLEM_JSON",
    "AppError",
    "BadRequest",
    "Conflict",
    "FieldError",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "Problem",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "ValidationFailed",
    "error_responses",
    "install_error_handlers",
    "problem_response",
]

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    field: str
    message: str
    code: str = "invalid"
    # The spreadsheet row a problem of an uploaded file is on, as its user sees it (the header is row 1); unset otherwise.
    row: int | None = None


class Problem(BaseModel):
    """The body of every error answer (RFC 9457 plus `code` and `errors`)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    code: str
    errors: list[FieldError] | None = None


class AppError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "服务器内部错误"
    # Set on errors that record something before refusing (a failed login, a reused refresh token): the request's session
    # commits what the service wrote instead of rolling it back.
    commit_session: ClassVar[bool] = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})

    def to_problem(self) -> Problem:
        return Problem(title=self.title, status=self.status, detail=self.detail, code=self.code, errors=self.errors)


class BadRequest(AppError):
    status = 400
    code = "bad_request"
    title = "请求格式错误"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"
    title = "未登录或登录已过期"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    title = "无权访问"


class NotFound(AppError):
    status = 404
    code = "not_found"
    title = "资源不存在"


class Conflict(AppError):
    status = 409
    code = "conflict"
    title = "与现有数据冲突"


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    title = "请求内容过大"


class ValidationFailed(AppError):
    status = 422
    code = "validation_failed"
    title = "提交的内容有误"

    @classmethod
    def field(cls, field: str, message: str, code: str = "invalid") -> ValidationFailed:
        return cls(errors=[FieldError(field=field, message=message, code=code)])


DATABASE_RETRY_AFTER_SECONDS = 2


class _RetryLater(AppError):
    def __init__(self, detail: str | None = None, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.retry_after = max(1, int(retry_after))
        self.headers["Retry-After"] = str(self.retry_after)


class TooManyRequests(_RetryLater):
    status = 429
    code = "too_many_requests"
    title = "请求过于频繁"


class ServiceUnavailable(_RetryLater):
    status = 503
    code = "service_unavailable"
    title = "服务暂不可用，请稍后重试"


def problem_response(problem: Problem, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(problem.model_dump(exclude_none=True), ensure_ascii=False).encode()
    return Response(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=dict(headers or {}))


def error_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the errors a route may answer with."""
    responses: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        entry = responses.setdefault(error.status, {"model": Problem, "description": error.title})
        if entry["description"] != error.title:
            entry["description"] = f"{entry['description']}；{error.title}"
    return responses


# Chinese messages for pydantic's error types; anything not listed keeps pydantic's English message.
_VALIDATION_MESSAGES = {
    "missing": "必填",
    "string_too_short": "太短",
    "string_too_long": "太长",
    "string_type": "应为文本",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为是或否",
    "bool_parsing": "应为是或否",
    "greater_than": "太小",
    "greater_than_equal": "太小",
    "less_than": "太大",
    "less_than_equal": "太大",
    "literal_error": "不是允许的值",
    "enum": "不是允许的值",
    "uuid_parsing": "不是有效的编号",
    "uuid_type": "不是有效的编号",
    "datetime_parsing": "不是有效的时间",
    "datetime_from_date_parsing": "不是有效的时间",
    "timezone_aware": "时间需带时区",
    "date_parsing": "不是有效的日期",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "extra_forbidden": "不允许的字段",
    "too_short": "太少",
    "too_long": "太多",
}


def _field_errors(exc: RequestValidationError) -> list[FieldError]:
    errors = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] in ("body", "query", "path", "header", "cookie"):
            location = location[1:]  # the field's own name is what a client can act on
        kind = str(error.get("type", "invalid"))
        if kind == "value_error" and "error" in error.get("ctx", {}):
            message = str(error["ctx"]["error"])  # our own validators speak Chinese already
        else:
            message = _VALIDATION_MESSAGES.get(kind, str(error.get("msg", "")))
        errors.append(FieldError(field=".".join(location) or "body", message=message, code=kind))
    return errors


async def _app_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return problem_response(exc.to_problem(), exc.headers)


async def _validation_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if any(error.get("type") == "json_invalid" for error in exc.errors()):
        return problem_response(BadRequest("请求体不是有效的 JSON").to_problem())
    return problem_response(ValidationFailed(errors=_field_errors(exc)).to_problem())


_HTTP_TITLES = {
    400: ("bad_request", "请求格式错误"),
    401: ("unauthorized", "未登录或登录已过期"),
    403: ("forbidden", "无权访问"),
    404: ("not_found", "资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("payload_too_large", "请求内容过大"),
}


async def _http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code, title = _HTTP_TITLES.get(exc.status_code, ("http_error", "请求失败"))
    problem = Problem(title=title, status=exc.status_code, code=code)
    return problem_response(problem, exc.headers)


async def _overflow_handler(request: Request, exc: Exception) -> Response:
    """SQLite cannot bind an integer past 64 bits (MySQL compares it and finds nothing): such an id names no row."""
    problem = Problem(title=_HTTP_TITLES[404][1], status=404, code="not_found", detail="编号超出范围，没有这样的记录")
    return problem_response(problem)


async def _database_error_handler(request: Request, exc: Exception) -> Response:
    """A database that went away (a restart, a cut): the request changed nothing, and the pool has already dropped the
    dead connections, so trying again shortly works. Any other database error is a bug, answered as one."""
    assert isinstance(exc, DBAPIError)
    if exc.connection_invalidated or isinstance(exc, OperationalError):
        error = ServiceUnavailable("数据库暂不可用，请稍后重试", retry_after=DATABASE_RETRY_AFTER_SECONDS)
        return problem_response(error.to_problem(), error.headers)
    return await _unexpected_error_handler(request, exc)


async def _unexpected_error_handler(request: Request, exc: Exception) -> Response:
    return problem_response(AppError().to_problem())


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _unexpected_error_handler)
    app.add_exception_handler(AppError, _app_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)
    app.add_exception_handler(OverflowError, _overflow_handler)
    app.add_exception_handler(DBAPIError, _database_error_handler)
