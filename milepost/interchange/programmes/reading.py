"""Read an uploaded programme into a ``Programme``, in Python where we can, else through MPXJ.

MSPDI XML, P6 XER and GanttProject files are read in this process. Everything else (.mpp of
every Project version, P6 PMXML, Planner, Phoenix and the rest MPXJ knows) is read by MPXJ on a
Java runtime, in a child process with a time limit, so a web process never hosts a JVM.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings

from .gan import is_gan, read_gan
from .model import Programme, ProgrammeUnreadable
from .mspdi import is_mspdi, read_mspdi
from .xer import is_xer, read_xer

# What the page tells a person whose server has no Java runtime.
JAVA_FORMATS = (
    "Microsoft Project .mpp files, Primavera P6 PMXML, GNOME Planner, Phoenix and the other "
    "formats MPXJ reads"
)
JAVA_HINT = "Install a Java runtime on the server (apt-get install default-jre-headless)."
PYTHON_FORMATS = "Microsoft Project XML (MSPDI), Primavera P6 XER and GanttProject (.gan)"
ACCEPT = ".mpp,.mpx,.xml,.xer,.pmxml,.planner,.ppx,.gan,.pp,.pod,.sp,.fts,.cdpx,.gnt,.pep,.prx"


def java_path() -> str | None:
    """The Java runtime MPXJ would use, or ``None`` when the server has none."""
    configured = str(getattr(settings, "MILEPOST_JAVA", "java") or "java")
    return shutil.which(configured)


def java_available() -> bool:
    return java_path() is not None


def python_reads(data: bytes) -> bool:
    """Whether this process reads the file itself (MSPDI, XER, GanttProject) without MPXJ."""
    return is_xer(data) or is_mspdi(data) or is_gan(data)


# A zip archive: no format MPXJ reads is one (it would unpack any archive into its own temporary
# folder to look inside, so a small archive could fill the disk), so every zip is refused.
ZIP_MAGIC = b"PK\x03\x04"


def read_programme(data: bytes, name: str) -> Programme:
    """Read a programme file's tasks and links; refuse what cannot be read with a clear error."""
    try:
        if is_xer(data):
            return read_xer(data)
        if is_mspdi(data):
            return read_mspdi(data)
        if is_gan(data):
            return read_gan(data)
    except (ValueError, KeyError, OverflowError, TypeError, IndexError, ZeroDivisionError) as error:
        # A value no tool would write (a lag of "nan", a date past 9999): refused, not a crash.
        raise ProgrammeUnreadable(
            "The file holds a value that cannot be read as a number or a date, so it cannot be "
            "imported. Export the programme again from the scheduling tool."
        ) from error
    if data.startswith(ZIP_MAGIC):
        raise ProgrammeUnreadable(
            f"This is a zip archive, which an import does not unpack. Import the programme file "
            f"itself: {PYTHON_FORMATS} files, or {JAVA_FORMATS}.",
            code="not_a_programme",
        )
    if not _may_be_programme(data, name):
        raise ProgrammeUnreadable(
            f"This is not a programme file. Import {PYTHON_FORMATS} files, or {JAVA_FORMATS}.",
            code="not_a_programme",
        )
    return read_with_mpxj(data, name)


def _may_be_programme(data: bytes, name: str) -> bool:
    """Whether MPXJ is worth starting: a programme's extension, an OLE2 (.mpp) or an XML file."""
    extension = Path(name).suffix.lower()
    if extension and extension in ACCEPT.split(","):
        return True
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith((b"\xd0\xcf\x11\xe0", b"<?xml", b"<"))


def _format_name(data: bytes, name: str, reported: str) -> str:
    head = data[:4096]
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "Microsoft Project (.mpp)"
    if b"APIBusinessObjects" in head:
        return "Primavera P6 PMXML"
    if b"mrproject" in head or name.lower().endswith(".planner"):
        return "GNOME Planner"
    if name.lower().endswith(".ppx") or (b"<project " in head and b"storepoint" in data[:20000]):
        return "Phoenix Project Manager"
    return reported or "programme"


def read_with_mpxj(data: bytes, name: str) -> Programme:
    """Run MPXJ in a child process on the file and read its JSON; refuse when Java is missing."""
    java = java_path()
    if java is None:
        raise ProgrammeUnreadable(
            f"Reading this file needs a Java runtime, which this server lacks. {JAVA_HINT} "
            f"Without it, {PYTHON_FORMATS} files can be imported.",
            code="java_missing",
        )
    env = dict(os.environ)
    # JPype finds the JVM through JAVA_HOME: the folder above the java binary's bin/.
    env.setdefault("JAVA_HOME", str(Path(os.path.realpath(java)).parent.parent))
    suffix = Path(name).suffix[:12] if Path(name).suffix.isascii() else ""
    with tempfile.TemporaryDirectory(prefix="milepost-programme-") as folder:
        path = Path(folder) / f"programme{suffix}"
        path.write_bytes(data)
        # MPXJ's temporary files go in this folder, removed with it, never in the shared /tmp;
        # the child caps its own file writes and memory before the JVM starts (mpxj_reader).
        env["JAVA_TOOL_OPTIONS"] = f"-Djava.io.tmpdir={folder}"
        env["TMPDIR"] = folder
        try:
            result = subprocess.run(
                [sys.executable, "-m", "milepost.interchange.programmes.mpxj_reader", str(path)],
                capture_output=True,
                timeout=int(settings.MILEPOST_PROGRAMME_READ_SECONDS),
                env=env,
                check=False,
                cwd=folder,
            )
        except subprocess.TimeoutExpired as error:
            raise ProgrammeUnreadable(
                f"Reading the file took longer than {settings.MILEPOST_PROGRAMME_READ_SECONDS} "
                "seconds and was stopped.",
                code="programme_timeout",
            ) from error
    try:
        answer = json.loads(result.stdout.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError) as error:
        raise ProgrammeUnreadable(
            "The file could not be read as a programme.", code="programme_unreadable"
        ) from error
    if "error" in answer or result.returncode != 0:
        raise ProgrammeUnreadable(
            "The file could not be read as a programme"
            + (f": {answer['error']}" if answer.get("error") else ".")
        )
    programme = Programme.from_json(answer)
    programme.format = _format_name(data, name, programme.format)
    return programme
