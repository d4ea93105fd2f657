"""PROTOCOL.md's test vectors as bytes: one copy, for the codec's tests and the interop peer's."""

from __future__ import annotations

import uuid

ID = uuid.UUID("12345678-1234-5678-1234-567812345678")
TIMESTAMP = 1_700_000_000_000

# Text "Hello world.", params {"language":"English","max_new_tokens":360}: 68 bytes.
VECTOR_INPUT_PARAMS = bytes.fromhex(
    "000000018bcfe568000000002b7b226c616e6775616765223a22456e676c697368222c226d61785f6e65"
    "775f746f6b656e73223a3336307d48656c6c6f20776f726c642e"
)
# Text "Ça va?", no params: 20 bytes.
VECTOR_INPUT_PLAIN = bytes.fromhex("000000018bcfe5680000000000c387612076613f")
# Not final, usage 7, index 0, one audio entry of samples [0, 1, -1, 32767]: 50 bytes.
VECTOR_RESPONSE_AUDIO = bytes.fromhex(
    "00123456781234567812345678123456780000018bcfe5687b00000007000000000000000100000008"
    "0100000100ffffff7f"
)
# Final, usage 12, index 1, no entries, one trailing frame-type byte (0x01): 38 bytes.
VECTOR_RESPONSE_FINAL = bytes.fromhex(
    "01123456781234567812345678123456780000018bcfe569c80000000c000000010000000001"
)
