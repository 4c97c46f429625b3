"""`make mutate`: mutation testing (mutmut) of the modules that protect people (groups.py).

Each group is mutated in a copy of the project under var/mutation/<group>/ and tried against the
group's tests, on SQLite, each mutant's run starting from a copy of one migrated database
(tests/conftest.py: XUESHI_TEST_DB_TEMPLATE) instead of nine seconds of migrations. Prints each
module's score and its surviving mutants, and fails when a module has less than 90 % of its mutants
killed once the equivalent mutants docs/testing.md lists are set aside. In CI (--changed) a module
recorded under 90 % may not fall below its recorded score (a ratchet) until it reaches 90 %.

  python -m tests.mutation.run               every group (the full run, on demand)
  python -m tests.mutation.run GROUP ...     the named groups
  python -m tests.mutation.run --changed     the groups with a module that differs from baseline.json (CI)
  --record   run afresh and write the scores to baseline.json (never lowering a recorded floor)
  --fresh    forget earlier results (otherwise mutmut keeps them per group, and survivors are retried)
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.mutation.groups import GROUPS

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "var" / "mutation"
BASELINE = Path(__file__).with_name("baseline.json")
EQUIVALENTS_DOC = ROOT / "docs" / "testing.md"
TARGET = 0.90
# What a group's copy is made of: the packages, and what Django needs to run the tests.
PACKAGES = ["accounts", "api", "certificates", "core", "hours", "portal", "review", "workflow"]
ALSO = ["manage.py", "templates", "static", "fixtures", "tests"]
# mutmut's exit codes (mutmut.stats): a failing test run, pytest's internal error or a timeout
# catches the mutant; 0 is a survivor; 5 and 33 mean no test reached it. Anything else (a crash
# by signal, say) is shown by its code and not counted as killed.
CAUGHT = {1, 3, 24, -24, 152, 255, 36}
NO_TESTS = {5, 33}
STATUS = {0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", None: "not checked"}
# One entry of docs/testing.md's list: - `name` (`diff hash`)[, `name` (`diff hash`)…]: reason
ENTRY = re.compile(r"- ((?:`[\w.]+__mutmut_\d+` \(`[0-9a-f]{8}`\)(?:, )?)+): (.+)")
NAME_AND_HASH = re.compile(r"`([\w.]+__mutmut_\d+)` \(`([0-9a-f]{8})`\)")


def source_hash(path):
    return hashlib.sha256((ROOT / path).read_bytes()).hexdigest()[:16]


def diff_hash(diff):
    """What a mutant changes, without mutmut's name for it: a change to the function renumbers its
    mutants, and a listed number then names another change, which this hash no longer matches."""
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    return hashlib.sha256("\n".join(changed).encode("utf-8")).hexdigest()[:8]


def equivalents():
    """(mutant name, diff hash) → reason, from the list in docs/testing.md's “Equivalent mutants”."""
    text = EQUIVALENTS_DOC.read_text(encoding="utf-8") if EQUIVALENTS_DOC.exists() else ""
    section = text.partition("\n## Equivalent mutants")[2].partition("\n## ")[0]
    found = {}
    for line in section.splitlines():
        entry = ENTRY.fullmatch(line.strip())
        if entry:
            for name, digest in NAME_AND_HASH.findall(entry[1]):
                found[(name, digest)] = entry[2]
    return found


def pyproject_for(group):
    """The project's pyproject.toml with the group's [tool.mutmut] section."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    spec = GROUPS[group]
    deselect = [arg for test in spec.get("deselect", []) for arg in ("--deselect", test)]
    return text + "\n[tool.mutmut]\n" + "\n".join([
        f"source_paths = {json.dumps(PACKAGES)}",
        f"only_mutate = {json.dumps(spec['modules'])}",
        f"also_copy = {json.dumps([p for p in ALSO if p != 'tests'])}",
        f"pytest_add_cli_args = {json.dumps(['-p', 'no:cacheprovider', '-m', 'not e2e', *deselect])}",
        f"pytest_add_cli_args_test_selection = {json.dumps(spec['tests'])}",
        "use_git_change_detection = false",
        "",
    ])


def prepare(group, fresh):
    place = WORK / group
    if fresh and place.exists():
        shutil.rmtree(place)
    place.mkdir(parents=True, exist_ok=True)
    # The rules' worked cases live beside the checkout (../shared/rules), as seen from the copy too.
    beside = [("shared", ROOT.parent / "shared")] if (ROOT.parent / "shared").exists() else []
    for name, target in [(n, ROOT / n) for n in PACKAGES + ALSO] + beside:
        link = place / name
        if not link.is_symlink():
            link.symlink_to(target)
    (place / "pyproject.toml").write_text(pyproject_for(group), encoding="utf-8")
    return place


def template_database():
    """One migrated SQLite database for every mutant's run to copy; one per run of this script, so
    two runs at once do not pull it from under each other."""
    path = WORK / f"template-{os.getpid()}.sqlite3"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test", "DATABASE_URL": f"sqlite:///{path}"}
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    return path


def run_group(group, template, children):
    """mutmut keeps each mutant's result in the group's copy and tries again only the mutants of
    functions that changed; the survivors are then tried again by name against today's tests."""
    place = WORK / group
    cached = any((place / "mutants").rglob("*.meta"))
    env = {**os.environ, "XUESHI_TEST_DB_TEMPLATE": str(template), "DJANGO_SETTINGS_MODULE": "portal.settings.test"}
    for name in ("DATABASE_URL", "REDIS_URL", "PYTEST_ADDOPTS"):
        env.pop(name, None)
    mutmut = Path(sys.executable).with_name("mutmut")
    passes = [[]] + ([None] if cached else [])
    with open(place / "mutmut.log", "w", encoding="utf-8") as log:
        for names in passes:
            if names is None:
                names = [n for codes in results(group).values() for n, c in codes.items() if c not in CAUGHT]
                if not names:
                    break
            done = subprocess.run([str(mutmut), "run", "--max-children", str(children), *names], cwd=place, env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
            if done.returncode != 0:
                tail = (place / "mutmut.log").read_text(encoding="utf-8", errors="replace")[-3000:]
                raise SystemExit(f"mutmut failed in group {group} (exit {done.returncode}); {place / 'mutmut.log'}:\n{tail}")


def results(group):
    """Per module: mutant name → exit code, from mutmut's records in the group's copy."""
    out = {}
    for path in GROUPS[group]["modules"]:
        meta = WORK / group / "mutants" / (path + ".meta")
        data = json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {"exit_code_by_key": {}}
        out[path] = data["exit_code_by_key"]
    return out


def diffs(group, names):
    mutmut = Path(sys.executable).with_name("mutmut")
    return {name: subprocess.run([str(mutmut), "show", name], cwd=WORK / group, capture_output=True, text=True).stdout
            for name in names}


def score(codes, equivalent):
    """`equivalent`: the survivors docs/testing.md explains (their diff as listed)."""
    caught = sum(1 for c in codes.values() if c in CAUGHT)
    survivors = sorted(n for n, c in codes.items() if c not in CAUGHT)
    set_aside = [n for n in survivors if n in equivalent]
    counted = len(codes) - len(set_aside)
    return {
        "mutants": len(codes), "killed": caught, "equivalent": len(set_aside),
        "no_tests": sum(1 for c in codes.values() if c in NO_TESTS),
        "score": round(caught / counted, 4) if counted else 1.0,
        "unexplained": [n for n in survivors if n not in equivalent],
    }


def changed_groups(baseline):
    """The groups with a recorded module whose source differs from its recorded run."""
    return [g for g, spec in GROUPS.items()
            if any(m in baseline and baseline[m]["sha256"] != source_hash(m) for m in spec["modules"])]


def unmeasured(baseline):
    return [m for spec in GROUPS.values() for m in spec["modules"] if m not in baseline]


def write_baseline(recorded):
    """This run's entries into the baseline as it is now: another run may have recorded its own
    groups since this one started."""
    current = json.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.exists() else {}
    current.update(recorded)
    BASELINE.write_text(json.dumps(dict(sorted(current.items())), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def floor_of(path, baseline):
    """What a module must reach: 90 %, or, until it has, no less than its recorded score."""
    return min(TARGET, baseline[path]["score"]) if path in baseline else TARGET


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("groups", nargs="*")
    parser.add_argument("--changed", action="store_true")
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {unknown}; groups: {', '.join(GROUPS)}")

    baseline = json.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.exists() else {}
    groups = args.groups or (changed_groups(baseline) if args.changed else list(GROUPS))
    if args.changed and unmeasured(baseline):
        print(f"变异测试: 尚无记录的模块 (no recorded run yet; make mutate records them): {', '.join(unmeasured(baseline))}")
    if not groups:
        print("变异测试: 有记录的受保护模块均未改动 (no recorded module changed since its recorded run)")
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    template = template_database()
    failed, recorded = [], {}
    try:
        for group in groups:
            started = time.monotonic()
            # A recorded score, and CI's, come from a run afresh: mutmut's kept kills would stand
            # even where the tests that made them have changed.
            prepare(group, args.fresh or args.changed or args.record)
            run_group(group, template, args.children)
            minutes = (time.monotonic() - started) / 60
            print(f"\n== {group} ({minutes:.1f} min; log var/mutation/{group}/mutmut.log) ==")
            # The list as it is now: a run takes up to an hour and a half, and entries are written meanwhile.
            explained = equivalents()
            with open(WORK / group / "survivors.txt", "w", encoding="utf-8") as out:
                for path, codes in results(group).items():
                    shown = diffs(group, [n for n, c in codes.items() if c not in CAUGHT])
                    hashes = {n: diff_hash(d) for n, d in shown.items()}
                    s = score(codes, {n for n, h in hashes.items() if (n, h) in explained})
                    recorded_floor = floor_of(path, baseline)
                    floor = recorded_floor if args.changed else TARGET
                    ok = s["score"] >= floor and s["mutants"] > 0
                    print(f"  {path:34} {s['killed']:4}/{s['mutants']:<4} killed, {s['equivalent']:3} equivalent, "
                          f"{s['no_tests']:3} unreached  {s['score']:7.1%}  {'ok' if ok else f'UNDER {floor:.0%}'}")
                    for name in s["unexplained"]:
                        status = STATUS.get(codes[name], f"exit {codes[name]}")
                        print(f"      {status}: {name} ({hashes[name]})")
                        out.write(f"# {name} ({hashes[name]}): {status}\n{shown[name]}\n")
                    if not ok:
                        failed.append(path)
                    entry = {"sha256": source_hash(path), **{k: v for k, v in s.items() if k != "unexplained"}}
                    if path in baseline and s["score"] < recorded_floor:
                        print(f"      not recorded: {s['score']:.1%} is under the recorded floor {recorded_floor:.1%}")
                    else:
                        recorded[path] = entry
    finally:
        for leftover in WORK.glob(template.name + "*"):
            leftover.unlink()
    if args.record:
        write_baseline(recorded)
    if failed:
        print(f"\n变异测试未达标 (too few mutants killed): {', '.join(failed)}; diffs in var/mutation/<group>/survivors.txt")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
