"""Open a price file named on the command line, with one clear error for each way it can fail.

A price file must be a regular, readable file of UTF-8 text (a UTF-8 byte-order mark is allowed).
Anything else -- a missing file, a dangling or looping symbolic link, a directory, a pipe or device, a
file without read permission, UTF-16 text, a compressed or binary file -- is an :class:`InputError`
naming the file and saying how to fix it. The checks never block: a pipe is refused before it is opened.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from pricing.errors import InputError

SNIFF_BYTES = 8192
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
_MAGIC = (
    (b"\x1f\x8b", "gzip-compressed; decompress it first (gunzip)"),
    (b"PK\x03\x04", "a zip archive; extract the CSV file from it first"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed; decompress it first (unzstd)"),
    (b"BZh", "bzip2-compressed; decompress it first (bunzip2)"),
    (b"\xfd7zXZ\x00", "xz-compressed; decompress it first (unxz)"),
    (b"PAR1", "a parquet file, not a CSV price file"),
)


def _fail(path: Path | str, message: str) -> InputError:
    return InputError(message, where=str(path))


def check_regular_file(path: Path | str) -> os.stat_result:
    """``os.stat`` of ``path`` (following links) if it is a regular file; else an InputError saying what it is."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise _fail(path, "symbolic link to a missing file; point it at the price file") from None
        raise _fail(path, "file not found") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _fail(path, "symbolic link loop; point the link at the price file") from None
        if exc.errno == errno.ENAMETOOLONG:
            raise _fail(str(path)[:80] + "...", "file name too long") from None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise _fail(path, "permission denied; check the folder's permissions") from None
        if exc.errno == errno.ENOTDIR:
            raise _fail(path, "file not found (a part of the path is not a folder)") from None
        raise _fail(path, f"cannot be read ({exc.strerror or exc})") from None
    except ValueError as exc:  # embedded NUL byte in the name
        raise _fail(repr(str(path))[1:-1], f"not a usable file name ({exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise _fail(path, "is a directory; give the price file inside it")
    if not stat.S_ISREG(st.st_mode):
        raise _fail(path, "not a regular file (a pipe, socket or device); save the price list to a file first")
    return st


def open_price_file(path: Path | str) -> BinaryIO:
    """Open ``path`` for reading as bytes after :func:`check_regular_file`; refuse text that is not UTF-8 by
    its first bytes (UTF-16/32, NUL bytes, compressed archives). The caller closes the file."""
    check_regular_file(path)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - handed to the caller, who closes it
    except PermissionError:
        raise _fail(path, "permission denied; make the file readable (chmod u+r) or copy it") from None
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror or exc})") from None
    try:
        head = fh.read(SNIFF_BYTES)
        fh.seek(0)
    except OSError as exc:
        fh.close()
        raise _fail(path, f"cannot be read ({exc.strerror or exc})") from None
    problem = sniff(head)
    if problem:
        fh.close()
        raise _fail(path, problem)
    return fh


def sniff(head: bytes) -> str | None:
    """Why the first bytes of a file show it is not UTF-8 CSV text, or None."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return f"{name} text; save it as UTF-8 (e.g. iconv -f {name} -t UTF-8)"
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return f"not a text file: {what}"
    if b"\x00" in head:
        return ("not a text file (it contains NUL bytes: a binary file, or UTF-16 text without a byte-order mark); "
                "give a UTF-8 CSV price file")
    return None


def not_utf8(path: Path | str, exc: UnicodeDecodeError, line: int | None = None) -> InputError:
    """The error for text that is not UTF-8 (``line``: where the reader was, when known)."""
    bad = exc.object[exc.start:exc.start + 1]
    byte = f" (byte 0x{bad[0]:02x})" if isinstance(bad, bytes) and bad else ""
    at = f" near line {line}" if line else ""
    return _fail(path, f"not UTF-8 text{at}{byte}; save the file as UTF-8")
