"""Markdown rendering of retrieval results."""
from __future__ import annotations


def markdown_table(header: list[str], rows: list[list]) -> str:
    """A GitHub Markdown table; floats with 4 decimals (cells the caller formats stay as they are)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    for row in rows:
        cells = []
        for value in row:
            cells.append(f"{value:.4f}" if isinstance(value, float) else str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
