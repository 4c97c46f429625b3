"""A small, generic engine for continuing-education hour rules (学时折算细则).

A rule set (one region and year) is plain data, see ``data/*.json``: the yearly
requirement, the activities one may declare, the facts each activity asks for, a formula
of one of a few generic kinds, and the supporting materials.  Next year's table is a new
JSON file, not new code.  The engine is pure Python with no Django or database imports,
so web forms, the shared cases file and the ``rules_check`` command all run the same code.

Hours are ``Decimal``.  Bad facts raise ``RuleError`` (a ``ValueError``) with a Chinese
message naming the fact; malformed rule-set data raises ``PolicyDataError``.

This package is the one entry point for the rest of the project.  Its modules, each importing
only from those before it: ``types`` (the rule-set types, their vocabulary, the errors),
``parsing`` (JSON to a validated Policy, the built-in rule sets), ``evaluation`` (facts, hours,
the yearly requirement, forms and materials) and ``cases`` (the worked-case runner).
"""

from .cases import CaseResult, CasesFileError, evaluate_case, evaluate_file
from .evaluation import (
    absence_months,
    activity_choices,
    calendar_days,
    counted_year,
    covered_years,
    credit,
    credits_nothing_by_rule,
    days_in_year,
    determined_credit,
    form_spec,
    hours_facts,
    identity,
    material_choices,
    missing_materials,
    recognised_basis,
    requirement,
    span_hours,
    year_check,
)
from .parsing import builtin_codes, load_builtin, load_builtins, load_policy
from .types import (
    DETERMINERS,
    Activity,
    Credit,
    ExtraMaterials,
    FactSpec,
    Identity,
    Policy,
    PolicyDataError,
    Proration,
    RecordRules,
    RuleError,
    Threshold,
    Totals,
    YearCheck,
)

__all__ = [
    "Activity",
    "CaseResult",
    "CasesFileError",
    "Credit",
    "DETERMINERS",
    "ExtraMaterials",
    "FactSpec",
    "Identity",
    "Policy",
    "PolicyDataError",
    "Proration",
    "RecordRules",
    "RuleError",
    "Threshold",
    "Totals",
    "YearCheck",
    "absence_months",
    "activity_choices",
    "builtin_codes",
    "calendar_days",
    "counted_year",
    "covered_years",
    "credit",
    "credits_nothing_by_rule",
    "days_in_year",
    "determined_credit",
    "evaluate_case",
    "evaluate_file",
    "form_spec",
    "hours_facts",
    "identity",
    "load_builtin",
    "load_builtins",
    "load_policy",
    "material_choices",
    "missing_materials",
    "recognised_basis",
    "requirement",
    "span_hours",
    "year_check",
]
