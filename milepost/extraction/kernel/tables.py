"""Table rows in contract text: Markdown ("| Priority 1 | 99.8% | 2.0 GBP") and the rows the
document reader writes for DOCX tables ("Stage 1 | 30% | Completion of the foundations")."""

import re

# A line that starts with "|", or that has at least three cells separated by " | ".
ROW_RE = re.compile(r"^[ \t]*(?:\|[^\n]*|[^\n|]+(?:[ \t]\|[ \t][^\n|]*){2,}\|?[ \t]*)$", re.M)
_SEPARATOR_RE = re.compile(r"[\s|:\-]*")


def is_row(line: str) -> bool:
    """Whether ``line`` (one line, no newline) is a table row."""
    return bool(ROW_RE.fullmatch(line))


_LONGEST_ROW = 2000


def on_row(text: str, offset: int) -> bool:
    """Whether ``offset`` in ``text`` is on a table row (no row is longer than 2,000 characters,
    so a long line costs no more than that)."""
    if "|" not in text[max(0, offset - _LONGEST_ROW) : offset + _LONGEST_ROW]:
        return False
    low = max(0, offset - _LONGEST_ROW)
    before = text.rfind("\n", low, offset)
    if before < 0 and low > 0:
        return False
    after = text.find("\n", offset, offset + _LONGEST_ROW)
    if after < 0 and offset + _LONGEST_ROW < len(text):
        return False
    return is_row(text[before + 1 : len(text) if after < 0 else after])


def cells(line: str) -> list[str]:
    """The cells of a row, stripped; outer bars are not cells."""
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def header(text: str, row_start: int) -> list[str]:
    """The cells of the nearest row above ``row_start`` (in the same table) with no digit."""
    before = text[max(0, row_start - 3000) : row_start].rstrip("\n").split("\n")
    for line in reversed(before):
        if not is_row(line):
            break
        if not re.search(r"\d", line) and not _SEPARATOR_RE.fullmatch(line):
            return cells(line)
    return []


def rows(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each table row whose line starts within ``text[start:end]``; a row runs
    to its line's end, even past ``end``."""
    found: list[tuple[int, int]] = []
    pos = start if start == 0 or text[start - 1] == "\n" else text.find("\n", start) + 1
    if pos == 0 and start != 0:
        return found  # no line starts after ``start``
    while pos < end:
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end < 0 else line_end
        if is_row(text[pos:line_end]):
            found.append((pos, line_end))
        pos = line_end + 1
    return found
