"""Counts in words staff read: "1 order", "3 orders", never "order(s)"."""


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """`count` and the noun in the right number: counted(1, "order") -> "1 order"."""
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"
