"""URL converters."""

from __future__ import annotations


class RowIdConverter:
    """A database id: 1 to 18 digits, so a longer number is a 404, not a bigint overflow 500."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
