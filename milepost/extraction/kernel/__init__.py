"""The extractor: contract text in, proposals with citations out. Plain Python, no Django.

``extract(text, pages=None)`` reads a whole document (see ``model.Extraction``);
``EXTRACTOR_VERSION`` changes whenever what it reads from the same text may change.
"""

from .extract import extract

EXTRACTOR_VERSION = "2026.12.1"

__all__ = ["EXTRACTOR_VERSION", "extract"]
