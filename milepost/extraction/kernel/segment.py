"""Clauses and sentences: the units every finder reads and every citation quotes.

A clause starts at a line that numbers it ("1.", "4.2", "3.1.2", "2.1.", "3.1\\t…", "(a)",
"Clause 4", "Section 2.3", "Schedule 2", "Exhibit A") or at a Markdown heading; a numbered
clause written inside a running paragraph ("… as agreed. 3.2 PROJECT DELIVERY …", as in texts
copied out of PDFs) starts one too. Sentences end at ". ", "! ", "? " (not after "e.g.",
"Ltd.", "No.", "Inc.", "U.S.", "cl." and the like), at blank lines, bullets, table rows and
short heading lines. Offsets are into the whole text: ``text[span.start:span.end] ==
span.text``.
"""

import re

from .model import Clause, Span

_CLAUSE_LINE_RE = re.compile(
    r"^[ \t]*(?:"
    r"(?P<md>#{1,6})[ \t]+(?P<mdtext>[^\n]*)"
    r"|(?P<word>Clause|Section|Article|Schedule|Annex|Appendix|Exhibit|Attachment|Part)"
    r"[ \t]+(?P<wordnum>[0-9]+(?:\.[0-9]+)*|[A-Z]{1,3}\b|[IVX]{1,5}\b)\.?"
    r"|(?P<num>[0-9]{1,2}(?:\.[0-9]{1,2}){0,3})(?:\.(?=[ \t])|(?=\t)|(?=[ \t]+[A-Z(\"“]))"
    r"|\((?P<item>[a-z]{1,4}|[0-9]{1,2})\)(?=[ \t])"
    r")",
    re.MULTILINE,
)
# "… agreed upon. 3.2 PROJECT DELIVERY AND INSTALLATION As detailed …"
_INLINE_CLAUSE_RE = re.compile(
    r"(?:(?<=[.:;])[ \t]+|(?<![ \t])[ \t]{2,})(?P<num>[0-9]{1,2}\.[0-9]{1,2}(?:\.[0-9]{1,2})?)\.?[ \t]+(?=[A-Z])"
    # "… by client G. PAYMENT SCHEDULE. The total …": a lettered heading in capitals
    r"|(?:(?<=[.:;])[ \t]+|(?<=[a-z])[ \t]+|^)(?P<num2>[A-H])\.[ \t]+(?=[A-Z]{3,}[A-Z ,&/-]*\.)",
    re.MULTILINE,
)
_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "etc",
        "ltd",
        "no",
        "nos",
        "inc",
        "co",
        "corp",
        "cl",
        "cll",
        "dev",
        "para",
        "paras",
        "sch",
        "art",
        "arts",
        "sec",
        "secs",
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "vs",
        "v",
        "approx",
        "est",
        "fig",
        "figs",
        "p",
        "pp",
        "vol",
        "al",
        "jr",
        "sr",
        "u.s",
        "u.k",
        "n.v",
        "b.v",
        "plc",
        "llc",
        "l.l.c",
        "dept",
        "govt",
        "int",
        "incl",
        "ref",
        "nr",
        "cf",
        "viz",
        "ex",
        "exh",
        "sched",
        "pty",
        "s.a",
    ]
)
_BOUNDARY_RE = re.compile(
    r"(?P<stop>[.!?])[\"'”\u2019)\]]*[ \t]+(?=[\"“(\[]?[A-Z0-9])"
    r"|(?P<blank>\n[ \t]*\n\s*)"
    r"|(?P<bullet>(?<![\[(])[●•▪■◦](?![\])])[ \t]*)"
    r"|(?P<line>\n)"
)
_LIST_START_RE = re.compile(
    r"[ \t]*(?:\(?[a-z0-9]{1,4}\)[ \t]|[0-9]{1,2}(?:\.[0-9]{1,2})+\.?[ \t]+[A-Z(]|[0-9]{1,2}(?:\.[ \t]+|\t)[A-Z(]"
    r"|#|[-*][ \t]|[●•▪■◦]|(?:Milestone|Stage|Phase|Week|Month)\s*#?\d+\s*(?:->|[-\u2013:|\t]))",
)
_HEADING_TEXT_RE = re.compile(r"^([A-Z][A-Za-z0-9&',/\- ]{1,70}?)(?:\.[ \t]+|[ \t]*$)")


def _is_abbreviation(text: str, stop: int) -> bool:
    """Whether the period at ``stop`` closes an abbreviation rather than a sentence."""
    begin = stop
    while begin > 0 and (text[begin - 1].isalpha() or text[begin - 1] == "."):
        begin -= 1
    word = text[begin:stop].lower()
    if not word:
        return False
    if len(word) == 1 and word.isalpha():
        # "client G. PAYMENT SCHEDULE": a lettered heading, not an initial.
        following = text[stop + 1 : stop + 40].split()
        return not (
            word.isalpha() and following and len(following[0]) >= 3 and following[0].isupper()
        )
    if word in _ABBREVIATIONS:
        return True
    return "." in word and all(len(part) <= 2 for part in word.split("."))


def _line_boundary(text: str, at: int) -> bool:
    """Whether the single line break at ``at`` ends a sentence (not a wrapped line)."""
    line_start = text.rfind("\n", 0, at) + 1
    previous = text[line_start:at].rstrip()
    next_end = text.find("\n", at + 1)
    following = text[at + 1 : next_end if next_end != -1 else len(text)]
    if not previous.strip() or not following.strip():
        return True
    if previous.endswith((".", ":", ";", "!", "?")) or len(previous.strip()) < 40:
        return True
    if "\t" in previous or "\t" in following or " | " in previous or " | " in following:
        return True
    return bool(_LIST_START_RE.match(following))


def _wrapped(text: str, at: int) -> bool:
    """Whether the line starting at ``at`` continues the line before it (a long line that does
    not end a sentence), as text taken from a PDF does."""
    if at == 0:
        return False
    line_start = text.rfind("\n", 0, at - 1) + 1
    previous = text[line_start : at - 1].rstrip()
    return len(previous) >= 40 and not previous.endswith((".", ":", ";", "!", "?"))


def _wraps_lines(text: str) -> bool:
    """Whether the text wraps its lines (a PDF's text layer, a hard-wrapped Markdown file) or
    keeps one paragraph a line (DOCX, most plain text): in the second, every line ends a
    sentence."""
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) < 4:
        return True
    long_lines = sum(1 for line in lines if len(line) > 130)
    return long_lines * 20 < len(lines)


def _spans(text: str, start: int, end: int, wrapped: bool = True) -> list[Span]:
    """The sentences of ``text[start:end]`` as spans of the whole text."""
    spans: list[Span] = []
    begin = start
    chunk = text[start:end]
    for match in _BOUNDARY_RE.finditer(chunk):
        cut = start + match.start()
        if match.group("stop") is not None:
            if match.group("stop") == "." and _is_abbreviation(text, cut):
                continue
            cut += 1
        elif match.group("line") is not None and wrapped and not _line_boundary(text, cut):
            continue
        _add(spans, text, begin, cut)
        begin = start + match.end()
    _add(spans, text, begin, end)
    return spans


def _add(spans: list[Span], text: str, begin: int, end: int) -> None:
    while begin < end and text[begin].isspace():
        begin += 1
    while end > begin and text[end - 1].isspace():
        end -= 1
    if end > begin and any(ch.isalnum() for ch in text[begin:end]):
        spans.append(Span(begin, end, text[begin:end]))


def _starts(text: str, wrapped: bool = True) -> list[tuple[int, int, str, str]]:
    """(offset, body offset, number, heading) of every clause start, in order: the body
    starts after the clause number (a Markdown heading's body is its heading)."""
    starts: list[tuple[int, int, str, str]] = []
    parent = ""
    for match in _CLAUSE_LINE_RE.finditer(text):
        rest_end = text.find("\n", match.end())
        rest = text[match.end() : rest_end if rest_end != -1 else len(text)].strip()
        if match.group("md"):
            heading = match.group("mdtext").strip().strip("#").strip()
            numbered = re.match(r"([0-9]{1,2}(?:\.[0-9]{1,2})*)\.?\s+(.*)", heading)
            number = numbered.group(1) if numbered else ""
            heading = numbered.group(2) if numbered else heading
            parent = number or parent
            starts.append((match.start(), match.start("mdtext"), number, heading.rstrip(".")))
            continue
        if match.group("word") and wrapped and _wrapped(text, match.start()):
            continue  # "… in accordance with\nClause 4.2 …" in a PDF's wrapped lines
        if match.group("word"):
            number = f"{match.group('word')} {match.group('wordnum')}"
            parent = number
        elif match.group("num"):
            number = match.group("num")
            parent = number
        else:
            number = f"{parent}({match.group('item')})"
        heading_match = _HEADING_TEXT_RE.match(rest)
        heading = heading_match.group(1).strip() if heading_match else ""
        starts.append((match.start(), match.end(), number, heading))
    for match in _INLINE_CLAUSE_RE.finditer(text):
        number = match.group("num") or match.group("num2")
        rest = text[match.end() : match.end() + 80]
        heading_match = _HEADING_TEXT_RE.match(rest)
        heading = (
            heading_match.group(1).strip()
            if heading_match and heading_match.group(1).isupper()
            else ""
        )
        name = "num" if match.group("num") else "num2"
        starts.append((match.start(name), match.end(), number, heading))
    starts.sort()
    return starts


def segment(text: str) -> list[Clause]:
    """The clauses of ``text`` in order, each with its sentences; text before the first
    numbered clause (the preamble) is a clause with no number."""
    wrapped = _wraps_lines(text)
    starts = _starts(text, wrapped)
    if not starts or starts[0][0] > 0:
        starts.insert(0, (0, 0, "", ""))
    clauses: list[Clause] = []
    for index, (begin, body, number, heading) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(text)
        if begin >= end:
            continue
        sentences = tuple(_spans(text, min(body, end), end, wrapped))
        if not sentences:
            continue
        first, last = sentences[0].start, sentences[-1].end
        clauses.append(
            Clause(
                number=number,
                heading=heading,
                start=first,
                end=last,
                text=text[first:last],
                sentences=sentences,
            )
        )
    return clauses
