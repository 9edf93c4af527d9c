"""The verdict of `make mutation`: killed percentage per file and in total, from mutmut's results.

Run from the staging directory (.cache/mutation/, see tests/mutation.sh). A mutant counts as
killed when a test failed on it or when it timed out (a mutant that makes a loop endless is
caught); survived, untested ("no tests") and suspicious ones count against the score. Every
mutant not killed is listed by name (`mutmut show NAME` in the staging directory prints its
diff). Exits 1 when the total is below --minimum percent, or when no mutant was checked.
"""

import argparse
import ast
import collections
import difflib
import json
import pathlib
import sys

# mutmut's exit codes (mutmut.stats.status_by_exit_code).
KILLED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout"}
NAMES = {0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", None: "not checked"}
PREFIX = "ansible_collections/sparkflows/mlops/"


def functions(path):
    """The source of every function of a mutated file, by name (mutmut's x_name__mutmut_N)."""
    text = path.read_text()
    lines = text.splitlines()
    return dict((node.name, "\n".join(lines[node.lineno - 1:node.end_lineno])) for node in ast.walk(ast.parse(text))
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))


def change(sources, key):
    """What a mutant changed, as '-old | +new' lines, and whether only a text's letters changed
    (mutmut's "XX" around a string or its case): a message, not a decision."""
    name = key.rsplit(".", 1)[1]
    original = sources.get(name.split("__mutmut_")[0] + "__mutmut_orig")
    mutated = sources.get(name)
    if original is None or mutated is None:
        return "(source not found)", False
    diff = difflib.unified_diff(original.splitlines()[1:], mutated.splitlines()[1:], lineterm="", n=0)
    lines = [line.strip() for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    removed = [line[1:].strip() for line in lines if line.startswith("-")]
    added = [line[1:].strip() for line in lines if line.startswith("+")]
    text_only = bool(removed) and len(removed) == len(added) and all(
        new.replace("XX", "").lower() == old.lower() and new != old for old, new in zip(removed, added))
    return " | ".join(lines), text_only


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minimum", type=float, default=80.0)
    parser.add_argument("--mutants", default="mutants")
    args = parser.parse_args()

    counts = collections.OrderedDict()
    not_killed = []
    for meta in sorted(pathlib.Path(args.mutants).rglob("*.py.meta")):
        source = str(meta.relative_to(args.mutants))[: -len(".meta")]
        source = source[len(PREFIX):] if source.startswith(PREFIX) else source
        results = json.loads(meta.read_text())["exit_code_by_key"]
        if not results:
            continue
        sources = functions(pathlib.Path(str(meta)[: -len(".meta")]))
        killed = 0
        for name, code in sorted(results.items()):
            if code in KILLED:
                killed += 1
            else:
                diff, text_only = change(sources, name)
                not_killed.append((NAMES.get(code, "suspicious"), name, diff, text_only))
        counts[source] = (killed, len(results))

    if not counts:
        print("make mutation: no mutant found (did mutmut run?)")
        return 1
    if any(status == "not checked" for status, _name, _diff, _text in not_killed):
        print("make mutation: some mutants were not checked (interrupted run?)")
        return 1

    print()
    print("Mutants not killed (`cd .cache/mutation && mutmut show NAME` shows one):")
    for status, name, diff, text_only in not_killed:
        if not text_only:
            print("  %-9s %s: %s" % (status, name.rsplit(".", 1)[1], diff[:400]))
    texts = [name.rsplit(".", 1)[1] for status, name, diff, text_only in not_killed if text_only]
    print("Mutants not killed that only change the letters of a text (\"XX\" around it, or its case): %d" % len(texts))
    print("  " + " ".join(texts))
    print()
    print("%-48s %7s %7s %8s" % ("file", "killed", "mutants", "killed%"))
    total_killed = total = 0
    for source, (killed, mutants) in counts.items():
        total_killed += killed
        total += mutants
        print("%-48s %7d %7d %7.1f%%" % (source, killed, mutants, 100.0 * killed / mutants))
    score = 100.0 * total_killed / total
    print("%-48s %7d %7d %7.1f%%" % ("total", total_killed, total, score))
    if score < args.minimum:
        print("make mutation: FAILED, %.1f%% killed is below %.0f%%" % (score, args.minimum))
        return 1
    print("make mutation: %.1f%% killed (minimum %.0f%%)" % (score, args.minimum))
    return 0


if __name__ == "__main__":
    sys.exit(main())
