#!/usr/bin/env python3
"""Kills a run with SIGKILL part-way, resumes it, and compares its statistics.

Usage: kill_and_resume.py --mpiexec M --ranks N [--resume-ranks N2]
                          --kill-after-rows K --statistics REL_PATH --work DIR
                          [--rtol R] -- app [args ...]

1. Runs `M -np N app args` in DIR/full to the end.
2. Runs it again in DIR/killed, in its own process group, and kills the whole
   group with SIGKILL as soon as REL_PATH has K data rows (fails if the run
   ends before that: the case is too short to be interrupted).
3. Resumes it there with `M -np N2 app args --resume`.
4. Compares the resumed statistics with the uninterrupted ones
   (compare_csv.py, relative tolerance R; wall time and iterations ignored).
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def rows(path):
    try:
        with open(path) as f:
            return max(0, sum(1 for _ in f) - 1)
    except OSError:
        return 0


def descendants(pid):
    """The processes below @p pid (Open MPI puts its ranks in their own process groups)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    found, pending = [], [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def kill_all(pid):
    """SIGKILL to @p pid and everything below it, at once."""
    for p in [pid] + descendants(pid):
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mpiexec", required=True)
    parser.add_argument("--ranks", type=int, default=1)
    parser.add_argument("--resume-ranks", type=int)
    parser.add_argument("--kill-after-rows", type=int, required=True)
    parser.add_argument("--statistics", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--rtol", default="1e-10")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = [c for c in args.command if c != "--"]
    resume_ranks = args.resume_ranks or args.ranks

    shutil.rmtree(args.work, ignore_errors=True)
    full, killed = os.path.join(args.work, "full"), os.path.join(args.work, "killed")
    os.makedirs(full)
    os.makedirs(killed)

    def launch(ranks, extra=()):
        return [args.mpiexec, "-np", str(ranks)] + command + list(extra)

    subprocess.run(launch(args.ranks), cwd=full, check=True, stdout=subprocess.DEVNULL)
    total = rows(os.path.join(full, args.statistics))
    if total <= args.kill_after_rows:
        print(f"FAIL: the run has {total} rows; it cannot be killed after {args.kill_after_rows}")
        return 1

    run = subprocess.Popen(launch(args.ranks), cwd=killed, stdout=subprocess.DEVNULL, start_new_session=True)
    statistics = os.path.join(killed, args.statistics)
    while rows(statistics) < args.kill_after_rows and run.poll() is None:
        time.sleep(0.005)
    if run.poll() is not None:
        print("FAIL: the run ended before it could be killed")
        return 1
    kill_all(run.pid)
    run.wait()
    time.sleep(0.5)  # nothing may write after the kill
    at_kill = rows(statistics)
    if at_kill >= total:
        print("FAIL: the run was not stopped by the kill")
        return 1
    print(f"killed with SIGKILL after {at_kill} of {total} rows")

    resumed = subprocess.run(launch(resume_ranks, ["--resume"]), cwd=killed, stdout=subprocess.PIPE, text=True)
    if resumed.returncode != 0:
        print(f"FAIL: the resumed run exited with {resumed.returncode}")
        return 1
    print(f"resumed on {resume_ranks} rank(s)")
    return subprocess.run([sys.executable, os.path.join(HERE, "compare_csv.py"), os.path.join(full, args.statistics),
                           statistics, "--rtol", args.rtol, "--noise-floor", args.rtol]).returncode


if __name__ == "__main__":
    sys.exit(main())
