"""The mutation runner's own arithmetic and bookkeeping (the mutmut runs themselves are `make mutate`)."""
import json

import pytest

from tests.mutation import run
from tests.mutation.groups import GROUPS


def test_every_group_names_modules_and_tests_that_exist():
    """A renamed test file would silently shrink a group's tests, and its score with them."""
    for group, spec in GROUPS.items():
        for path in spec["modules"] + spec["tests"]:
            assert (run.ROOT / path).exists(), (group, path)


def test_a_module_belongs_to_one_group():
    modules = [m for spec in GROUPS.values() for m in spec["modules"]]
    assert len(modules) == len(set(modules))


def test_score_sets_aside_only_the_explained_survivors():
    codes = {"m__mutmut_1": 1, "m__mutmut_2": 0, "m__mutmut_3": 33, "m__mutmut_4": 0, "m__mutmut_5": -24, "m__mutmut_6": -9}
    s = run.score(codes, {"m__mutmut_2", "m__mutmut_1"})
    assert (s["mutants"], s["killed"], s["equivalent"], s["no_tests"]) == (6, 2, 1, 1)
    assert s["score"] == 0.4  # 2 caught of the 5 that count: unreached and crashed mutants are not killed
    assert s["unexplained"] == ["m__mutmut_3", "m__mutmut_4", "m__mutmut_6"]


def test_equivalents_are_the_list_items_of_their_section(tmp_path, monkeypatch):
    doc = tmp_path / "testing.md"
    doc.write_text(
        "# Testing\n- `a.b.x_f__mutmut_9` (`00000000`): before the section\n"
        "## Equivalent mutants\n"
        "Prose naming `a.b.x_f__mutmut_8` (`11111111`) is no entry.\n"
        "- `core.masking.x_mask_phone__mutmut_31` (`0123abcd`), `core.masking.x_mask_phone__mutmut_32` (`89abcdef`): "
        "the same `text`: either way\n"
        "## Other\n- `a.b.x_g__mutmut_1` (`22222222`): after the section\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(run, "EQUIVALENTS_DOC", doc)
    assert run.equivalents() == {
        ("core.masking.x_mask_phone__mutmut_31", "0123abcd"): "the same `text`: either way",
        ("core.masking.x_mask_phone__mutmut_32", "89abcdef"): "the same `text`: either way",
    }


def test_a_diff_is_known_by_its_changed_lines_only():
    one = "--- core/masking.py\n+++ core/masking.py\n@@ -1,4 +1,4 @@\n def f():\n-    return 0\n+    return 1\n"
    moved = "--- core/masking.py\n+++ core/masking.py\n@@ -7,4 +7,4 @@\n def f():\n-    return 0\n+    return 1\n"
    other = one.replace("return 1", "return 2")
    assert run.diff_hash(one) == run.diff_hash(moved) != run.diff_hash(other)


def test_a_module_under_target_may_not_fall_below_its_recorded_score():
    baseline = {"core/masking.py": {"score": 0.8}, "core/ratelimit.py": {"score": 0.95}}
    assert run.floor_of("core/masking.py", baseline) == 0.8
    assert run.floor_of("core/ratelimit.py", baseline) == run.TARGET
    assert run.floor_of("hours/years.py", baseline) == run.TARGET


def test_the_changed_check_picks_the_groups_whose_recorded_module_differs():
    baseline = {m: {"sha256": run.source_hash(m)} for spec in GROUPS.values() for m in spec["modules"]}
    assert run.changed_groups(baseline) == [] and run.unmeasured(baseline) == []
    baseline["core/masking.py"]["sha256"] = "0" * 16
    del baseline["hours/years.py"]
    assert run.changed_groups(baseline) == ["masking"]
    assert run.unmeasured(baseline) == ["hours/years.py"]


def test_a_recording_keeps_what_another_run_recorded_meanwhile(tmp_path, monkeypatch):
    """Two groups run at once, each with --record: the one that ends last must not write back the
    baseline it read when it started."""
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"core/masking.py": {"score": 0.5}, "hours/years.py": {"score": 1.0}}), encoding="utf-8")
    monkeypatch.setattr(run, "BASELINE", baseline)
    run.write_baseline({"core/masking.py": {"score": 0.97}})  # the other run ends first
    run.write_baseline({"review/selectors.py": {"score": 0.93}})
    assert json.loads(baseline.read_text(encoding="utf-8")) == {
        "core/masking.py": {"score": 0.97}, "hours/years.py": {"score": 1.0}, "review/selectors.py": {"score": 0.93}}


def test_the_recorded_baseline_names_listed_modules_only():
    """A module dropped from the groups must leave the baseline too, or its old score would be
    reported as if it were still measured."""
    recorded = json.loads(run.BASELINE.read_text(encoding="utf-8"))
    modules = {m for spec in GROUPS.values() for m in spec["modules"]}
    assert recorded and set(recorded) <= modules
    assert all(set(entry) >= {"sha256", "mutants", "killed", "equivalent", "no_tests", "score"} for entry in recorded.values())


@pytest.mark.parametrize("group", list(GROUPS))
def test_each_group_copy_is_configured_for_its_own_modules_and_tests(group):
    import tomllib

    config = tomllib.loads(run.pyproject_for(group))["tool"]
    assert config["mutmut"]["only_mutate"] == GROUPS[group]["modules"]
    assert config["mutmut"]["pytest_add_cli_args_test_selection"] == GROUPS[group]["tests"]
    assert config["pytest"]["ini_options"]["DJANGO_SETTINGS_MODULE"] == "portal.settings.test"  # the project's own, kept
