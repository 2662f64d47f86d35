"""Read one PDF or DOCX in a child process, bounded: ``python -m milepost.extraction.reader``.

Arguments: FILE FORMAT MAX_PAGES MAX_CHARS MEMORY_MB CPU_SECONDS. Before reading, the child caps
its address space (MEMORY_MB) and CPU time (CPU_SECONDS) and the size of any file it writes, so
a hostile file ends in a refusal, not a held worker. It prints one line of JSON:
``{"text": ..., "pages": [...], "format": ...}`` or ``{"error": ..., "code": ...}``. It needs no
database and no Django settings.
"""

import json
import resource
import sys
from pathlib import Path


def _limit(memory_mb: int, cpu_seconds: int) -> None:
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    # It writes no file of its own; a small allowance leaves room for coverage.py's data file
    # when a test run measures subprocesses.
    limit = 16 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def main(argv: list[str]) -> int:
    path, fmt, pages, chars, memory_mb, seconds = argv
    data = Path(path).read_bytes()
    _limit(int(memory_mb), int(seconds) + 1)
    from milepost.core.errors import DomainError
    from milepost.extraction.documents import read_bytes

    try:
        document = read_bytes(data, fmt, pages_limit=int(pages), chars_limit=int(chars))
    except DomainError as error:
        print(json.dumps({"error": error.message, "code": error.code}))
        return 0
    except MemoryError:
        del data
        print(
            json.dumps(
                {
                    "error": "This file needs more memory to read than Milepost allows; save it "
                    "again from the word processor and upload that.",
                    "code": "too_complex",
                }
            )
        )
        return 0
    print(json.dumps({"text": document.text, "pages": document.pages, "format": fmt}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
