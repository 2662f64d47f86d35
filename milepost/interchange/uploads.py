"""Reading an uploaded file safely: a size limit, its checksum, and its name kept printable."""

import hashlib
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.template.defaultfilters import filesizeformat

from milepost.core.errors import DomainError, TooLarge

NAME_MAX = 255


class _Readable(Protocol):
    name: str | None
    size: int | None

    def chunks(self, chunk_size: int | None = ...) -> object: ...


@dataclass(frozen=True)
class Upload:
    """An uploaded file read into memory: its name, its bytes and their sha256."""

    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def extension(self) -> str:
        return self.name.rsplit(".", 1)[-1].lower() if "." in self.name else ""


def import_max_bytes() -> int:
    return int(settings.MILEPOST_IMPORT_MAX_BYTES)


def upload_read(
    file: object | None, *, field: str = "file", max_bytes: int | None = None
) -> Upload:
    """Read an uploaded file whole, refusing a missing, empty or over-large one by ``field``."""
    limit = import_max_bytes() if max_bytes is None else max_bytes
    if file is None:
        raise DomainError("required", "Choose a file to upload.", field=field)
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise TooLarge(
            "file_too_large",
            f"The file is {filesizeformat(size)}; an import takes at most {filesizeformat(limit)}.",
            field=field,
        )
    parts: list[bytes] = []
    total = 0
    for chunk in file.chunks():  # type: ignore[attr-defined]
        total += len(chunk)
        if total > limit:
            raise TooLarge(
                "file_too_large",
                f"The file is larger than {filesizeformat(limit)}, the most an import takes.",
                field=field,
            )
        parts.append(chunk)
    data = b"".join(parts)
    if not data:
        raise DomainError("empty_file", "The file is empty.", field=field)
    return Upload(name=upload_name(getattr(file, "name", "") or "upload"), data=data)


def upload_name(name: str) -> str:
    """The file's own name without any folder, control characters or surrogates, bounded."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF)
    return (name.strip() or "upload")[:NAME_MAX]
