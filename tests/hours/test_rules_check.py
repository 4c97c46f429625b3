"""manage.py rules_check: the shared cases pass against the stored rule sets; a bad file gives one
FAIL line per bad case and `N passed, M failed` alone on the last line; exit codes 0 / 1 / 2."""
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from hours.models import RuleSet
from hours.rulesets import rule_set_update

BASE_DIR = Path(settings.BASE_DIR)
CASES_PATH = BASE_DIR.parent / "shared" / "rules" / "cases.json"

OK = {"id": "ok-training", "policy": "hunan-2024", "kind": "credit", "activity": "training",
      "facts": {"subject": "public", "days": 2, "half_days": 0}, "expect": {"public": 16, "professional": 0}}
BAD_CASES = [
    OK,
    dict(OK, id="wrong-expectation", expect={"public": 15, "professional": 0}),
    dict(OK, id="unknown-activity", activity="juggling", facts={}),
    dict(OK, id="unknown-policy", policy="mars-2099"),
    dict(OK, id="malformed-facts", facts={"subject": "public", "days": "two", "half_days": 0}),
    {"id": "missing-keys", "policy": "hunan-2024", "kind": "credit"},
    42,
]
# id → a piece of the reason its FAIL line must give
BAD_REASONS = {
    "wrong-expectation": 'expected {"public": 15, "professional": 0}, got {"public": 16, "professional": 0}',
    "unknown-activity": "未知的继续教育形式：'juggling'",
    "unknown-policy": "未知的规则集：'mars-2099'",
    "malformed-facts": "“整天数”（days）须为整数，收到 'two'",
    "missing-keys": "缺少：facts、expect",
    "第 7 条": "须为 JSON 对象",
}


@pytest.fixture
def cases_path():
    if not CASES_PATH.exists():
        pytest.skip(f"!!! 共享用例文件不存在，rules_check 未能检查：{CASES_PATH} !!!")
    return CASES_PATH


@pytest.fixture
def bad_file(tmp_path):
    path = tmp_path / "bad-cases.json"
    path.write_text(json.dumps(BAD_CASES, ensure_ascii=False), encoding="utf-8")
    return path


def run(*args):
    """(stdout, stderr, exit code) of call_command, as manage.py would exit."""
    out, err = StringIO(), StringIO()
    try:
        call_command("rules_check", *map(str, args), stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        err.write(str(exc))
        code = exc.returncode
    return out.getvalue(), err.getvalue(), code


def assert_bad_file_report(out):
    lines = out.splitlines()
    assert lines[-1] == "1 passed, 6 failed"
    fails = lines[:-1]
    assert len(fails) == 6 and all(line.startswith("FAIL ") for line in fails), out
    for case_id, reason in BAD_REASONS.items():
        line = next((line for line in fails if line.startswith(f"FAIL {case_id}: ")), None)
        assert line is not None, f"no FAIL line for {case_id}:\n{out}"
        assert reason in line, line
    assert "ok-training" not in out


# --- in process, against the rule sets stored in the test database ----------------------------


@pytest.mark.django_db
def test_shared_cases_all_pass_against_the_stored_rule_sets(cases_path):
    out, err, code = run(cases_path)
    assert (out, code) == ("32 passed, 0 failed\n", 0), err


@pytest.mark.django_db
def test_bad_file_fails_each_bad_case_with_its_reason(bad_file):
    out, err, code = run(bad_file)
    assert code == 1
    assert_bad_file_report(out)
    assert "6 个用例未通过" in err


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content, message",
    [
        ("[{\"id\": ", "不是有效的 JSON"),
        ("{\"id\": \"not-a-list\"}", "顶层须为用例列表"),
        (b"\xff\xfe\x00garbage", "无法读取用例文件"),
    ],
    ids=["not-json", "not-a-list", "not-utf8"],
)
def test_unreadable_file_exits_2_with_a_message(tmp_path, content, message):
    path = tmp_path / "cases.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    out, err, code = run(path)
    assert (out, code) == ("", 2)
    assert "cannot read the cases file" in err and message in err


@pytest.mark.django_db
def test_missing_file_exits_2(tmp_path):
    out, err, code = run(tmp_path / "nowhere.json")
    assert (out, code) == ("", 2)
    assert "无法读取用例文件" in err


@pytest.mark.django_db
def test_empty_list_passes_with_zero_counts(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text("[]")
    assert run(path) == ("0 passed, 0 failed\n", "", 0)


@pytest.mark.django_db
def test_the_stored_rule_set_is_what_counts_not_the_builtin_file(cases_path, django_user_model):
    """An edit made as the admin makes it changes rules_check's verdict; --builtin ignores it."""
    rule_set = RuleSet.objects.get(code="hunan-2024")
    data = json.loads(json.dumps(rule_set.data))
    data["activities"]["training"]["formula"]["units"]["days"] = 6
    admin = django_user_model.objects.create_superuser("root", password="x", name="系统管理员")
    rule_set_update(rule_set=rule_set, data=data, user=admin, note="试改培训班折算")

    out, err, code = run(cases_path)
    assert code == 1
    fails = out.splitlines()[:-1]
    assert fails and all(line.startswith("FAIL training-") for line in fails), out
    assert "FAIL training-2-days-public: expected" in out and '"public": 12' in out
    assert out.splitlines()[-1] == f"{32 - len(fails)} passed, {len(fails)} failed"

    assert run(cases_path, "--builtin")[::2] == ("32 passed, 0 failed\n", 0)


@pytest.mark.django_db
def test_a_switched_off_rule_set_is_not_in_force(bad_file):
    RuleSet.objects.filter(code="hunan-2024").update(is_active=False, updated_at=timezone.now())
    out, err, code = run(bad_file)
    assert code == 1
    assert out.splitlines()[-1] == "0 passed, 7 failed"
    assert "FAIL ok-training: 未知的规则集：'hunan-2024'" in out


@pytest.mark.django_db
def test_broken_stored_rule_set_exits_2_without_traceback(bad_file):
    """Data written behind the admin's back (no validation) is reported, not raised."""
    RuleSet.objects.filter(code="henan-2024").update(data={"code": "henan-2024"}, updated_at=timezone.now())
    out, err, code = run(bad_file)
    assert (out, code) == ("", 2)
    assert "invalid rule set" in err and "规则集 henan-2024 缺少" in err


# --- as a real process (built-in rule files: the subprocess does not see the test database) -----


def manage(*args):
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="portal.settings.test", PYTHONUTF8="1")
    return subprocess.run(
        [sys.executable, "manage.py", "rules_check", "--builtin", *map(str, args)],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, encoding="utf-8", timeout=120,
    )


def test_process_shared_cases_exit_0(cases_path):
    done = manage(cases_path)
    assert (done.stdout, done.returncode) == ("32 passed, 0 failed\n", 0), done.stderr


def test_process_bad_file_exit_1_closing_line_alone(bad_file):
    done = manage(bad_file)
    assert done.returncode == 1, done.stderr
    assert done.stdout.endswith("\n1 passed, 6 failed\n")
    assert_bad_file_report(done.stdout)
    assert "Traceback" not in done.stderr


def test_process_not_json_exit_2(tmp_path):
    path = tmp_path / "cases.json"
    path.write_text("this is not JSON", encoding="utf-8")
    done = manage(path)
    assert (done.stdout, done.returncode) == ("", 2)
    assert "不是有效的 JSON" in done.stderr and "cannot read the cases file" in done.stderr
    assert "Traceback" not in done.stderr
