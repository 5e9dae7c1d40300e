"""Markdown and CSV renderings of retrieval results."""
from __future__ import annotations


def markdown_table(header: list[str], rows: list[list], bold_best: bool = False) -> str:
    """A GitHub Markdown table; floats with 4 decimals; optionally the column maxima in bold."""
    best = {}
    if bold_best:
        for j in range(1, len(header)):
            values = [r[j] for r in rows if isinstance(r[j], float)]
            if values:
                best[j] = max(values)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    for row in rows:
        cells = []
        for j, value in enumerate(row):
            text = f"{value:.4f}" if isinstance(value, float) else str(value)
            cells.append(f"**{text}**" if best.get(j) == value else text)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
