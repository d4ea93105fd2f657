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
from narrator.errors import UserError
from narrator.plan import Plan, build_plan
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
    plan.add_argument(
        "--show",
        choices=["normalized"],
        help="normalized: each segment as it will be spoken, under the text as written",
    )
    plan.add_argument("--chapter", type=int, metavar="N", help="with --show: chapter N only")
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
    if args.chapter is not None and args.show is None:
        raise UserError("--chapter goes with --show normalized; add it or drop --chapter")
    job = load_job(args.job)
    plan = build_plan(job)
    width = max((len(c.title) for c in plan.chapters), default=10)
    for number, chapter in enumerate(plan.chapters, 1):
        print(
            f"{number:>3}  {chapter.title:<{width}}  {chapter.segments:>5} segments  "
            f"{chapter.seconds / 60:>7.1f} min  voice {chapter.voice.config_id}"
        )
    print(
        f"total: {len(plan.chapters)} chapters, {len(plan.segments)} segments, "
        f"{plan.unique_requests} requests, about {plan.seconds / 60:.1f} min of audio"
    )
    for note in plan.notes:
        print(f"note: {note}")
    if args.show == "normalized":
        _print_spoken(plan, args.chapter)
    return 0


def _print_spoken(plan: Plan, chapter: int | None) -> None:
    """Each segment as spoken; a rewritten one is shown under its text as written (- / +)."""
    if chapter is not None and not 1 <= chapter <= len(plan.chapters):
        raise UserError(
            f"--chapter {chapter}: the plan has chapters 1 to {len(plan.chapters)}; pick one"
        )
    shown = -1
    for index, segment in enumerate(plan.segments):
        if chapter is not None and segment.chapter != chapter - 1:
            continue
        if segment.chapter != shown:
            shown = segment.chapter
            print(f"\n== {shown + 1}  {plan.chapters[shown].title}")
        source = " ".join(plan.source_text(index).split())
        spoken = " ".join(segment.text.split())
        if source == spoken:
            print(f"  {spoken}")
        else:
            print(f"- {source}\n+ {spoken}")
