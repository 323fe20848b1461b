"""Extracting untrusted archives (.zip, .tar, .tar.gz) into a new folder, all or nothing.

    extract_archive(source, target)
      format        from the first bytes, never from the name
      zip           the member count from the end record and every name and type from the central
                    directory are checked before anything is written
      tar, tar.gz   each member is checked as it streams by
      every file    written here as the decompressor yields it, each piece counted against the limits
                    before it is written (headers' sizes are never trusted), mode 0o644 (folders 0o755)
      staging       a hidden folder beside `target`, renamed to `target` once every check passed and
                    removed on any failure: a refused archive leaves nothing on disk

Only regular files and folders are extracted: links, devices and fifos are refused, as are absolute
names, `..`, backslashes, drive letters, control characters, duplicate names (also ignoring case),
encryption, compression methods other than stored and deflate, and archives that expand past the limits.
Every refusal is an `InvalidInputError` of one line: what is wrong, what is allowed, the fix.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import stat
import struct
import tarfile
import tempfile
import unicodedata
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from benchhub.errors import InvalidInputError

MIB, GIB = 1 << 20, 1 << 30
CHUNK = 1 << 20  # the most any one read or decompression step yields
IN_CHUNK = 64 << 10  # compressed bytes read at a time


@dataclass(frozen=True)
class ArchiveLimits:
    """What an upload may hold. The defaults take a transformers checkpoint of about 500M fp32 parameters and
    refuse what only a bomb or a crafted archive needs."""

    max_members: int = 10_000  # files and folders; a checkpoint holds about ten
    max_total_bytes: int = 2 * GIB  # everything extracted, counted as it is written
    max_ratio: float = 200.0  # bytes out per compressed byte; weights compress about 1.1:1, JSON 5-20:1
    ratio_floor_bytes: int = MIB  # ratios are checked past this many bytes, so small repetitive files pass
    max_depth: int = 16  # path parts of one member, the file's own name included
    max_name_bytes: int = 255  # of one path part (NAME_MAX)
    max_path_bytes: int = 1024  # of a whole member name


ADVICE = "re-create the archive from the folder itself (e.g. `zip -r model.zip mymodel/` or `tar czf model.tar.gz mymodel/`)"
KINDS_ALLOWED = "archives may hold only regular files and folders"
DRIVE = re.compile(r"[A-Za-z]:")
# Compressed formats benchhub recognises but does not extract.
OTHER_FORMATS = (
    (re.compile(rb"BZh[1-9]1AY&SY"), "bzip2"),
    (re.compile(rb"\xfd7zXZ\x00"), "xz"),
    (re.compile(rb"\x28\xb5\x2f\xfd"), "zstd"),
    (re.compile(rb"7z\xbc\xaf\x27\x1c"), "7z"),
    (re.compile(rb"Rar!\x1a\x07"), "rar"),
)


def archive_format(path: Path) -> str | None:
    """"zip", "tar" or "tar.gz" by the file's first bytes, or None for a file that is no archive. Formats
    benchhub recognises but does not extract (bzip2, xz, zstd, 7z, rar) are refused."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InvalidInputError(f"Cannot read {path.name} ({exc.strerror or exc}); upload a .zip, .tar or .tar.gz file.") from exc
    if not stat.S_ISREG(mode):  # opening a fifo would block
        raise InvalidInputError(f"{path.name} is not a regular file; upload a .zip, .tar or .tar.gz file.")
    with path.open("rb") as handle:
        head = handle.read(512)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if head[:2] == b"\x1f\x8b":
        return "tar.gz"
    if head[257:262] == b"ustar":
        return "tar"
    for magic, name in OTHER_FORMATS:
        if magic.match(head):
            raise InvalidInputError(f"{path.name} is a {name} file; benchhub extracts .zip, .tar and .tar.gz archives; "
                                    f"{ADVICE}.")
    return None


def extract_archive(source: Path, target: Path, *, limits: ArchiveLimits = ArchiveLimits()) -> Path:
    """Extracts `source` into the new folder `target` (whose parent must exist) and returns `target`.

    An archive that holds one folder and nothing else (`zip -r model.zip mymodel/`) is unwrapped: `target`
    holds that folder's contents. On any refusal or error, neither `target` nor the staging folder remains.
    """
    kind = archive_format(source)
    if kind is None:
        raise InvalidInputError(f"{source.name} is not a .zip, .tar or .tar.gz archive (judged by its first bytes); {ADVICE}.")
    if target.exists() or target.is_symlink():
        raise FileExistsError(f"{target} exists already; extract_archive creates its target folder")
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".staging", dir=target.parent))
    try:
        writer = _Writer(staging, source.name, limits)
        if kind == "zip":
            _extract_zip(source, writer)
        else:
            _extract_tar(source, writer, compressed=kind == "tar.gz")
        if writer.files == 0:
            raise InvalidInputError(f"{source.name} holds no files; upload an archive of the folder with its files.")
        _publish(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _publish(staging: Path, target: Path) -> None:
    """Renames the staging folder, or the one folder it holds alone, to `target`."""
    entries = list(staging.iterdir())
    if len(entries) == 1 and entries[0].is_dir():
        os.rename(entries[0], target)
        shutil.rmtree(staging, ignore_errors=True)
    else:
        os.chmod(staging, 0o755)
        os.rename(staging, target)


# --- names --------------------------------------------------------------------------------------------

def _shown(name: str) -> str:
    text = repr(name)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(name):,} characters)"


def _name_parts(archive: str, name: str, limits: ArchiveLimits) -> tuple[str, ...]:
    """The path parts of a member name, or the refusal of a name that could land outside the folder, could not
    be written on every system, or is too long or deep. The archive's root ("./") has no parts."""
    member = f"{archive}: member {_shown(name)}"
    bad = next((c for c in name if unicodedata.category(c) in ("Cc", "Cf")), None)
    if bad is not None:
        raise InvalidInputError(f"{member} holds the control character {bad!r}; names must be printable text; "
                                f"rename the file and {ADVICE}.")
    if "\\" in name:
        raise InvalidInputError(f"{member} holds a backslash; names separate folders with '/'; {ADVICE} with a tool that "
                                f"writes '/' (zip, tar, Python's shutil.make_archive).")
    if name.startswith("/") or DRIVE.match(name):
        what = "an absolute path" if name.startswith("/") else "a path starting with a drive letter"
        raise InvalidInputError(f"{member} is {what}; names must be relative to the archive's folder; {ADVICE}.")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidInputError(f"{member} is not valid UTF-8; names must be UTF-8 text; rename the file and {ADVICE}.") from None
    parts = tuple(part for part in name.split("/") if part not in ("", "."))
    if ".." in parts:
        raise InvalidInputError(f"{member} climbs out of the archive's folder with '..'; names must stay inside it; {ADVICE}.")
    if size > limits.max_path_bytes:
        raise InvalidInputError(f"{member} is {size:,} bytes long; names may be up to {limits.max_path_bytes:,} bytes; "
                                f"shorten the path.")
    long = next((part for part in parts if len(part.encode("utf-8")) > limits.max_name_bytes), None)
    if long is not None:
        raise InvalidInputError(f"{member} has a part of {len(long.encode('utf-8')):,} bytes; each file or folder name "
                                f"may be up to {limits.max_name_bytes} bytes; shorten it.")
    if len(parts) > limits.max_depth:
        raise InvalidInputError(f"{member} is {len(parts)} levels deep; the limit is {limits.max_depth}; flatten the folders.")
    return parts


class _Names:
    """The names an archive has shown so far, to refuse duplicates, names that differ only in case (or Unicode
    form), and a name used for a file and for a folder."""

    def __init__(self, archive: str) -> None:
        self.archive = archive
        self.kinds: dict[tuple[str, ...], str] = {}  # folded path -> "file", "folder" or "parent" (implied)
        self.spellings: dict[tuple[str, ...], tuple[str, ...]] = {}

    def add(self, parts: tuple[str, ...], *, folder: bool) -> None:
        for depth in range(1, len(parts)):
            key = self._key(parts[:depth])
            if self.kinds.get(key) == "file":
                raise self._refusal(f"{'/'.join(parts)!r} lies inside {'/'.join(parts[:depth])!r}, which is also a file")
            self.kinds.setdefault(key, "parent")
        key = self._key(parts)
        kind = self.kinds.get(key)
        if kind in ("file", "folder"):
            raise self._refusal(f"{'/'.join(parts)!r} appears twice")
        if kind == "parent" and not folder:
            raise self._refusal(f"{'/'.join(parts)!r} is both a file and a folder")
        self.kinds[key] = "folder" if folder else "file"

    def _key(self, parts: tuple[str, ...]) -> tuple[str, ...]:
        key = tuple(unicodedata.normalize("NFC", part).casefold() for part in parts)
        seen = self.spellings.setdefault(key, parts)
        if seen != parts:
            raise self._refusal(f"{'/'.join(seen)!a} and {'/'.join(parts)!a} differ only in letter case or Unicode "
                                f"form (they collide on Windows and macOS)")
        return key

    def _refusal(self, what: str) -> InvalidInputError:
        return InvalidInputError(f"{self.archive}: {what}; each name may appear once, ignoring case; rename or remove "
                                 f"the duplicate and {ADVICE}.")


# --- writing and counting -----------------------------------------------------------------------------

class _Writer:
    """Writes checked members under the staging folder and counts every byte against the limits."""

    def __init__(self, root: Path, archive: str, limits: ArchiveLimits) -> None:
        self.root, self.archive, self.limits = root, archive, limits
        self.names = _Names(archive)
        self.members = self.files = 0
        self.total_out = self.total_in = 0

    def member(self, name: str, *, folder: bool) -> tuple[str, ...]:
        """Counts and checks one member; returns its path parts."""
        self.members += 1
        if self.members > self.limits.max_members:
            raise self.too_many(f"more than {self.limits.max_members:,}")
        parts = _name_parts(self.archive, name, self.limits)
        if parts:
            self.names.add(parts, folder=folder)
        return parts

    def too_many(self, count: str) -> InvalidInputError:
        return InvalidInputError(f"{self.archive} holds {count} members; the limit is {self.limits.max_members:,} files and "
                                 f"folders; upload fewer files (leave out caches and checkpoints of other steps).")

    def too_big(self, size: str) -> InvalidInputError:
        return InvalidInputError(f"{self.archive} expands to {size}; the limit is {self.limits.max_total_bytes:,} bytes "
                                 f"in all; upload fewer or smaller files.")

    def folder(self, parts: tuple[str, ...]) -> Path:
        path = self.root
        for part in parts:
            path = path / part
            if not path.is_dir():
                path.mkdir(mode=0o755)
                os.chmod(path, 0o755)  # whatever the umask
        return path

    @contextmanager
    def file(self, parts: tuple[str, ...]) -> Iterator[BinaryIO]:
        """A new file, mode 0o644; it never follows a link nor replaces a file."""
        path = self.folder(parts[:-1]) / parts[-1]
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        descriptor = os.open(path, flags, 0o644)
        os.fchmod(descriptor, 0o644)
        self.files += 1
        with os.fdopen(descriptor, "wb") as handle:
            yield handle

    def count(self, produced: int, consumed: int) -> None:
        """Counts bytes written and the compressed bytes they came from; refuses as soon as a limit is passed."""
        self.total_out += produced
        self.total_in += consumed
        if self.total_out > self.limits.max_total_bytes:
            raise self.too_big(f"more than {self.limits.max_total_bytes:,} bytes")
        if self.dense(self.total_out, self.total_in):
            raise InvalidInputError(
                f"{self.archive} expands more than {self.limits.max_ratio:g} times its compressed size (a decompression "
                f"bomb?); the limit is {self.limits.max_ratio:g}:1 past the first {self.limits.ratio_floor_bytes:,} bytes; "
                f"upload the files uncompressed or compressed normally."
            )

    def dense(self, produced: int, consumed: int) -> bool:
        return produced >= self.limits.ratio_floor_bytes and produced > self.limits.max_ratio * max(consumed, 1)


# --- zip ----------------------------------------------------------------------------------------------

END_RECORD = struct.Struct("<4s4H2LH")  # signature, disk numbers, entries on this disk and in all, size, offset, comment
ZIP64_LOCATOR = struct.Struct("<4sLQL")
ZIP64_END = struct.Struct("<4sQ2H2L4Q")
LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # signature, version, flags, method, time, date, CRC, sizes, name and extra lengths
STORED, DEFLATED = 0, 8
METHODS = {1: "shrink", 6: "implode", 9: "deflate64", 12: "bzip2", 14: "lzma", 93: "zstd", 95: "xz", 99: "AES"}
CENTRAL_ENTRY_MAX = 4096  # bytes a central directory may spend per allowed member (names, extra fields)
TYPES = {stat.S_IFLNK: "a symbolic link", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
         stat.S_IFIFO: "a fifo", stat.S_IFSOCK: "a socket"}


def _extract_zip(source: Path, writer: _Writer) -> None:
    import zipfile

    with source.open("rb") as raw:
        _check_directory_size(raw, writer)
        try:
            with zipfile.ZipFile(raw) as archive:
                infos = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, EOFError, OSError) as exc:
            raise InvalidInputError(f"{writer.archive} is not a readable zip archive ({exc}); {ADVICE}.") from None
        if len(infos) > writer.limits.max_members:
            raise writer.too_many(f"{len(infos):,}")
        declared = sum(info.file_size for info in infos)
        if declared > writer.limits.max_total_bytes:
            raise writer.too_big(f"{declared:,} bytes by its directory")
        members = []
        for info in infos:  # every member is checked before anything is written
            folder = _zip_folder(writer.archive, info)
            members.append((info, folder, writer.member(info.orig_filename, folder=folder)))
        for info, folder, parts in members:
            if folder:
                writer.folder(parts)
            else:
                _copy_zip_member(raw, info, parts, writer)


def _check_directory_size(raw: BinaryIO, writer: _Writer) -> None:
    """Refuses, from the end record alone, an archive that lists too many members or whose central directory is
    larger than that many members need, before the directory is parsed."""
    size = raw.seek(0, os.SEEK_END)
    start = max(0, size - END_RECORD.size - 0xFFFF)
    raw.seek(start)
    tail = raw.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < END_RECORD.size:
        raise InvalidInputError(f"{writer.archive} is not a readable zip archive (no end of central directory record); {ADVICE}.")
    _, _, _, _, entries, directory, _, _ = END_RECORD.unpack_from(tail, at)
    if (entries == 0xFFFF or directory == 0xFFFFFFFF) and at >= ZIP64_LOCATOR.size:
        signature, _, offset, _ = ZIP64_LOCATOR.unpack_from(tail, at - ZIP64_LOCATOR.size)
        if signature == b"PK\x06\x07" and offset + ZIP64_END.size <= size:
            raw.seek(offset)
            record = raw.read(ZIP64_END.size)
            if record[:4] == b"PK\x06\x06":
                entries, directory = ZIP64_END.unpack(record)[7:9]
    limits = writer.limits
    if entries > limits.max_members:
        raise writer.too_many(f"{entries:,}")
    if directory > limits.max_members * CENTRAL_ENTRY_MAX:
        raise InvalidInputError(f"{writer.archive} has a central directory of {directory:,} bytes, more than "
                                f"{limits.max_members:,} members need; {ADVICE}.")
    raw.seek(0)


def _zip_folder(archive: str, info) -> bool:
    """Whether a zip member is a folder; refuses encryption, methods other than stored and deflate, and Unix
    file types other than regular files and folders (links, devices, fifos)."""
    member = f"{archive}: member {_shown(info.orig_filename)}"
    if info.flag_bits & 0x41:
        raise InvalidInputError(f"{member} is encrypted; benchhub reads only unencrypted archives; re-create the "
                                f"archive without a password.")
    if info.compress_type not in (STORED, DEFLATED):
        method = METHODS.get(info.compress_type, f"number {info.compress_type}")
        raise InvalidInputError(f"{member} is compressed with {method}; benchhub extracts stored or deflated members; "
                                f"re-create the archive with `zip -r` (deflate).")
    kind = stat.S_IFMT(info.external_attr >> 16) if info.create_system == 3 else 0
    if kind in TYPES:
        raise InvalidInputError(f"{member} is {TYPES[kind]}; {KINDS_ALLOWED}; replace it by the file itself (zip without "
                                f"-y follows links) or leave it out.")
    return info.orig_filename.endswith("/") or kind == stat.S_IFDIR


def _copy_zip_member(raw: BinaryIO, info, parts: tuple[str, ...], writer: _Writer) -> None:
    """Decompresses one member from its own local header on, counting what comes out, into a new file."""
    member = f"{writer.archive}: member {_shown(info.orig_filename)}"
    raw.seek(info.header_offset)
    header = raw.read(LOCAL_HEADER.size)
    if len(header) < LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise InvalidInputError(f"{member} has no local header where the directory says; the archive is damaged; {ADVICE}.")
    flags, name_length, extra_length = (LOCAL_HEADER.unpack(header)[i] for i in (2, 9, 10))
    local_name = raw.read(name_length).decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
    if local_name != info.orig_filename:
        raise InvalidInputError(f"{member} is called {_shown(local_name)} in its local header; an archive names each "
                                f"member once; {ADVICE}.")
    raw.seek(extra_length, os.SEEK_CUR)
    decompressor = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type == DEFLATED else None
    produced = consumed = crc = 0
    with writer.file(parts) as out:
        for piece, used in _zip_pieces(raw, info.compress_size, decompressor, member):
            produced += len(piece)
            consumed += used
            if produced > info.file_size:
                raise InvalidInputError(f"{member} expands to more than the {info.file_size:,} bytes its header declares; "
                                        f"the archive is damaged or crafted; {ADVICE}.")
            if writer.dense(produced, consumed):
                raise InvalidInputError(
                    f"{member} expands more than {writer.limits.max_ratio:g} times its compressed size (a zip bomb?); "
                    f"the limit is {writer.limits.max_ratio:g}:1 past the first {writer.limits.ratio_floor_bytes:,} bytes; "
                    f"upload the file uncompressed or compressed normally."
                )
            writer.count(len(piece), used)
            crc = zlib.crc32(piece, crc)
            out.write(piece)
    if produced != info.file_size or crc != info.CRC:
        raise InvalidInputError(f"{member} is damaged (its size or CRC differs from its header's); {ADVICE}.")


def _zip_pieces(raw: BinaryIO, size: int, decompressor, member: str) -> Iterator[tuple[bytes, int]]:
    """(decompressed bytes, compressed bytes they used), at most `CHUNK` bytes at a time."""
    left = size
    while left > 0 and not (decompressor is not None and decompressor.eof):
        chunk = raw.read(min(IN_CHUNK, left))
        if not chunk:
            raise InvalidInputError(f"{member} is cut short: the archive ends inside it; {ADVICE}.")
        left -= len(chunk)
        if decompressor is None:
            yield chunk, len(chunk)
            continue
        pending = chunk
        while pending and not decompressor.eof:
            try:
                piece = decompressor.decompress(pending, CHUNK)
            except zlib.error as exc:
                raise InvalidInputError(f"{member} is damaged ({exc}); {ADVICE}.") from None
            used = len(pending) - len(decompressor.unconsumed_tail)
            pending = decompressor.unconsumed_tail
            yield piece, used
    if decompressor is not None:
        while not decompressor.eof and (piece := decompressor.decompress(b"", CHUNK)):
            yield piece, 0
        if not decompressor.eof:
            raise InvalidInputError(f"{member} is cut short: its compressed data ends early; {ADVICE}.")


# --- tar ----------------------------------------------------------------------------------------------

MAX_METADATA = MIB  # a long-name or pax header, which tarfile reads into memory whole
METADATA_TYPES = frozenset({tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME,
                            tarfile.GNUTYPE_LONGLINK})
TAR_TYPES = {tarfile.SYMTYPE: "a symbolic link", tarfile.LNKTYPE: "a hard link", tarfile.CHRTYPE: "a character device",
             tarfile.BLKTYPE: "a block device", tarfile.FIFOTYPE: "a fifo", tarfile.CONTTYPE: "a contiguous file",
             tarfile.GNUTYPE_SPARSE: "a sparse file"}


class _MetadataTooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class _TarHeader(tarfile.TarInfo):
    """A tar header that refuses metadata headers (long names, pax attributes) over `MAX_METADATA` before
    tarfile reads them into memory."""

    @classmethod
    def frombuf(cls, buf: bytes, encoding: str, errors: str) -> tarfile.TarInfo:
        info = super().frombuf(buf, encoding, errors)
        if info.type in METADATA_TYPES and info.size > MAX_METADATA:
            raise _MetadataTooLarge(info.size)
        return info


class _Metered:
    """The tar bytes of a .tar or .tar.gz file, read at most `CHUNK` at a time and counted as they are read."""

    def __init__(self, raw: BinaryIO, stream: IO[bytes], writer: _Writer) -> None:
        self.raw, self.stream, self.writer = raw, stream, writer

    def read(self, size: int = -1) -> bytes:
        before = self.raw.tell()
        data = self.stream.read(CHUNK if size is None or size < 0 else min(size, CHUNK))
        self.writer.count(len(data), self.raw.tell() - before)
        return data


def _extract_tar(source: Path, writer: _Writer, *, compressed: bool) -> None:
    with source.open("rb") as raw:
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        try:
            with tarfile.open(fileobj=_Metered(raw, stream, writer), mode="r|", tarinfo=_TarHeader) as archive:
                for info in archive:
                    _extract_tar_member(archive, info, writer)
        except _MetadataTooLarge as exc:
            raise InvalidInputError(f"{writer.archive} holds a tar metadata header (long names, pax attributes) of "
                                    f"{exc.size:,} bytes; the limit is {MAX_METADATA:,}; {ADVICE}.") from None
        except InvalidInputError:
            raise
        except (tarfile.TarError, EOFError, OSError, ValueError, zlib.error) as exc:
            what = "tar.gz" if compressed else "tar"
            raise InvalidInputError(f"{writer.archive} is not a readable {what} archive ({exc}); {ADVICE}.") from None


def _extract_tar_member(archive: tarfile.TarFile, info: tarfile.TarInfo, writer: _Writer) -> None:
    regular = info.type in (tarfile.REGTYPE, tarfile.AREGTYPE) and info.sparse is None
    if not regular and not info.isdir():
        member = f"{writer.archive}: member {_shown(info.name)}"
        kind = TAR_TYPES.get(info.type, f"of tar type {info.type!r}")
        raise InvalidInputError(f"{member} is {kind}; {KINDS_ALLOWED}; replace it by the file itself (tar -h follows "
                                f"links) or leave it out.")
    parts = writer.member(info.name, folder=info.isdir())
    if info.isdir():
        writer.folder(parts)
        return
    if not parts:
        raise InvalidInputError(f"{writer.archive}: a file member has no name; {ADVICE}.")
    if writer.total_out + info.size > writer.limits.max_total_bytes:
        raise writer.too_big(f"more than {writer.limits.max_total_bytes:,} bytes (member {_shown(info.name)} alone "
                             f"is {info.size:,})")
    source = archive.extractfile(info)
    with writer.file(parts) as out:
        while data := source.read(CHUNK):
            out.write(data)
