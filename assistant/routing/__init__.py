"""Routing: what a question asks (kind, clause numbers, unit, follow-up) and whether it is in scope."""

from .cues import Cues, load_cues
from .gate import ScopeGate
from .router import Router

__all__ = ["Cues", "Router", "ScopeGate", "load_cues"]
