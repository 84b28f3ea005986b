"""The Brian2 backend (Brian2 is imported lazily: the class loads without it)."""

from .adapter import Brian2Backend

__all__ = ["Brian2Backend"]
