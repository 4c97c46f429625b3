"""The API's request and answer shapes (they make the OpenAPI document). Types are checked here
(a batch with a wrong type is answered 422 as a whole, naming the record and field); what a record
means (check digit, name on file, hours for the dates, scope) is decided per record in services."""
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from core.masking import mask_id_number

from . import selectors

MAX_BATCH = 1000


class RecordIn(Schema):
    record_id: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:/-]+$",
                           description="平台自己的记录编号：同一机构内唯一，重发同一编号视为同一条记录", examples=["HNU-2025-000123"])
    id_number: str = Field(..., min_length=1, max_length=30, description="证件号码：18位居民身份证号码（末位可为X；全角数字亦可）")
    name: str = Field(..., min_length=1, max_length=50, description="姓名", examples=["张三"])
    title: str = Field(..., min_length=1, max_length=200, description="培训名称（课程名称）", examples=["2025年专业技术人员公需科目培训"])
    subject: Literal["public", "professional"] = Field(..., description="科目：public 公需科目，professional 专业科目")
    hours: Decimal = Field(..., gt=0, le=9999, decimal_places=1, description="学时，最多一位小数", examples=["16"])
    start_date: date = Field(..., description="开始日期")
    end_date: date = Field(..., description="结束日期（结业日期，计入该年度）")
    certificate_no: str = Field("", max_length=60, description="平台出具的培训合格证书编号")


class BatchIn(Schema):
    records: list[RecordIn] = Field(..., min_length=1, max_length=MAX_BATCH, description=f"至多{MAX_BATCH}条记录")


class OutcomeOut(Schema):
    record_id: str
    status: Literal["accepted", "updated", "unchanged", "refused"] = Field(
        ..., description="accepted 新接收；updated 已更新；unchanged 与已接收的相同；refused 拒收"
    )
    reason_code: str = Field("", description="拒收原因代码，如 id_number_invalid、name_mismatch、hours_exceed")
    reason: str = Field("", description="拒收原因（中文）")


class BatchOut(Schema):
    accepted: int
    updated: int
    unchanged: int
    refused: int
    results: list[OutcomeOut]


class RecordOut(Schema):
    """A TrainingRecord as its sender sees it (selectors.sent)."""

    record_id: str = Field(..., alias="external_id")
    status: selectors.Status = Field(
        ..., description="waiting 待本人确认选择；in_declaration 已选入申报、审核中；approved 已认定；revoked 认定已撤销；withdrawn 已撤回"
    )
    status_label: str
    id_number: str = Field(..., description="证件号码（已遮挡）")
    name: str
    title: str
    subject: str
    hours: Decimal
    start_date: date | None
    end_date: date | None
    certificate_no: str
    year: int
    received_at: datetime = Field(..., alias="imported_at")
    updated_at: datetime | None

    @staticmethod
    def resolve_status(record):
        return selectors.status_of(record)

    @staticmethod
    def resolve_status_label(record):
        return selectors.STATUS_LABELS[selectors.status_of(record)]

    @staticmethod
    def resolve_id_number(record):
        return mask_id_number(record.id_number)


class ErrorOut(Schema):
    detail: str
