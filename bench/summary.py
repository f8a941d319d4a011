"""`make bench-summary`: run the bench scripts several times and summarise every figure they
report (bench/figures.py) in one Markdown table: the value of each run, the median, the
spread, the target and in how many runs it was met. The README's performance tables are
pasted from this table.

    python bench/summary.py --runs 3 --folder build/bench-runs --out build/bench-summary.md \\
        -- make --no-print-directory bench-scripts
    python bench/summary.py --from build/bench-runs/run-1.jsonl build/bench-runs/run-2.jsonl   # no run

Each run gets its own figures file (``BENCH_FIGURES=<folder>/run-K.jsonl``, emptied first) and
its whole output is kept beside it (``run-K.log``) as well as printed. A run that fails stops
the series: the table is still made from the runs recorded (a figure missing from a run is
shown as "-") and the exit status says so.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_figures(path):
    """{name: figure} of one run's file, in the order first reported (a figure reported twice
    in one run: the last value)."""
    found = {}
    if not os.path.exists(path):
        return found
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                fig = json.loads(line)
                found[fig["name"]] = fig
    return found


def fmt(value, unit):
    """A value as the tables print it: ratios to two decimals, other units to whole numbers
    from 100 up."""
    if value is None:
        return "-"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:.0f}{unit}" if abs(value) >= 100 else f"{value:.1f}{unit}"


def rows(runs):
    """One row per figure name (in the order first seen over the runs): (name, values per run
    (None where absent), median, spread, target, met count, runs with the figure, unit, detail)."""
    names = list(dict.fromkeys(name for run in runs for name in run))
    out = []
    for name in names:
        figs = [run.get(name) for run in runs]
        present = [f for f in figs if f is not None]
        values = [f["value"] for f in present]
        last = present[-1]
        target = last["target"]
        met = None if target is None else sum(v <= target for v in values)
        out.append((name, [None if f is None else f["value"] for f in figs], statistics.median(values),
                    max(values) - min(values), target, met, len(values), last["unit"], last["detail"]))  # fmt: skip
    return out


def table(runs):
    """The Markdown table of ``runs`` (each {name: figure} from :func:`read_figures`)."""
    head = ["figure", *(f"run {k + 1}" for k in range(len(runs))), "median", "spread", "target", "met", "what"]
    align = ["---"] + ["---:"] * (len(head) - 4) + [":-:", ":-:", "---"]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    for name, values, median, spread, target, met, count, unit, detail in rows(runs):
        cells = [f"`{name}`", *(fmt(v, unit) for v in values), fmt(median, unit), fmt(spread, unit)]
        cells += ["-" if target is None else f"<= {fmt(target, unit)}", "-" if met is None else f"{met}/{count}"]
        lines.append("| " + " | ".join(cells + [detail.replace("|", "/")]) + " |")
    return "\n".join(lines)


def header(runs_done, runs_asked, command):
    """What the table is: when, where, how many runs, with which sizes."""
    args = {k: v for k, v in sorted(os.environ.items()) if k.startswith("BENCH_") and k.endswith("_ARGS") and v}
    sizes = "; ".join(f"{k}={v!r}" for k, v in args.items()) or "the scripts' default sizes"
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    # the table is pasted into the README: the checkout's own path is left out of it
    shown = " ".join(os.path.relpath(c, ROOT) if os.path.isabs(c) and c.startswith(ROOT) else c for c in command)
    return (f"Figures of `make bench` over {runs_done} run(s) of {runs_asked} ({when}, {os.cpu_count()} CPUs; "
            f"{sizes}; command: `{shown or 'none, from files'}`). Each ratio is taken between two "
            "measurements of the same run; \"spread\" is the largest value less the smallest; \"met\" counts the "
            "runs at or under the target; \"what\" is the last run's description.")  # fmt: skip


def run_once(command, folder, k):
    """Run ``command`` with its figures going to ``folder/run-k.jsonl``, its output printed and
    kept in ``run-k.log``; (figures file, exit status)."""
    figures, log = os.path.join(folder, f"run-{k}.jsonl"), os.path.join(folder, f"run-{k}.log")
    open(figures, "w").close()
    print(f"\n##### bench run {k}: {' '.join(command)}", flush=True)
    env = dict(os.environ, BENCH_FIGURES=os.path.abspath(figures))
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            out.write(line)
        status = proc.wait()
    return figures, status


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--folder", default="build/bench-runs", help="each run's figures and output")
    parser.add_argument("--out", default="build/bench-summary.md", help="the table (Markdown)")
    parser.add_argument("--from", dest="files", nargs="+", help="summarise these figures files; run nothing")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="after --: the command of one run")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    failed = None
    if args.files:
        files, command = args.files, []
    elif not command:
        parser.error("give the command of one run after --, or --from files")
    else:
        os.makedirs(args.folder, exist_ok=True)
        files = []
        for k in range(1, args.runs + 1):
            path, status = run_once(command, args.folder, k)
            files.append(path)
            if status != 0:
                failed = f"run {k} failed (exit status {status}; its output: {path[:-6]}.log): no further runs"
                break
    runs = [read_figures(p) for p in files]
    text = header(len(runs), len(files) if args.files else args.runs, command) + "\n\n" + table(runs) + "\n"
    if failed:
        text += f"\n{failed}\n"
    print("\n" + text)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"(written to {args.out})")
    return 1 if failed or not any(runs) else 0


if __name__ == "__main__":
    sys.exit(main())
