"""`narrator run | status | plan`: a job file's commands, and what they print."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TypeVar

import anyio

from narrator.cli.parser import Commands
from narrator.cli.progress import PlanProgress, RunProgress
from narrator.errors import UserError
from narrator.jobfile import load_job
from narrator.pipeline import RunOptions, RunSummary, run_job
from narrator.plan import Plan, build_plan, skipped_summary
from narrator.store import Store

T = TypeVar("T")


def add_commands(sub: Commands) -> None:
    run = sub.add_parser("run", help="synthesize a job and assemble its audiobook (resumes)")
    run.add_argument("job", type=Path, help="the job YAML file")
    run.add_argument("--fresh", action="store_true", help="discard stored audio and start over")
    run.add_argument("--no-assemble", action="store_true", help="synthesize only")
    run.add_argument(
        "--force", action="store_true", help="replace files in output.dir narrator did not write"
    )
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
        force=args.force,
        note=_print_note,
        progress=partial(RunProgress, quiet=args.quiet),
        planning=PlanProgress(quiet=args.quiet),
    )
    summary = anyio.run(_until_interrupted, run_job, job, options)
    _print_summary(summary)
    return 0 if summary.complete else 1


async def _until_interrupted(work: Callable[..., Awaitable[T]], *args: object) -> T:
    """Run `work`; SIGINT or SIGTERM cancels it through anyio and raises KeyboardInterrupt.

    Cancelling through anyio (rather than asyncio's own SIGINT handling, which cancels the main
    task natively) reaches worker threads too: assembly polls it and stops within moments,
    killing its ffmpeg processes and deleting its temp files before the command exits.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []
    work_scope = anyio.CancelScope()
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with anyio.create_task_group() as group:

            async def watch() -> None:
                async for _ in signals:
                    work_scope.cancel()
                    return

            group.start_soon(watch)
            with work_scope:
                try:
                    outcome.append(await work(*args))
                except Exception as exc:  # raised below, outside the task group (no group)
                    failure.append(exc)
            group.cancel_scope.cancel()
    if failure:
        raise failure[0]
    if not outcome:
        raise KeyboardInterrupt
    return outcome[0]


def _print_note(note: str) -> None:
    print(f"note: {note}", file=sys.stderr)


def _print_summary(summary: RunSummary) -> None:
    print(
        f"requests: {summary.planned} planned for {summary.segments} segments, "
        f"{summary.reused} already stored, {summary.synthesized} synthesized, "
        f"{summary.failed} failed ({summary.requests} sent, "
        f"{clock(summary.audio_seconds)} of new audio)"
    )
    for error in summary.errors[:10]:
        print(f"  failed: {error}", file=sys.stderr)
    if not summary.complete:
        print("some segments failed; run the job again to retry them", file=sys.stderr)
    if summary.qc_table:
        print(summary.qc_table)
    if summary.verify_table:
        print(summary.verify_table)
    for note in summary.notes:
        print(f"note: {note}", file=sys.stderr)
    if summary.skipped:
        print(f"not spoken: {skipped_summary(summary.skipped)} (see narrator plan; matter: all)")
    folders = {path.parent for path in summary.files}
    if len(folders) == 1:
        print(f"wrote {len(summary.files)} files to {folders.pop()}/")
        for path in summary.files:
            print(f"  {path.name}")
    else:
        for path in summary.files:
            print(f"wrote {path}")


def clock(seconds: float) -> str:
    """A duration as h:mm:ss, the one style every command prints."""
    whole = int(seconds + 0.5)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def status_command(args: argparse.Namespace) -> int:
    job = load_job(args.job)
    if not job.workspace.exists():
        print(f"{args.job}: not started (no workspace at {job.workspace})")
        return 0
    store = Store.read_only(job.workspace)  # works while a run holds the workspace
    try:
        print(store.status().render())
        if job.verify != "off" or store.takes():
            from narrator.verify.report import build_report

            print(build_report(store).line())
    finally:
        store.close()
    return 0


def plan_command(args: argparse.Namespace) -> int:
    if args.chapter is not None and args.show is None:
        raise UserError("--chapter goes with --show normalized; add it or drop --chapter")
    job = load_job(args.job)
    meter = PlanProgress()
    try:
        plan = build_plan(job, meter)
    finally:
        meter.close()
    for line in plan_lines(plan, plan.chapter_seconds_with(job.pauses)):
        print(line)
    print(
        f"total: {len(plan.chapters)} chapters; requests: {plan.unique_requests} planned for "
        f"{len(plan.segments)} segments; about {clock(plan.seconds_with(job.pauses))} of audio "
        "(h:mm:ss, pauses included)"
    )
    if plan.skipped:
        print(f"not spoken: {skipped_summary(plan.skipped)}")
    for note in plan.notes:
        print(f"note: {note}")
    if args.show == "normalized":
        _print_spoken(plan, args.chapter)
    return 0


def plan_lines(plan: Plan, seconds: Sequence[float] | None = None) -> list[str]:
    """Every chapter in reading order with its role; skipped ones marked, with word counts.

    `seconds` is each chapter's length with pauses (default: the segments' predicted speech).
    """
    lengths = seconds if seconds is not None else [c.seconds for c in plan.chapters]
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
            f"{clock(lengths[number]):>8}  voice {chapter.voice.config_id}  {chapter.role}"
        )
        inside = [p for p in plan.skipped if p.in_chapter == number]
        if inside:
            lines.append(f"     skipped inside: {skipped_summary(inside)}")
    return lines


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
