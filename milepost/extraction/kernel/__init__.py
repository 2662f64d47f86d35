"""The extractor: contract text in, proposals with citations out. Plain Python, no Django.

``extract(text, pages=None)`` reads a whole document (see ``model.Extraction``);
``EXTRACTOR_VERSION`` changes whenever what it reads from the same text may change.
"""

from .model import Extraction

EXTRACTOR_VERSION = "2026.12.1"


def extract(text: str, *, pages: list[int] | None = None) -> Extraction:
    """Everything ``text`` states (see ``extract.extract``)."""
    from .extract import extract as _extract

    return _extract(text, pages=pages)


__all__ = ["EXTRACTOR_VERSION", "extract"]
