"""Reading an uploaded predictions file, whose body `body_limit.BodyLimit` has already kept within its benchmark's limit."""

from __future__ import annotations

import os

from fastapi import UploadFile

from benchhub.data.submission_files import check_size


def read_upload(file: UploadFile, max_bytes: int) -> bytes:
    """The uploaded file's bytes, after checking (without reading it) that it is neither empty nor over `max_bytes`."""
    file.file.seek(0, os.SEEK_END)
    check_size(file.filename or "the file", file.file.tell(), max_bytes)
    file.file.seek(0)
    return file.file.read(max_bytes + 1)
