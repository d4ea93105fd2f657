"""`narrator run | status | plan`: a job file's commands, and what they print."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

import anyio

from narrator.cli.progress import SynthesisProgress
from narrator.jobfile import load_job
from narrator.pipeline import RunOptions, RunSummary, run_job
from narrator.plan import Plan, build_plan, skipped_summary
from narrator.store import Store


def add_commands(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="synthesize a job and assemble its audiobook (resumes)")
    run.add_argument("job", type=Path, help="the job YAML file")
    run.add_argument("--fresh", action="store_true", help="discard stored audio and start over")
    run.add_argument("--no-assemble", action="store_true", help="synthesize only")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    run.set_defaults(handler=run_command)
    status = sub.add_parser("status", help="show a job's progress from its store")
    status.add_argument("job", type=Path)
    status.set_defaults(handler=status_command)
    plan = sub.add_parser("plan", help="show chapters, segments and duration (no network)")
    plan.add_argument("job", type=Path)
    plan.set_defaults(handler=plan_command)


def run_command(args: argparse.Namespace) -> int:
    job = load_job(args.job)
    options = RunOptions(
        fresh=args.fresh,
        assemble=not args.no_assemble,
        note=_print_note,
        progress=partial(SynthesisProgress, quiet=args.quiet),
    )
    summary = anyio.run(run_job, job, options)
    _print_summary(summary)
    return 0 if summary.complete else 1


def _print_note(note: str) -> None:
    print(f"note: {note}", file=sys.stderr)


def _print_summary(summary: RunSummary) -> None:
    print(
        f"segments: {summary.planned} planned, {summary.reused} already stored, "
        f"{summary.synthesized} synthesized, {summary.failed} failed "
        f"({summary.requests} requests, {summary.audio_seconds / 60:.1f} new audio min)"
    )
    for error in summary.errors[:10]:
        print(f"  failed: {error}", file=sys.stderr)
    if not summary.complete:
        print("some segments failed; run the job again to retry them", file=sys.stderr)
    if summary.qc_table:
        print(summary.qc_table)
    for note in summary.notes:
        print(f"note: {note}", file=sys.stderr)
    if summary.skipped:
        print(f"not spoken: {skipped_summary(summary.skipped)} (see narrator plan; matter: all)")
    for path in summary.files:
        print(f"wrote {path}")


def status_command(args: argparse.Namespace) -> int:
    job = load_job(args.job)
    if not job.workspace.exists():
        print(f"{args.job}: not started (no workspace at {job.workspace})")
        return 0
    store = Store.read_only(job.workspace)  # works while a run holds the workspace
    try:
        print(store.status().render())
    finally:
        store.close()
    return 0


def plan_command(args: argparse.Namespace) -> int:
    job = load_job(args.job)
    plan = build_plan(job)
    for line in plan_lines(plan):
        print(line)
    print(
        f"total: {len(plan.chapters)} chapters, {len(plan.segments)} segments, "
        f"{plan.unique_requests} requests, about {plan.seconds / 60:.1f} min of audio"
    )
    if plan.skipped:
        print(f"not spoken: {skipped_summary(plan.skipped)}")
    for note in plan.notes:
        print(f"note: {note}")
    return 0


def plan_lines(plan: Plan) -> list[str]:
    """Every chapter in reading order with its role; skipped ones marked, with word counts."""
    titles = [c.title for c in plan.chapters] + [p.title for p in plan.skipped]
    width = min(max((len(t) for t in titles), default=10), 60)
    lines: list[str] = []
    for number in range(len(plan.chapters) + 1):
        for part in plan.skipped:
            if part.before == number and part.in_chapter is None:
                kind = "chapter" if part.what == "chapter" else part.what
                why = "skip list" if part.reason == "skip" else f"{part.role}, not in matter"
                lines.append(
                    f"  -  {part.title[:60]:<{width}}  skipped {kind} ({why}): {part.words:,} words"
                )
        if number == len(plan.chapters):
            break
        chapter = plan.chapters[number]
        lines.append(
            f"{number + 1:>3}  {chapter.title[:60]:<{width}}  {chapter.segments:>5} segments  "
            f"{chapter.seconds / 60:>7.1f} min  voice {chapter.voice.config_id}  {chapter.role}"
        )
        inside = [p for p in plan.skipped if p.in_chapter == number]
        if inside:
            lines.append(f"     skipped inside: {skipped_summary(inside)}")
    return lines
