"""Extracting untrusted archives: good ones land whole, hostile ones are one line and leave nothing on disk.

Every archive is built here, in tmp_path; the bombs are built from one deflate block repeated, so a
"10 GB" zip costs a megabyte and a fraction of a second, and the extractor must refuse it as fast.
"""

from __future__ import annotations

import gzip
import io
import stat
import struct
import tarfile
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchhub.data.archives import ArchiveLimits, archive_format, extract_archive
from benchhub.errors import InvalidInputError

MIB, GIB = 1 << 20, 1 << 30


# --- building archives ----------------------------------------------------------------------------------

def zip_of(path: Path, files: dict[str, bytes], *, modes: dict[str, int] | None = None,
           method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = method
            info.create_system = 3
            info.external_attr = ((modes or {}).get(name, 0o100644)) << 16
            archive.writestr(info, data)
    return path


def tar_of(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], *, gz: bool = False) -> Path:
    with tarfile.open(path, "w:gz" if gz else "w", format=tarfile.PAX_FORMAT) as archive:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def tar_member(name: str, kind: bytes = tarfile.REGTYPE, **fields) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in fields.items():
        setattr(info, key, value)
    return info


@dataclass
class Entry:
    """One member of a hand-built zip: `data` as stored (already deflated for method 8), sizes as declared."""

    name: bytes
    data: bytes = b""
    method: int = 0
    size: int | None = None  # the declared uncompressed size; default len(data)
    crc: int | None = None
    flags: int = 0
    mode: int = 0o100644  # the Unix mode in the external attributes


def raw_zip(path: Path, entries: list[Entry], *, listed: int | None = None) -> Path:
    """A zip written byte by byte, so headers can say what no zip tool would write; `listed` is the member count
    its end record claims."""
    local, central = bytearray(), bytearray()
    for entry in entries:
        size = len(entry.data) if entry.size is None else entry.size
        crc = (zlib.crc32(entry.data) if entry.method == 0 else 0) if entry.crc is None else entry.crc
        zip64 = size >= 0xFFFFFFFF
        extra = struct.pack("<HHQ", 1, 8, size) if zip64 else b""
        declared = 0xFFFFFFFF if zip64 else size
        offset = len(local)
        local += struct.pack("<4s5H3L2H", b"PK\x03\x04", 45, entry.flags, entry.method, 0, 0x21, crc, len(entry.data),
                             declared, len(entry.name), len(extra)) + entry.name + extra + entry.data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", (3 << 8) | 45, 45, entry.flags, entry.method, 0, 0x21, crc,
                               len(entry.data), declared, len(entry.name), len(extra), 0, 0, 0, entry.mode << 16,
                               offset) + entry.name + extra
    count = len(entries) if listed is None else listed
    end = b""
    if count > 0xFFFF:  # the count goes in a zip64 end record, found through its locator
        end = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(central), len(local))
        end += struct.pack("<4sLQL", b"PK\x06\x07", 0, len(local) + len(central), 1)
    end += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, min(count, 0xFFFF), min(count, 0xFFFF), len(central), len(local), 0)
    path.write_bytes(bytes(local) + bytes(central) + end)
    return path


def deflated_zeros(mib: int) -> bytes:
    """A raw deflate stream of `mib` MiB of zeros, about 1 KB per MiB: one fully flushed block, repeated."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = compressor.compress(bytes(MIB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return block * mib + b"\x03\x00"  # an empty final block ends the stream


def gzip_of_tar_zeros(path: Path, *, declared: int, mib: int) -> Path:
    """A tar.gz whose one member declares `declared` bytes, followed by `mib` MiB of zeros in the gzip stream."""
    header = tarfile.TarInfo("zeros.bin")
    header.size = declared
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    start = compressor.compress(header.tobuf(format=tarfile.PAX_FORMAT)) + compressor.flush(zlib.Z_FULL_FLUSH)
    # The trailer (CRC, size) is never reached; the extractor must stop long before.
    path.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + start + deflated_zeros(mib) + bytes(8))
    return path


def empty_tar_members(path: Path, count: int) -> Path:
    """A tar of `count` empty files, headers patched from one template (tarfile would take seconds)."""
    template = bytearray(tarfile.TarInfo("x").tobuf(format=tarfile.USTAR_FORMAT))
    template[0:100] = bytes(100)
    template[148:156] = b" " * 8
    base = sum(template)
    blocks = []
    for index in range(count):
        name = f"f{index:06d}".encode()
        block = bytearray(template)
        block[0:len(name)] = name
        block[148:156] = b"%06o\x00 " % (base + sum(name))
        blocks.append(bytes(block))
    path.write_bytes(b"".join(blocks) + bytes(1024))
    return path


# --- fixtures and checks ---------------------------------------------------------------------------------

@pytest.fixture
def out(tmp_path: Path) -> Path:
    """The folder a target is extracted into: empty before, and after any refusal."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def refused(source: Path, out: Path, message: str, *, limits: ArchiveLimits | None = None) -> str:
    """Extracts `source` into out/target expecting one refusal line matching `message`, and nothing left behind."""
    with pytest.raises(InvalidInputError, match=message) as raised:
        extract_archive(source, out / "target", limits=limits or ArchiveLimits())
    assert "\n" not in str(raised.value)
    assert list(out.iterdir()) == []
    return str(raised.value)


def contents(folder: Path) -> dict[str, bytes | None]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() if path.is_file() else None
            for path in sorted(folder.rglob("*"))}


# --- good archives --------------------------------------------------------------------------------------

def test_a_nested_zip_extracts_with_its_contents_and_safe_modes(tmp_path, out):
    files = {"config.json": b'{"a": 1}', "tokenizer/vocab.txt": b"hello\nworld\n", "deep/er/still/w.bin": bytes(range(256)) * 40,
             "empty/": b""}
    source = zip_of(tmp_path / "m.zip", files, modes={"config.json": 0o104777, "deep/er/still/w.bin": 0o100600})
    target = extract_archive(source, out / "target")
    assert target == out / "target"
    assert contents(target) == {"config.json": b'{"a": 1}', "deep": None, "deep/er": None, "deep/er/still": None,
                                "deep/er/still/w.bin": bytes(range(256)) * 40, "empty": None, "tokenizer": None,
                                "tokenizer/vocab.txt": b"hello\nworld\n"}
    modes = {path.relative_to(target).as_posix(): stat.S_IMODE(path.stat().st_mode) for path in target.rglob("*")}
    assert modes["config.json"] == 0o644 and modes["deep/er/still/w.bin"] == 0o644  # no setuid, no 0o777, no 0o600
    assert {modes[folder] for folder in ("deep", "deep/er", "empty", "tokenizer")} == {0o755}
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert [p.name for p in out.iterdir()] == ["target"]  # no staging folder left beside it


@pytest.mark.parametrize("kind", ["zip", "tar", "tar.gz"])
def test_one_top_level_folder_is_unwrapped(tmp_path, out, kind):
    files = {"mymodel/config.json": b"{}", "mymodel/sub/a.txt": b"a"}
    if kind == "zip":
        source = zip_of(tmp_path / "m.zip", {"mymodel/": b"", **files})
    else:
        members = [(tar_member("mymodel", tarfile.DIRTYPE, mode=0o700), None)]
        members += [(tar_member(name, mode=0o4755), data) for name, data in files.items()]
        source = tar_of(tmp_path / "m.tar", members, gz=kind == "tar.gz")
    target = extract_archive(source, out / "target")
    assert contents(target) == {"config.json": b"{}", "sub": None, "sub/a.txt": b"a"}
    assert stat.S_IMODE(target.stat().st_mode) == 0o755 and stat.S_IMODE((target / "sub" / "a.txt").stat().st_mode) == 0o644
    assert [p.name for p in out.iterdir()] == ["target"]


def test_a_folder_beside_a_file_is_not_unwrapped(tmp_path, out):
    source = zip_of(tmp_path / "m.zip", {"mymodel/config.json": b"{}", "README.md": b"hi"})
    assert contents(extract_archive(source, out / "target")) == {"README.md": b"hi", "mymodel": None, "mymodel/config.json": b"{}"}


def test_a_tar_of_dot_extracts_its_files(tmp_path, out):
    # `tar czf m.tgz -C mymodel .` names members "./config.json" and holds "./" itself.
    source = tar_of(tmp_path / "m.tgz", [(tar_member(".", tarfile.DIRTYPE), None), (tar_member("./config.json"), b"{}"),
                                         (tar_member("./w.bin"), b"\x00\x01")], gz=True)
    assert contents(extract_archive(source, out / "target")) == {"config.json": b"{}", "w.bin": b"\x00\x01"}


def test_the_format_comes_from_the_content_not_the_name(tmp_path, out):
    zipped = zip_of(tmp_path / "looks-like.tar.gz", {"a.txt": b"zip"})
    tarred = tar_of(tmp_path / "looks-like.zip", [(tar_member("a.txt"), b"tar")])
    gzipped = tar_of(tmp_path / "no-suffix", [(tar_member("a.txt"), b"tgz")], gz=True)
    assert [archive_format(p) for p in (zipped, tarred, gzipped)] == ["zip", "tar", "tar.gz"]
    assert (extract_archive(zipped, out / "z") / "a.txt").read_bytes() == b"zip"
    assert (extract_archive(tarred, out / "t") / "a.txt").read_bytes() == b"tar"
    assert (extract_archive(gzipped, out / "g") / "a.txt").read_bytes() == b"tgz"


def test_small_highly_compressible_files_pass_the_ratio_check(tmp_path, out):
    # Four JSON files of 200 KB, each about 500:1, 800 KB in all: under the 1 MiB floor, so no ratio applies.
    files = {f"f{i}.json": b"[" + b"0, " * 66_000 + b"0]" for i in range(4)}
    source = zip_of(tmp_path / "m.zip", files)
    assert contents(extract_archive(source, out / "target")) == files
    # Forty such files, 8 MB in all from about 16 KB: each member is under the floor, the archive's total is not.
    many = zip_of(tmp_path / "many.zip", {f"f{i}.json": bytes(200_000) for i in range(40)})
    with pytest.raises(InvalidInputError, match=r"^many\.zip expands more than 200 times its compressed size"):
        extract_archive(many, out / "many")
    assert [p.name for p in out.iterdir()] == ["target"]


def test_a_file_that_is_no_archive_is_none_and_refused_by_extract(tmp_path, out):
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text('{"id": 1, "label": "a"}\n')
    assert archive_format(predictions) is None
    refused(predictions, out, r"^predictions\.jsonl is not a \.zip, \.tar or \.tar\.gz archive \(judged by its first bytes\); "
                              r"re-create the archive from the folder itself \(e\.g\. `zip -r model\.zip mymodel/`")


def test_formats_benchhub_does_not_extract_are_refused_by_name(tmp_path, out):
    import bz2

    source = tmp_path / "m.tar.bz2"
    source.write_bytes(bz2.compress(b"x" * 1000))
    refused(source, out, r"^m\.tar\.bz2 is a bzip2 file; benchhub extracts \.zip, \.tar and \.tar\.gz archives")


def test_an_existing_target_is_never_overwritten(tmp_path, out):
    (out / "target").mkdir()
    with pytest.raises(FileExistsError):
        extract_archive(zip_of(tmp_path / "m.zip", {"a": b"a"}), out / "target")
    assert [p.name for p in out.iterdir()] == ["target"] and list((out / "target").iterdir()) == []


# --- hostile names ----------------------------------------------------------------------------------------

NAMES = [
    ("dot-dot", "../x", r"member '\.\./x' climbs out of the archive's folder with '\.\.'; names must stay inside it"),
    ("nested-dot-dot", "a/../../x", r"member 'a/\.\./\.\./x' climbs out of the archive's folder with '\.\.'"),
    ("absolute", "/etc/x", r"member '/etc/x' is an absolute path; names must be relative to the archive's folder"),
    ("backslash", "..\\x", r"member '\.\.\\\\x' holds a backslash; names separate folders with '/'"),
    ("drive", "C:/windows/x", r"member 'C:/windows/x' is a path starting with a drive letter"),
    ("escape-sequence", "a\x1b[31m.txt", r"member 'a\\x1b\[31m\.txt' holds the control character '\\x1b'; names must be printable"),
    ("right-to-left", "a\u202etxt.exe", r"holds the control character '\\u202e'"),
    ("long-part", "a" * 300, (r"member 'a{40,}\.\.\. \(300 characters\) has a part of 300 bytes; each file or folder "
                              r"name may be up to 255 bytes; shorten it\.")),
    ("long-path", "/".join(["b" * 200] * 6), r"is 1,205 bytes long; names may be up to 1,024 bytes; shorten the path\."),
    ("deep", "/".join("d" * 17), r"member 'd/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d' is 17 levels deep; the limit is 16; flatten the folders\."),
]


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
@pytest.mark.parametrize(("case", "name", "message"), NAMES, ids=[n[0] for n in NAMES])
def test_hostile_names_are_refused_and_leave_nothing(tmp_path, out, kind, case, name, message):
    good = {"config.json": b"{}"}
    if kind == "zip":
        source = zip_of(tmp_path / "m.zip", {**good, name: b"x"})
    else:
        source = tar_of(tmp_path / "m.zip", [(tar_member(n), d) for n, d in {**good, name: b"x"}.items()], gz=True)
    line = refused(source, out, message)
    assert line.startswith("m.zip: member ") and line.endswith(".")


def test_a_nul_in_a_zip_name_is_refused_where_zipfile_would_cut_the_name(tmp_path, out):
    source = raw_zip(tmp_path / "m.zip", [Entry(b"config.json", b"{}"), Entry(b"model.safetensors\x00.exe", b"x")])
    refused(source, out, r"^m\.zip: member 'model\.safetensors\\x00\.exe' holds the control character '\\x00'")


def test_a_zip_member_called_otherwise_in_its_local_header_is_refused(tmp_path, out):
    source = raw_zip(tmp_path / "m.zip", [Entry(b"a.txt", b"hello")])
    data = bytearray(source.read_bytes())
    data[30:35] = b"b.txt"  # the local header's name; the central directory still says a.txt
    source.write_bytes(bytes(data))
    refused(source, out, r"member 'a\.txt' is called 'b\.txt' in its local header")


# --- links, devices and other member types ----------------------------------------------------------------

MEMBER_TYPES = [
    ("symlink", tarfile.SYMTYPE, {"linkname": "/etc/passwd"}, "a symbolic link"),
    ("hardlink", tarfile.LNKTYPE, {"linkname": "config.json"}, "a hard link"),
    ("character-device", tarfile.CHRTYPE, {"devmajor": 1, "devminor": 3}, "a character device"),
    ("block-device", tarfile.BLKTYPE, {"devmajor": 8, "devminor": 0}, "a block device"),
    ("fifo", tarfile.FIFOTYPE, {}, "a fifo"),
    ("contiguous", tarfile.CONTTYPE, {}, "a contiguous file"),
]


@pytest.mark.parametrize("gz", [False, True], ids=["tar", "tar.gz"])
@pytest.mark.parametrize(("case", "kind", "fields", "what"), MEMBER_TYPES, ids=[m[0] for m in MEMBER_TYPES])
def test_tar_members_that_are_not_files_or_folders_are_refused(tmp_path, out, gz, case, kind, fields, what):
    source = tar_of(tmp_path / "m.tar", [(tar_member("config.json"), b"{}"), (tar_member("x", kind, **fields), None)], gz=gz)
    refused(source, out, rf"^m\.tar: member 'x' is {what}; archives may hold only regular files and folders; "
                         r"replace it by the file itself \(tar -h follows links\) or leave it out\.$")


@pytest.mark.parametrize(("case", "mode", "what"), [
    ("symlink", stat.S_IFLNK | 0o777, "a symbolic link"),
    ("fifo", stat.S_IFIFO | 0o644, "a fifo"),
    ("character-device", stat.S_IFCHR | 0o644, "a character device"),
], ids=["symlink", "fifo", "character-device"])
def test_zip_members_that_are_not_files_or_folders_are_refused(tmp_path, out, case, mode, what):
    source = zip_of(tmp_path / "m.zip", {"config.json": b"{}", "link": b"/etc/passwd"}, modes={"link": mode})
    refused(source, out, rf"^m\.zip: member 'link' is {what}; archives may hold only regular files and folders")


def test_a_huge_pax_header_is_refused_before_it_is_read(tmp_path, out):
    info = tar_member("config.json")
    info.pax_headers = {"comment": "x" * (2 * MIB)}
    source = tar_of(tmp_path / "m.tar", [(info, b"{}")])
    refused(source, out, r"^m\.tar holds a tar metadata header \(long names, pax attributes\) of 2,097,1\d\d bytes; "
                         r"the limit is 1,048,576;")


# --- duplicates -----------------------------------------------------------------------------------------

DUPLICATES = [
    ("same-name", ["a.txt", "a.txt"], r"'a\.txt' appears twice; each name may appear once, ignoring case"),
    ("case", ["Config.json", "config.json"], r"'Config\.json' and 'config\.json' differ only in letter case or Unicode form"),
    ("case-of-a-folder", ["Sub/a.txt", "sub/b.txt"], r"'Sub' and 'sub' differ only in letter case"),
    ("unicode-form", ["caf\u00e9.txt", "cafe\u0301.txt"], r"'caf\\xe9\.txt' and 'cafe\\u0301\.txt' differ only in letter case or Unicode form"),
    ("file-then-folder", ["a", "a/b.txt"], r"'a/b\.txt' lies inside 'a', which is also a file"),
    ("folder-then-file", ["a/b.txt", "a"], r"'a' is both a file and a folder"),
    ("dot-slash", ["a.txt", "./a.txt"], r"'a\.txt' appears twice"),
]


@pytest.mark.parametrize("kind", ["zip", "tar"])
@pytest.mark.parametrize(("case", "names", "message"), DUPLICATES, ids=[d[0] for d in DUPLICATES])
def test_duplicate_names_are_refused(tmp_path, out, kind, case, names, message):
    if kind == "zip":
        source = raw_zip(tmp_path / "m.zip", [Entry(name.encode(), b"x", flags=0x800) for name in names])
    else:
        source = tar_of(tmp_path / "m.zip", [(tar_member(name), b"x") for name in names])
    refused(source, out, rf"^m\.zip: {message}")


# --- zip features refused ---------------------------------------------------------------------------------

def test_an_encrypted_zip_member_is_refused(tmp_path, out):
    source = raw_zip(tmp_path / "m.zip", [Entry(b"config.json", b"{}"), Entry(b"secret.bin", b"\x12" * 40, flags=0x1)])
    refused(source, out, r"^m\.zip: member 'secret\.bin' is encrypted; benchhub reads only unencrypted archives; "
                         r"re-create the archive without a password\.$")


def test_a_bzip2_member_is_refused(tmp_path, out):
    source = zip_of(tmp_path / "m.zip", {"a.txt": b"x" * 100}, method=zipfile.ZIP_BZIP2)
    refused(source, out, r"^m\.zip: member 'a\.txt' is compressed with bzip2; benchhub extracts stored or deflated members")


def test_a_damaged_member_is_refused_after_earlier_files_were_written(tmp_path, out):
    source = raw_zip(tmp_path / "m.zip", [Entry(b"a.txt", b"good"), Entry(b"b.txt", b"bad!", crc=1234)])
    refused(source, out, r"^m\.zip: member 'b\.txt' is damaged \(its size or CRC differs from its header's\)")


def test_a_truncated_zip_is_refused(tmp_path, out):
    source = zip_of(tmp_path / "m.zip", {"a.txt": b"x" * 1000})
    source.write_bytes(source.read_bytes()[:-30])
    refused(source, out, r"^m\.zip is not a readable zip archive")


# --- member counts ----------------------------------------------------------------------------------------

def test_a_zip_of_100k_members_is_refused_from_its_end_record_at_once(tmp_path, out):
    source = raw_zip(tmp_path / "m.zip", [Entry(f"f{i:06d}".encode()) for i in range(100_000)])
    started = time.perf_counter()
    refused(source, out, r"^m\.zip holds 100,000 members; the limit is 10,000 files and folders; upload fewer files")
    assert time.perf_counter() - started < 0.5


def test_a_zip_whose_end_record_understates_its_members_is_refused_from_its_directory(tmp_path, out):
    source = raw_zip(tmp_path / "m.zip", [Entry(f"f{i:06d}".encode()) for i in range(100_000)], listed=3)
    started = time.perf_counter()
    refused(source, out, r"^m\.zip holds 100,000 members; the limit is 10,000")
    assert time.perf_counter() - started < 3


def test_a_tar_of_100k_members_is_refused_while_streaming(tmp_path, out):
    source = empty_tar_members(tmp_path / "m.tar", 100_000)
    started = time.perf_counter()
    refused(source, out, r"^m\.tar holds more than 10,000 members; the limit is 10,000 files and folders")
    assert time.perf_counter() - started < 5


def test_the_member_limit_is_a_setting(tmp_path, out):
    source = zip_of(tmp_path / "m.zip", {f"f{i}": b"x" for i in range(4)})
    refused(source, out, r"^m\.zip holds 4 members; the limit is 3 files", limits=ArchiveLimits(max_members=3))
    assert len(contents(extract_archive(source, out / "target", limits=ArchiveLimits(max_members=4)))) == 4


# --- bombs and sizes --------------------------------------------------------------------------------------

def test_a_10_gb_zip_bomb_of_1_mb_that_declares_its_size_is_refused_from_the_directory(tmp_path, out):
    source = raw_zip(tmp_path / "bomb.zip", [Entry(b"zeros.bin", deflated_zeros(1024), method=8, size=10 * GIB)])
    assert source.stat().st_size < 1.1 * MIB
    started = time.perf_counter()
    refused(source, out, r"^bomb\.zip expands to 10,737,418,240 bytes by its directory; the limit is 2,147,483,648 bytes in all")
    assert time.perf_counter() - started < 0.5


def test_a_zip_bomb_whose_header_lies_about_its_size_is_refused_by_the_bytes_it_yields(tmp_path, out):
    # 1 MB that inflates to 1 GiB, declaring 100 MiB: the ratio of the bytes actually inflated stops it within a few MiB.
    source = raw_zip(tmp_path / "bomb.zip", [Entry(b"config.json", b"{}"),
                                             Entry(b"zeros.bin", deflated_zeros(1024), method=8, size=100 * MIB)])
    started = time.perf_counter()
    refused(source, out, r"^bomb\.zip: member 'zeros\.bin' expands more than 200 times its compressed size \(a zip bomb\?\); "
                         r"the limit is 200:1 past the first 1,048,576 bytes; upload the file uncompressed or compressed normally\.$")
    assert time.perf_counter() - started < 1


def test_members_that_share_one_bomb_are_refused_at_the_first(tmp_path, out):
    # Ten directory entries point at the same 1 MB of deflate data (1 GiB each, 10 GiB in all), each declaring 100 MiB.
    data = deflated_zeros(1024)
    header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, 0, len(data), 100 * MIB, 2, 0) + b"z0"
    central = b"".join(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", (3 << 8) | 20, 20, 0, 8, 0, 0x21, 0, len(data), 100 * MIB,
                                   2, 0, 0, 0, 0, 0o100644 << 16, 0) + f"z{i}".encode() for i in range(10))
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 10, 10, len(central), len(header) + len(data), 0)
    source = tmp_path / "overlap.zip"
    source.write_bytes(header + data + central + end)
    started = time.perf_counter()
    refused(source, out, r"^overlap\.zip: member 'z0' expands more than 200 times its compressed size \(a zip bomb\?\)")
    assert time.perf_counter() - started < 1


def test_a_zip_member_that_yields_more_than_it_declares_is_refused_at_once(tmp_path, out):
    source = raw_zip(tmp_path / "bomb.zip", [Entry(b"zeros.bin", deflated_zeros(1024), method=8, size=1000)])
    refused(source, out, r"^bomb\.zip: member 'zeros\.bin' expands to more than the 1,000 bytes its header declares; "
                         r"the archive is damaged or crafted")


def test_the_total_counts_the_bytes_read_not_the_sizes_declared(tmp_path, out):
    # Empty files behind pax headers of 900 KB each: no member declares a byte, yet 2.7 MB stream by.
    members = []
    for index in range(3):
        info = tar_member(f"f{index}.txt")
        info.pax_headers = {"comment": "x" * 900_000}
        members.append((info, b""))
    source = tar_of(tmp_path / "m.tar", members, gz=True)
    refused(source, out, r"^m\.tar expands to more than 2,097,152 bytes; the limit is 2,097,152 bytes in all",
            limits=ArchiveLimits(max_ratio=1e9, max_total_bytes=2 * MIB))


def test_a_tar_gz_bomb_is_refused_while_streaming(tmp_path, out):
    # The member declares a plausible 100 MiB; the gzip stream inflates about 1,000:1.
    source = gzip_of_tar_zeros(tmp_path / "bomb.tar.gz", declared=100 * MIB, mib=1024)
    started = time.perf_counter()
    refused(source, out, r"^bomb\.tar\.gz expands more than 200 times its compressed size \(a decompression bomb\?\)")
    assert time.perf_counter() - started < 1


def test_a_tar_member_over_the_total_is_refused_from_its_header(tmp_path, out):
    source = gzip_of_tar_zeros(tmp_path / "bomb.tar.gz", declared=10 * GIB, mib=16)
    refused(source, out, r"^bomb\.tar\.gz expands to more than 2,147,483,648 bytes \(member 'zeros\.bin' alone is "
                         r"10,737,418,240\)")


def test_a_tar_over_the_total_is_refused(tmp_path, out):
    members = [(tar_member(f"f{i}.bin"), bytes(range(256)) * 4096) for i in range(3)]  # 1 MiB each
    source = tar_of(tmp_path / "m.tar", members)
    refused(source, out, r"^m\.tar expands to more than 2,097,152 bytes", limits=ArchiveLimits(max_total_bytes=2 * MIB))


def test_a_zip_over_the_total_is_refused_before_anything_is_written(tmp_path, out):
    source = zip_of(tmp_path / "m.zip", {f"f{i}.bin": bytes(range(256)) * 4096 for i in range(3)})
    refused(source, out, r"^m\.zip expands to 3,145,728 bytes by its directory; the limit is 2,097,152",
            limits=ArchiveLimits(max_total_bytes=2 * MIB))


def test_a_gzip_of_one_file_is_no_tar(tmp_path, out):
    source = tmp_path / "predictions.jsonl.gz"
    source.write_bytes(gzip.compress(b'{"id": 1, "label": "a"}\n'))
    refused(source, out, r"^predictions\.jsonl\.gz is not a readable tar\.gz archive")


def test_an_empty_archive_is_refused(tmp_path, out):
    refused(zip_of(tmp_path / "m.zip", {"only-a-folder/": b""}), out, r"^m\.zip holds no files")


def test_a_tar_name_that_is_not_utf8_is_refused(tmp_path, out):
    source = tmp_path / "m.tar"
    with tarfile.open(source, "w", format=tarfile.USTAR_FORMAT, encoding="utf-8", errors="surrogateescape") as archive:
        info = tar_member("caf\udce9.txt")  # the byte 0xe9 alone, as Latin-1 tools write "café"
        info.size = 1
        archive.addfile(info, io.BytesIO(b"x"))
    refused(source, out, r"^m\.tar: member 'caf\\udce9\.txt' is not valid UTF-8; names must be UTF-8 text")
