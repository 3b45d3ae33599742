"""Plain record classes: what ``@dataclass`` gives (eq and repr over the fields, and for
:class:`Frozen` also hash and immutability) without importing dataclasses.

Every hook starts a new Python process for each commit: ``import dataclasses`` (which imports
``inspect``) and generating each class's methods cost ~6-10 ms of a hook's ~50 ms, so the
modules a hook imports declare their records as subclasses of these, with the fields in
``__slots__`` (in order) and an explicit ``__init__``.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (mypy reads the block below)
if TYPE_CHECKING:
    from typing import Any


class Record:
    """A mutable record: ``__eq__`` and ``__repr__`` over ``__slots__``; unhashable, as a
    ``@dataclass`` with ``eq=True`` is."""

    __slots__: tuple[str, ...] = ()
    __hash__ = None  # type: ignore[assignment]

    def _key(self) -> tuple[object, ...]:
        return tuple(getattr(self, k) for k in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Record)
        return self._key() == other._key()

    def __repr__(self) -> str:
        return (f"{type(self).__name__}("
                + ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__) + ")")

    def to_dict(self) -> dict[str, Any]:
        """The fields in order (``dataclasses.asdict`` without its deep copy)."""
        return {k: getattr(self, k) for k in self.__slots__}


class Frozen(Record):
    """An immutable, hashable record, as ``@dataclass(frozen=True)``: the subclass's
    ``__init__`` passes every field, in ``__slots__`` order, to ``super().__init__``."""

    __slots__ = ()

    def __init__(self, *values: object) -> None:
        names: tuple[str, ...] = self.__slots__
        for k, v in zip(names, values):
            object.__setattr__(self, k, v)

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(self._key())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")
