"""The JSON API under /api/v1/ (django-ninja): push, list, read and withdraw completion records.
Every call carries `Authorization: Bearer <key>`; the reference page /api/v1/docs and the OpenAPI
document /api/v1/openapi.json are served by the portal from its own static files."""
from datetime import datetime

from csp.decorators import csp_update
from pydantic import field_validator
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils import timezone
from django.views.decorators.http import require_safe
from ninja import Field, NinjaAPI, Query, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.openapi.docs import Swagger
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import HttpBearer

from core import ratelimit
from hours.models import TrainingRecord

from . import keys, selectors, services
from .schemas import BatchIn, BatchOut, ErrorOut, RecordOut


class TooMany(Exception):
    def __init__(self, retry_after):
        self.retry_after = retry_after


class KeyAuth(HttpBearer):
    """A valid key, within its rate limit, with a body the API will read. The key's organisation is
    the client; its prefix goes into the request log (core.logging), never the key."""

    openapi_description = "接口密钥：Authorization: Bearer xsk_…（由人社部门经办人在“接口密钥”页面创建）"

    def authenticate(self, request, token):
        key = keys.authenticate(token)
        if key is None:
            return None
        request.api_client = key.prefix
        limit, window = settings.API_RATE_LIMIT
        hits, retry_after = ratelimit.count(f"api:key:{key.pk}", window)
        if hits > limit:
            raise TooMany(retry_after)
        # Django reads a body only up to its Content-Length: a chunked one would arrive empty and be
        # answered as a batch without records. (nginx sends every body with its length.)
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            raise HttpError(411, "请求须带 Content-Length：不接受分块传输（Transfer-Encoding: chunked）的请求体。")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY:
            raise HttpError(413, f"请求体超过{settings.API_MAX_BODY // 1024}KB，请分批报送（每批至多1000条）。")
        return key


def _docs_page(view):
    """The reference page and the document: read-only; Swagger UI sets style attributes and draws
    its icons from data: URLs."""
    return require_safe(csp_update({"style-src": ["'self'", "'unsafe-inline'"], "img-src": ["'self'", "data:"]})(view))


api = NinjaAPI(
    title="学时核认 培训平台接口",
    version="1",
    description=(
        "培训平台和继续教育基地报送专业技术人员的培训完成记录。记录按（机构，记录编号）去重：重发、重试不会重复计入学时；"
        "记录进入本人的学时档案，本人申报该年度时在“确认选择”中勾选。"
    ),
    auth=KeyAuth(),
    urls_namespace="api",
    docs=Swagger(settings={"persistAuthorization": False, "tryItOutEnabled": False}),
    docs_decorator=_docs_page,
)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    response = api.create_response(request, {"detail": "缺少有效的接口密钥（Authorization: Bearer xsk_…），或密钥已停用。"}, status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def http_error(request, exc):
    # Ninja answers a body that is not JSON with 400; a platform's malformed batch is a 422 like
    # any other it cannot read.
    if exc.status_code == 400:
        return api.create_response(request, {"detail": "请求体不是有效的JSON。"}, status=422)
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


@api.exception_handler(TooMany)
def too_many(request, exc):
    response = api.create_response(request, {"detail": "调用过于频繁，请稍后再试。"}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(PermissionDenied)
def refused(request, exc):
    return api.create_response(request, {"detail": str(exc) or "无权操作。"}, status=409)


records = Router(tags=["培训记录"])


@records.post("", response={200: BatchOut, 401: ErrorOut, 409: ErrorOut, 411: ErrorOut, 413: ErrorOut, 429: ErrorOut, 503: ErrorOut}, summary="报送培训记录（每批至多1000条）")
def push(request, batch: BatchIn):
    try:
        outcomes = services.records_push(key=request.auth, records=batch.records)
    except ValidationError as exc:  # no rule set in force: nothing can be checked against it
        raise HttpError(503, exc.messages[0]) from None
    except IntegrityError:  # SQLite only: an identical batch committed first (PostgreSQL waits on the lock)
        raise HttpError(409, "同一批记录正在另一请求中处理，请稍后重发（重发不会重复计入）。") from None
    counts = {status: 0 for status in ("accepted", "updated", "unchanged", "refused")}
    for outcome in outcomes:
        counts[outcome.status] += 1
    return {**counts, "results": [o.__dict__ for o in outcomes]}


class ListFilter(Schema):
    status: selectors.Status | None = None
    updated_since: datetime | None = Field(None, description="只列出此时刻之后有变化的记录（ISO 8601；不带时区按北京时间）")

    @field_validator("updated_since")
    @classmethod
    def _within_years(cls, value):
        # A moment of year 1 or 9999 overflows once moved to UTC: refused here, not a server error.
        if value is None:
            return value
        if not 1990 <= value.year <= 2100:
            raise ValueError("updated_since 应在1990年至2100年之间。")
        return value if timezone.is_aware(value) else timezone.make_aware(value)


class Pages(LimitOffsetPagination):
    """limit and offset within bounds: a number past the database's integers is answered 422."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=1000, description="每页条数，至多1000")
        offset: int = Field(0, ge=0, le=2**31 - 1)


@records.get("", response=list[RecordOut], summary="已报送的记录及其状态")
@paginate(Pages)
def record_list(request, filters: Query[ListFilter]):
    return selectors.sent(request.auth, status=filters.status, updated_since=filters.updated_since)


@records.get("/{path:record_id}", response={200: RecordOut, 404: ErrorOut}, summary="一条记录的状态")
def record_detail(request, record_id: str):
    record = selectors.one(request.auth, record_id)
    if record is None:
        raise Http404
    return record


@records.delete("/{path:record_id}", response={200: RecordOut, 404: ErrorOut, 409: ErrorOut}, summary="撤回一条记录")
def record_withdraw(request, record_id: str):
    try:
        services.record_withdraw(key=request.auth, record_id=record_id)
    except TrainingRecord.DoesNotExist:
        raise Http404 from None
    return selectors.one(request.auth, record_id)


api.add_router("/records", records)
