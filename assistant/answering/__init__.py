"""Answering: one handler per question kind, sentence selection, composition, citation checks,
and the optional LLM generator."""

from .compose import GAP, Composer, tag
from .handlers import Answering
from .quote import Quoter
from .verify import CitationVerifier

__all__ = ["GAP", "Answering", "CitationVerifier", "Composer", "Quoter", "tag"]
