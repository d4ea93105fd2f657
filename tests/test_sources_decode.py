"""narrator.sources.decode: bytes -> clean text, and the one-line errors for unreadable files."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from narrator.errors import SourceError
from narrator.sources.decode import clean_text, decode_bytes, fold, read_bytes, read_text

TEXT = "Café — “quoted” naïve\nsecond line\n"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"),
        TEXT.encode("cp1252"),
    ],
    ids=["utf8", "utf8-bom", "utf16-le", "utf16-be", "utf32-le", "cp1252"],
)
def test_decodes_supported_encodings(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(data)
    assert read_text(path) == TEXT


def test_windows_line_endings_become_newlines() -> None:
    assert decode_bytes(b"one\r\ntwo\rthree\n", Path("x.txt")) == "one\ntwo\nthree\n"


def test_control_characters_are_removed_but_tabs_and_newlines_stay() -> None:
    text = decode_bytes(b"a\x01b\x07c\td\ne\x1bf\x7f", Path("x.txt"))
    assert text == "abc\td\nef"


def test_form_feed_separates_words_instead_of_gluing_them() -> None:
    assert fold(decode_bytes(b"end of page\x0cnext page", Path("x.txt"))) == "end of page next page"


def test_paragraph_separator_is_a_blank_line_and_line_separator_a_line_break() -> None:
    assert clean_text("one\u2029two\u2028three") == "one\n\ntwo\nthree"


def test_nul_bytes_mean_binary(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(SourceError, match="binary") as info:
        read_text(path)
    assert str(path) in str(info.value)


def test_invalid_utf8_with_controls_is_refused_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "junk.txt"
    path.write_bytes(b"text \xff\xfe\x01\x02\x03 more")  # no BOM at the start
    with pytest.raises(SourceError, match="UTF-8") as info:
        read_text(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_cp1252_undefined_byte_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "odd.txt"
    path.write_bytes(b"caf\xe9 \x81")  # 0x81 has no cp1252 character
    with pytest.raises(SourceError, match="re-save it as UTF-8"):
        read_text(path)


def test_broken_utf16_after_bom_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "half.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + b"a\x00b")  # odd number of bytes
    with pytest.raises(SourceError, match="UTF-16") as info:
        read_text(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.txt"
    with pytest.raises(SourceError, match="no such file") as info:
        read_bytes(path)
    assert str(path) in str(info.value)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is a directory") as info:
        read_bytes(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("hidden")

    def refuse(self: Path) -> bytes:  # chmod 0 does not stop root, who runs CI here
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(SourceError, match="permission denied") as info:
        read_bytes(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value.__cause__, PermissionError)


def test_other_os_errors_become_source_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "flaky.txt"
    path.write_text("text")

    def fail(self: Path) -> bytes:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(Path, "read_bytes", fail)
    with pytest.raises(SourceError, match="Input/output error") as info:
        read_bytes(path)
    assert str(path) in str(info.value)


def test_clean_text_keeps_unicode_text() -> None:
    assert clean_text("naïve ☃ 東京\n") == "naïve ☃ 東京\n"


def test_fold_collapses_all_whitespace() -> None:
    assert fold("  a \n\t b\u00a0c  ") == "a b c"
