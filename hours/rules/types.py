"""The vocabulary of the rules: rule-set types, the values their fields take, the errors, and
the reading of JSON values that parsing, evaluation and the case runner share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

SUBJECTS = {"public": "公需科目", "professional": "专业科目"}
FACT_TYPES = ("int", "decimal", "bool", "choice", "year", "text", "date")
FORMULA_KINDS = ("per_unit", "stated", "table", "rank", "full_year", "determined", "none")
# Who may set the hours of a "determined" activity (由审核单位核定): what the reviewing
# organisation holding the declaration is. The portal tells them apart (hours/policies.py).
DETERMINERS = {"bureau": "人社部门", "department": "主管部门", "provincial_department": "省业务主管部门"}
IDENTITY_SCOPES = ("work", "year")
# Where training records from outside come from (hours.models.ItemSource without 本人申报).
RECORD_SOURCES = ("platform", "training_base", "unit_filing", "other_platform")
YEAR_RANGE = (1900, 2100)  # also bounds dates, so date arithmetic never overflows


class PolicyDataError(ValueError):
    """The rule-set data itself is malformed."""


class RuleError(ValueError):
    """Facts or arguments a rule set cannot accept; ``fact`` names the offending fact."""

    def __init__(self, message: str, fact: str | None = None) -> None:
        super().__init__(message)
        self.fact = fact


@dataclass(frozen=True)
class Totals:
    public: Decimal
    professional: Decimal
    total: Decimal


@dataclass(frozen=True)
class FactSpec:
    name: str
    label: str
    type: str
    required: bool
    min: int | Decimal | None = None  # for text: length bounds
    max: int | Decimal | None = None
    choices: tuple[tuple[str | int, str], ...] = ()
    help: str = ""


OneOf = tuple[str, ...]  # material codes any one of which satisfies a requirement


@dataclass(frozen=True)
class Identity:
    """What makes two declared items one and the same, so it is counted once.

    ``per="work"``: the facts name a work (a paper's title, a patent's number) that is declared
    once, in one year.  ``per="year"``: the activity is declared once a year (for each value of the
    facts, e.g. once per kind of absence); with no facts, simply once a year."""

    facts: tuple[str, ...]
    per: str


@dataclass(frozen=True)
class ExtraMaterials:
    """Materials added to every alternative when a fact has a given value."""

    fact: str
    equals: Any
    require: tuple[OneOf, ...]
    note: str = ""


@dataclass(frozen=True)
class Activity:
    code: str
    label: str
    facts: tuple[FactSpec, ...]
    formula: Mapping[str, Any]
    subject: str | None  # "public", "professional", "both" (full_year), None (from a fact, or "none")
    subject_fact: str | None
    counted_year: str | None
    materials: tuple[tuple[OneOf, ...], ...]  # alternatives; any one complete set suffices
    extra_materials: tuple[ExtraMaterials, ...]
    needs_review: bool
    note: str
    identity: Identity | None = None
    calendar_days: tuple[str, ...] = ()  # facts that together count calendar days (days, half days)


@dataclass(frozen=True)
class Threshold:
    """An absence of this kind lowers the requirement only when it lasts more than ``more_than`` months."""

    fact: str
    equals: Any
    more_than: int


@dataclass(frozen=True)
class Proration:
    activity: str
    fact: str
    thresholds: tuple[Threshold, ...] = ()


@dataclass(frozen=True)
class RecordRules:
    """Training records sent by platforms and bases (the rule set's `records`): the hours one day of
    a course can give (None: no bound), and the sources whose hours are recognised as sent, without
    evidence or a reviewer's check of the conversion, each with the notice's words as its basis."""

    hours_per_day: Decimal | None
    recognised: Mapping[str, str]


# A rule set without `records`: the sources there were before the rule sets said so, recognised as
# they were then; 其他培训平台 came with `records` and is reviewed unless a rule set names it.
ALL_RECOGNISED = RecordRules(None, {source: "" for source in ("platform", "training_base", "unit_filing")})


@dataclass(frozen=True)
class Policy:
    code: str
    region: str
    title: str
    year: int
    name: str
    requirement: Totals
    proration: Proration | None
    materials: Mapping[str, str]
    activities: Mapping[str, Activity]
    data: Mapping[str, Any] = field(repr=False)  # the source JSON, to store beside results
    records: RecordRules = ALL_RECOGNISED


@dataclass(frozen=True)
class Credit:
    activity: str
    subject: str | None
    public: Decimal
    professional: Decimal
    needs_review: bool
    year: int | None
    facts: Mapping[str, Any]
    determined_by: tuple[str, ...] = ()  # set by the reviewing organisations of these kinds, 0 until then

    @property
    def total(self) -> Decimal:
        return self.public + self.professional


@dataclass(frozen=True)
class YearCheck:
    compliant: bool
    required: Totals
    declared: Totals
    shortfall: Totals


# --- values as JSON gives them -------------------------------------------------------


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def as_decimal(value: Any) -> Decimal | None:
    """A finite Decimal from a number or numeric string (JSON has no decimal type)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # repr, so 0.1 stays 0.1
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def same_value(a: Any, b: Any) -> bool:
    # type-strict, so True never matches 1 and "1" never matches 1
    return type(a) is type(b) and a == b


def plain_number(value: Decimal) -> int | float:
    """A Decimal as JSON and messages show it: whole numbers without a decimal point."""
    return int(value) if value == value.to_integral_value() else float(value)
