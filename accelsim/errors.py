"""The one error type for bad input, and a collector that gathers every problem before raising.

Every user mistake (a wrong key, a negative size, a mapping that does not fit, an unknown name)
becomes a :class:`ConfigError` whose message lists each problem as
``<source>: <field path>: expected <expectation>, got <value>``. The CLI prints the message and
exits with status 2; library code never prints.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input: where (file, field path), what was found, what was wanted."""

    source: str
    path: str
    expected: str
    got: object = None
    show_got: bool = True

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.source, self.path) if part)
        text = f"expected {self.expected}"
        if self.show_got:
            text += f", got {self.got!r}"
        return f"{where}: {text}" if where else text


class ConfigError(ValueError):
    """Bad input: carries every :class:`Problem` found, one per line in the message."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("", "", problems, show_got=False)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Problems:
    """Collects problems while a whole input is checked, then raises them all at once.

    >>> found = Problems("arch.yaml")
    >>> found.add("pe_array.rows", "a positive integer", 0)
    >>> found.raise_if_any()
    Traceback (most recent call last):
    ...
    accelsim.errors.ConfigError: arch.yaml: pe_array.rows: expected a positive integer, got 0
    """

    def __init__(self, source: str = ""):
        self.source = source
        self.items: list[Problem] = []

    def add(self, path: str, expected: str, got: object = None, *, show_got: bool = True) -> None:
        self.items.append(Problem(self.source, path, expected, got, show_got))

    def extend(self, error: ConfigError) -> None:
        self.items.extend(error.problems)

    @contextmanager
    def collecting(self) -> Iterator[None]:
        """Run a block; a ConfigError raised inside is recorded instead of propagating."""
        try:
            yield
        except ConfigError as error:
            self.extend(error)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigError(self.items)
