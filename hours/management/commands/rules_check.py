"""manage.py rules_check FILE.json: check a file of worked cases (../shared/rules/README.md)
against the rule sets stored in the database (or, with --builtin, the shipped JSON files).

It runs the engine's own evaluate_file/evaluate_case, as the declaration form and the
reviewers' checks do. Output: one line per failing case, then `N passed, M failed` alone on a
line. Exit status: 0 when nothing failed, 1 when a case failed, 2 when the file or the rule
sets could not be read."""
import json

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from hours import rules
from hours.policies import stored_policies


def _one_line(text: str) -> str:
    return " ".join(str(text).splitlines())


def _show(value) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def failure_line(result: rules.CaseResult) -> str:
    if result.got is None:
        return _one_line(f"FAIL {result.id}: {result.reason}")
    line = f"FAIL {result.id}: expected {_show(result.expected)}, got {_show(result.got)}"
    return _one_line(f"{line}（{result.reason}）" if result.reason else line)


class Command(BaseCommand):
    help = (
        "按学时折算规则检查用例文件：逐条列出未通过的用例，最后一行为“N passed, M failed”。"
        " Evaluate a cases file against the rule sets in force; exits 0 only if every case passed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="用例文件（JSON 数组）/ the cases file, a JSON list")
        parser.add_argument(
            "--builtin",
            action="store_true",
            help="使用随程序提供的规则文件（hours/rules/data），而非数据库中的规则集 / use the shipped JSON rule sets",
        )

    def handle(self, *args, file, builtin, **options):
        policies = self._policies(builtin)
        try:
            results = rules.evaluate_file(file, policies)
        except rules.CasesFileError as exc:
            raise CommandError(f"无法检查用例文件 / cannot read the cases file: {_one_line(exc)}", returncode=2)
        failed = [result for result in results if not result.ok]
        for result in failed:
            self.stdout.write(failure_line(result), self.style.ERROR)
        self.stdout.write(f"{len(results) - len(failed)} passed, {len(failed)} failed")
        if failed:
            raise CommandError(f"{len(failed)} 个用例未通过 / {len(failed)} case(s) failed", returncode=1)

    def _policies(self, builtin):
        source = "内置规则文件 / the built-in rule files" if builtin else "数据库中的规则集 / the stored rule sets"
        try:
            return rules.load_builtins() if builtin else stored_policies()
        except rules.PolicyDataError as exc:
            raise CommandError(f"规则集数据无效 / invalid rule set in {source}: {_one_line(exc)}", returncode=2)
        except DatabaseError as exc:
            raise CommandError(
                f"无法读取数据库中的规则集（请先运行 migrate，或使用 --builtin）/ cannot read the stored rule sets: "
                f"{_one_line(exc)}",
                returncode=2,
            )
