"""The end of `make mutants`: the score per module and overall, and every survivor.

Reads what mutmut 3 left in the copy's `mutants/` folder (a `.meta` file per mutated
module: each mutant's exit code, and how long the tests that reach it take) and asks mutmut for each survivor's diff,
which is turned into file:line and the changed code, so a survivor can be found without
mutmut at hand.

Verdicts: "killed" (a test failed) and "timeout" (the mutant made the tests hang: a
user would notice) count as killed; "survived" (every test passed) and "no tests" (no
selected test reaches the function) are survivors; "suspicious", "segfault" and "not
checked" are listed too and count against the score. "skipped" (a `# pragma: no mutate`)
is left out of the count.
"""

import ast
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

KILLED = {"killed", "timeout", "caught by type check"}
LEFT_OUT = {"skipped"}
STATUS_BY_EXIT_CODE = {
    0: "survived",
    1: "killed",
    3: "killed",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    37: "caught by type check",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    255: "timeout",
    -11: "segfault",
    -9: "segfault",
    None: "not checked",
}
"""mutmut 3.8's meaning of a mutant's exit code (mutmut.stats.status_by_exit_code)."""


@dataclass(frozen=True)
class Survivor:
    module: str
    line: int
    function: str
    status: str
    before: str
    after: str
    name: str


def status_of(exit_code: int | None) -> str:
    """mutmut's verdict for an exit code; anything it does not name is suspicious."""
    return STATUS_BY_EXIT_CODE.get(exit_code, "suspicious")


def print_report(workdir: Path, *, minimum: float) -> int:
    """Print the scores and survivors of the run in `workdir`; 1 if below `minimum` %."""
    os.chdir(workdir)  # mutmut's helpers read mutants/… relative to the copy
    results = _load_results(workdir)
    if not results:
        print("error: mutmut left no results (no module was mutated?)")
        return 2
    survivors: list[Survivor] = []
    rows = []
    totals: Counter[str] = Counter()
    for module, (exit_codes, durations) in sorted(results.items()):
        counts = Counter(status_of(code) for code in exit_codes.values())
        totals.update(counts)
        rows.append((module, counts, sum(durations.values())))
        for name, code in exit_codes.items():
            status = status_of(code)
            if status not in KILLED and status not in LEFT_OUT:
                survivors.append(_describe(module, name, status))
    print()
    print("Mutation score (killed = killed or timed out; see docs/mutation-testing.md)")
    header = f"{'module':<26}{'mutants':>8}{'killed':>8}{'survived':>9}"
    print(header + f"{'no tests':>9}{'other':>7}{'score':>8}{'worst':>10}")
    for module, counts, seconds in rows:
        print(_row(module, counts, f"{seconds / 60:.1f} min"))
    print(_row("overall", totals, ""))
    print("(worst: the time the tests that reach each mutant take, added up over the")
    print(
        " module's mutants: its share of the run if none were killed; a killed mutant"
    )
    print(" stops at its first failing test, and each adds ~1 s of pytest start-up.)")
    if survivors:
        print()
        print(f"Survivors ({len(survivors)}): file:line  function  [verdict]  mutation")
        for survivor in sorted(survivors, key=lambda s: (s.module, s.line, s.name)):
            print(
                f"  {survivor.module}:{survivor.line}  {survivor.function}  "
                f"[{survivor.status}]  {survivor.before}  ->  {survivor.after}  "
                f"({survivor.name})"
            )
    score = _score(totals)
    print()
    if score < minimum:
        print(f"mutants: FAILED: {score:.1f}% of mutants killed, below {minimum:g}%")
        return 1
    print(f"mutants: {score:.1f}% of mutants killed (at least {minimum:g}% needed)")
    return 0


def _load_results(
    workdir: Path,
) -> dict[str, tuple[dict[str, int | None], dict[str, float]]]:
    """Per mutated module: each mutant's exit code and its tests' usual duration.

    (mutmut's own per-mutant duration is 0 under the fork server, so the estimate it
    schedules by, the tests' durations in the stats run, stands in for it.)
    """
    results = {}
    for meta in sorted((workdir / "mutants").rglob("*.py.meta")):
        data = json.loads(meta.read_text())
        if not data["exit_code_by_key"]:
            continue
        module = str(meta.relative_to(workdir / "mutants"))[: -len(".meta")]
        estimated = data.get("estimated_durations_by_key", {})
        results[module] = (data["exit_code_by_key"], estimated)
    return results


def _score(counts: Counter[str]) -> float:
    counted = sum(n for status, n in counts.items() if status not in LEFT_OUT)
    killed = sum(n for status, n in counts.items() if status in KILLED)
    return 100.0 * killed / counted if counted else 100.0


def _row(module: str, counts: Counter[str], time: str) -> str:
    counted = sum(n for status, n in counts.items() if status not in LEFT_OUT)
    killed = sum(n for status, n in counts.items() if status in KILLED)
    named = killed + counts["survived"] + counts["no tests"]
    other = counted - named
    return (
        f"{module:<26}{counted:>8}{killed:>8}{counts['survived']:>9}"
        f"{counts['no tests']:>9}{other:>7}{_score(counts):>7.1f}%{time:>10}"
    )


def _describe(module: str, name: str, status: str) -> Survivor:
    """Where a mutant is in the original file, and what it changed there."""
    from libcst import ParserSyntaxError
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    function = _function_of(name)
    try:
        diff = get_diff_for_mutant(name, path=module).splitlines()
    except (OSError, LookupError, ValueError, ParserSyntaxError) as error:
        # A diff that cannot be made (a mutated file out of step): still name it.
        return Survivor(module, 0, function, status, f"(no diff: {error})", "", name)
    removed = [line[1:] for line in diff if line.startswith("-") and line[:3] != "---"]
    added = [line[1:] for line in diff if line.startswith("+") and line[:3] != "+++"]
    line = _line_in_source(module, function, diff, removed)
    return Survivor(
        module,
        line,
        function,
        status,
        " / ".join(text.strip() for text in removed) or "(nothing)",
        " / ".join(text.strip() for text in added) or "(removed)",
        name,
    )


def _function_of(name: str) -> str:
    """`Class.method` or `function` from a mutant name like videos.x_f__mutmut_3."""
    mangled = name.rpartition(".")[2].partition("__mutmut_")[0]
    if mangled.startswith("xǁ"):
        return ".".join(mangled[2:].split("ǁ"))
    return mangled.removeprefix("x_")


def _line_in_source(
    module: str, function: str, diff: list[str], removed: list[str]
) -> int:
    """The source line of the first changed line: the hunk's offset into the function,
    checked against the text (a comment above a function shifts the offset)."""
    source = Path(module).read_text().splitlines()
    span = _function_span(Path(module).read_text(), function)
    if span is None or not removed:
        return 0
    first, last = span
    offset = 0
    for index, text in enumerate(diff):
        if text.startswith("@@"):
            offset = int(text.split()[1].lstrip("-").split(",")[0])
            context = 0
            for following in diff[index + 1 :]:
                if following.startswith("-"):
                    break
                context += 1
            offset += context
            break
    guess = first + offset - 1
    wanted = removed[0].strip()
    if 0 < guess <= len(source) and source[guess - 1].strip() == wanted:
        return guess
    for number in range(first, last + 1):
        if source[number - 1].strip() == wanted:
            return number
    return first


def _function_span(text: str, function: str) -> tuple[int, int] | None:
    """First and last line of `function` (or `Class.method`) in a module's source."""
    path = function.split(".")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef) and len(path) == 2 and node.name == path[0]:
            methods = (
                item
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            )
            for method in methods:
                if method.name == path[1]:
                    return method.lineno, method.end_lineno or method.lineno
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and len(path) == 1
            and node.name == path[0]
        ):
            return node.lineno, node.end_lineno or node.lineno
    return None
