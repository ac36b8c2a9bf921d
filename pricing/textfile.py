"""Open the files users hand us (scenarios, price books, model configs, price files) or say in one line why not.

Every refusal is an :class:`~pricing.errors.InputError` naming the file: not found, a directory, not a
regular file (a named pipe or device would block or never end), a symbolic link loop, no permission,
too big, binary, UTF-16/UTF-32 instead of UTF-8, or bytes that are not UTF-8 (with the line they are on).

* :func:`read_text_file` reads a whole (small) text file into a string.
* :func:`open_checked` opens a (possibly large) UTF-8 text file for streaming, e.g. for ``csv.reader``;
  a bad byte found later in the file still raises :class:`InputError` with its line.
* :func:`check_text_file` only checks that the file opens and starts as UTF-8 text (for readers that open
  the file themselves, in binary).
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from pricing.errors import InputError

MAX_TEXT_BYTES = 8 * 1024 * 1024
SNIFF_BYTES = 64 * 1024

_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _refuse(path: Path | str, message: str) -> InputError:
    return InputError(message, where=str(path))


def _stat_regular(path: Path, what: str) -> os.stat_result:
    """Stat ``path`` (following links) and refuse anything but a regular file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise _refuse(path, "is a symbolic link to a file that does not exist; point it at the real file") from None
        raise _refuse(path, "file not found; check the path") from None
    except OSError as exc:
        raise _os_error(path, exc, what) from None
    if stat.S_ISDIR(st.st_mode):
        raise _refuse(path, f"is a directory, not a {what}; give the path of the file")
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(path, f"is not a regular file (a pipe, socket or device), not a {what}; give a saved file")
    return st


def _os_error(path: Path | str, exc: OSError, what: str) -> InputError:
    if exc.errno == errno.ELOOP:
        return _refuse(path, "is a symbolic link that loops back on itself; point it at a real file")
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return _refuse(path, f"cannot be read: permission denied; make the {what} readable")
    if isinstance(exc, IsADirectoryError):
        return _refuse(path, f"is a directory, not a {what}; give the path of the file")
    if exc.errno == errno.ENAMETOOLONG:
        return _refuse(path, "the path is too long; check it")
    reason = exc.strerror or type(exc).__name__
    return _refuse(path, f"cannot be read ({reason}); check the {what}")


def _open_binary(path: Path, what: str) -> IO[bytes]:
    _stat_regular(path, what)
    try:
        return open(path, "rb")
    except OSError as exc:
        raise _os_error(path, exc, what) from None


def _check_start(head: bytes, path: Path, what: str) -> int:
    """Refuse binary or UTF-16/32 text from the first bytes; return the length of a UTF-8 BOM to skip."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            raise _refuse(path, f"is {name} text; save the {what} as UTF-8")
    if b"\x00" in head:
        sample = head[:4096]
        zeros = sample.count(b"\x00")
        if zeros * 3 >= len(sample):  # every other byte zero: UTF-16 without a byte-order mark
            raise _refuse(path, f"looks like UTF-16 text (every other byte is zero); save the {what} as UTF-8")
        raise _refuse(path, f"is a binary file (it contains NUL bytes), not a {what}; check that this is the right file")
    return len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0


def _not_utf8(path: Path, data: bytes, exc: UnicodeDecodeError, what: str, first_line: int = 1) -> InputError:
    line = first_line + data[: exc.start].count(b"\n")
    bad = data[exc.start : exc.start + 1].hex()
    return _refuse(path, f"line {line} is not UTF-8 text (byte 0x{bad}); save the {what} as UTF-8")


def read_text_file(path: str | Path, *, what: str = "file", max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The whole of a UTF-8 text file (a UTF-8 byte-order mark is dropped), or one-line InputError."""
    p = Path(path)
    with _open_binary(p, what) as fh:
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise _os_error(p, exc, what) from None
    if len(data) > max_bytes:
        raise _refuse(p, f"is larger than {max_bytes // (1024 * 1024)} MiB, too big for a {what}; "
                         "check that this is the right file")
    skip = _check_start(data[:SNIFF_BYTES], p, what)
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(p, data[skip:], exc, what) from None


def check_text_file(path: str | Path, *, what: str = "file") -> Path:
    """Check that ``path`` is a readable regular file that starts as UTF-8 text; return it as a Path."""
    p = Path(path)
    with _open_binary(p, what) as fh:
        try:
            head = fh.read(SNIFF_BYTES)
        except OSError as exc:
            raise _os_error(p, exc, what) from None
    skip = _check_start(head, p, what)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head[skip:], final=False)
    except UnicodeDecodeError as exc:
        raise _not_utf8(p, head[skip:], exc, what) from None
    return p


class CheckedText:
    """A UTF-8 text stream over a file that turns a decoding error into a one-line InputError with its line.

    Iterating yields lines (as ``open(..., newline="")`` would), so ``csv.reader(stream)`` works.
    """

    def __init__(self, path: Path, raw: IO[bytes], what: str) -> None:
        self._path, self._raw, self._what = path, raw, what
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.line = 0  # lines read so far

    def readline(self) -> str:
        raw = self._raw.readline()
        try:
            text = self._decoder.decode(raw, final=not raw)
        except UnicodeDecodeError as exc:
            raise _not_utf8(self._path, raw, exc, self._what, first_line=self.line + 1) from None
        if text:
            self.line += 1
        return text

    def read(self) -> str:
        return "".join(iter(self.readline, ""))

    def __iter__(self) -> Iterator[str]:
        return iter(self.readline, "")

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def open_checked(path: str | Path, *, what: str = "file") -> CheckedText:
    """Open a UTF-8 text file for reading line by line, after the same checks as :func:`read_text_file`.

    Lines keep their line endings (like ``newline=""``); a leading UTF-8 byte-order mark is dropped.
    """
    p = Path(path)
    raw = _open_binary(p, what)
    try:
        head = raw.read(SNIFF_BYTES)
        skip = _check_start(head, p, what)
        raw.seek(skip)
    except BaseException:
        raw.close()
        raise
    return CheckedText(p, raw, what)
