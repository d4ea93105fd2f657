"""`narrator verify JOB [--fix]`: proof-listen a job's stored audio, and what it prints.

Exit codes: 0 every heard segment is good; 1 segments remain bad (or unstored); 2 a user error,
including a missing recognizer (one line naming `pip install -e '.[verify]'`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import anyio

from narrator.cli.parser import EXIT_INCOMPLETE, EXIT_OK, Commands
from narrator.errors import StoreError
from narrator.jobfile import Job, load_job
from narrator.plan import Plan, build_plan


def add_verify(sub: Commands) -> None:
    verify = sub.add_parser(
        "verify", help="hear a job's stored audio back (speech recognition) and flag mis-speakings"
    )
    verify.add_argument("job", type=Path, help="the job YAML file")
    verify.add_argument(
        "--fix",
        action="store_true",
        help="re-synthesize flagged segments (default: the job's `verify`, or report only)",
    )
    verify.set_defaults(handler=verify_command)


def verify_command(args: argparse.Namespace) -> int:
    from narrator.verify.job import check_recognizer

    check_recognizer()  # before reading anything: the fix is to install the extra
    job = load_job(args.job)
    if not job.workspace.exists():
        raise StoreError(f"workspace {job.workspace} has no manifest; run the job first")
    fix = args.fix or job.verify == "fix"
    plan = build_plan(job)
    table, bad, fixed = anyio.run(_verify, job, plan, fix)
    print(table)
    if fixed:
        print(f"{fixed} segments re-synthesized; run `narrator run {args.job}` to assemble them")
    return EXIT_INCOMPLETE if bad else EXIT_OK


async def _verify(job: Job, plan: Plan, fix: bool) -> tuple[str, int, int]:
    from narrator.pipeline import _pool_settings
    from narrator.store import Store
    from narrator.verify import job as verifying
    from narrator.verify.recognizer import Recognizer

    store = await anyio.to_thread.run_sync(Store.open, job.workspace)
    try:
        async with verifying.open_for(job) as service:
            verifier = verifying.make_verifier(
                job, plan, store, Recognizer(), service, _pool_settings(job), fix
            )
            counts = await verifier.run()
        report = verifying.report(job, store)
    finally:
        store.close()
    for note in counts.notes:
        print(f"note: {note}")
    unstored = sum(c.segments - c.verified for c in report.chapters)
    return report.table(), report.total("still_bad") + unstored, counts.fixed
