"""`make plots`: the plots dvc.yaml declares, drawn to PNG files and a page that open offline.

`dvc plots show` writes an HTML page whose Vega scripts load from a CDN, so it is blank
without network. This asks DVC for the same data (`dvc plots show --json`, or `dvc plots
diff --json REV ...` to compare revisions or experiments), draws each plot with matplotlib
(one line per revision and field; a nominal x axis, such as classes, as grouped bars) and
writes dvc_plots/<plot>.png and dvc_plots/index.html (dvc_plots/ is git-ignored).

    python -m pipeline.plots                 # the workspace
    python -m pipeline.plots HEAD exp-1a2b3  # compare revisions or experiments
"""
from __future__ import annotations

import html
import json
import re
import subprocess
from collections import defaultdict
from pathlib import Path

from pipeline.stage import StageError, run

OUT = Path("dvc_plots")


def plot_data(revisions: list[str]) -> dict:
    command = ["dvc", "plots", "diff", *revisions, "--json"] if revisions else ["dvc", "plots", "show", "--json"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise StageError(f"{' '.join(command)} failed: {done.stderr.strip().splitlines()[-1:] or done.returncode}")
    return json.loads(done.stdout)["data"]


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def draw(title: str, spec: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    encoding = spec.get("encoding", {})
    x_field = encoding.get("x", {}).get("field")
    layered = [layer.get("encoding", {}).get("y", {}).get("field") for layer in spec.get("layer", [])]
    y_field = encoding.get("y", {}).get("field") or next((f for f in layered if f), "dvc_inferred_y_value")
    series = defaultdict(list)
    for row in spec["data"]["values"]:
        # several files in one plot: DVC names each row's source "file::field" and its value "dvc_inferred_y_value"
        source = row.get("filename::field", "").split("::")[-1]
        label = " ".join(str(row[k]) for k in ("rev", "filename", "field") if k in row and row[k]) + \
            (f" {source}" if source else "")
        series[label].append((row.get(x_field), number(row.get("dvc_inferred_y_value", row.get(y_field)))))
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    categorical = any(number(x) is None for points in series.values() for x, _ in points)
    if categorical:
        categories = sorted({x for points in series.values() for x, _ in points})
        width = 0.8 / max(len(series), 1)
        for k, (label, points) in enumerate(sorted(series.items())):
            values = dict(points)
            ax.barh([categories.index(c) + k * width for c in categories], [values.get(c) or 0 for c in categories],
                    height=width, label=label)
        ax.set_yticks([i + 0.4 - width / 2 for i in range(len(categories))], categories)
    else:
        for label, points in sorted(series.items()):
            points = sorted((number(x), y) for x, y in points if y is not None)
            ax.plot([x for x, _ in points], [y for _, y in points], marker="." if len(points) < 30 else None,
                    label=label)
        ax.set_xlabel(x_field)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(args) -> None:
    data = plot_data(args.revisions)
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    figures = []
    for title, entries in data.items():
        for k, entry in enumerate(e for e in entries if e.get("type") == "vega"):
            short = Path(title.split("::")[-1]).stem  # "dvc.yaml::dvclive/plots/metrics/loss_total.tsv" -> loss_total
            name = re.sub(r"[^A-Za-z0-9]+", "_", short).strip("_") + (f"_{k}" if k else "") + ".png"
            draw(entry["content"].get("title", {}).get("text", title), entry["content"], OUT / name)
            figures.append((title, name))
    page = "".join(f"<h2>{html.escape(t)}</h2><img src='{n}' alt='{html.escape(t)}'>\n" for t, n in figures)
    (OUT / "index.html").write_text(f"<!doctype html><meta charset='utf-8'><title>DVC plots</title>\n{page}")
    print(f"plots: {len(figures)} figures, {OUT / 'index.html'}")


if __name__ == "__main__":
    run(main, arguments=[("revisions", {"nargs": "*", "metavar": "REV",
                                        "help": "revisions or experiments to compare (default: the workspace)"})])
