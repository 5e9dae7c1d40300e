"""PNG figures in the paper's style (matplotlib, no display needed). Each names the data and
settings it shows (`setting`, a line under the title)."""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

# Paul Tol's "muted" qualitative scheme: distinguishable with the common colour-vision deficiencies
COLOUR_BLIND_SAFE = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255",
                     "#AA4499", "#DDDDDD")
TERM_LABELS = {"loss_corr": "L_corr (negative total correlation)", "loss_dis": "L_dis (label loss)",
               "loss_cons": "L_cons (orthogonality)", "loss_total": "total loss", "val_map_average": "validation MAP"}


def class_colour(c: int):
    """A colour-blind-safe colour per class; past ten classes the palette repeats in a darker shade."""
    base = np.array(matplotlib.colors.to_rgb(COLOUR_BLIND_SAFE[c % len(COLOUR_BLIND_SAFE)]))
    return tuple(base * (0.6 if (c // len(COLOUR_BLIND_SAFE)) % 2 else 1.0))


def _save(fig, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)


def _spans_decades(values) -> bool:
    """All positive and the largest over 100 times the smallest."""
    values = np.asarray(values, float)
    return bool((values > 0).all() and values.max() / values.min() > 100)


def loss_curves(history: dict[str, list[float]], path, best_epoch: int | None = None, setting: str = "") -> None:
    """One panel per loss term over epochs (paper Fig. 5), validation MAP in the last panel; a term
    spanning more than two decades on a log scale; a dashed line at the epoch chosen on validation."""
    names = [k for k in history if k.startswith("loss_")] + [k for k in history if k.startswith("val_map_average")]
    fig, axes = plt.subplots(1, len(names), figsize=(3.3 * len(names), 3.0))
    for ax, name in zip(np.atleast_1d(axes), names):
        values = np.asarray(history[name], float)
        flip = name == "loss_corr" and (values < 0).all() and _spans_decades(-values)
        shown = -values if flip else values
        ax.plot(np.arange(1, len(values) + 1), shown, marker=".", markersize=3, color="#332288")
        if _spans_decades(shown):
            ax.set_yscale("log")
        label = TERM_LABELS.get(name, name)
        ax.set_ylabel(("−" + label if flip else label) + (" (log scale)" if _spans_decades(shown) else ""), fontsize=8)
        ax.set_xlabel("epoch")
        if best_epoch:
            ax.axvline(best_epoch, color="#CC6677", linestyle="--", linewidth=1)
    if best_epoch:
        np.atleast_1d(axes)[-1].legend(
            [Line2D([], [], color="#CC6677", linestyle="--")],
            [f"epoch {best_epoch}: best validation MAP (kept)"],
            fontsize=7,
            loc="lower right",
        )
    fig.suptitle("EICS training, per epoch" + (f"\n{_wrapped(setting, 160)}" if setting else ""), fontsize=9)
    fig.tight_layout()
    _save(fig, path)


# Okabe-Ito colours (colour-blind safe) crossed with line styles and markers: 21 distinct curves
CURVE_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#999999")
CURVE_STYLES = (("-", "o"), ("--", "s"), (":", "^"))


def _wrapped(text: str, width: int = 110) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def precision_scope(curves: dict[str, dict[str, dict[int, float]]], path, setting: str = "") -> None:
    """curves[method][direction][K] -> precision@K; one panel per direction (paper Fig. 4). Each method
    has its own colour/line/marker; EICS is drawn in black, thicker."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, direction in zip(axes, ("audio_to_visual", "visual_to_audio")):
        for i, (method, by_direction) in enumerate(curves.items()):
            points = sorted((int(k), v) for k, v in by_direction[direction].items())
            ours = method.startswith("EICS")
            line, marker = CURVE_STYLES[(i // len(CURVE_COLOURS)) % len(CURVE_STYLES)]
            ax.plot([p[0] for p in points], [p[1] for p in points], marker=marker, markersize=3, label=method,
                    color="black" if ours else CURVE_COLOURS[i % len(CURVE_COLOURS)], linestyle="-" if ours else line,
                    linewidth=2.2 if ours else 1.1, zorder=3 if ours else 2)
        ax.set_title(direction.replace("_", " "))
        ax.set_xlabel("scope K")
    axes[0].set_ylabel("precision@K (test split)")
    axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if setting:
        fig.suptitle(_wrapped(setting), fontsize=8)
    fig.tight_layout()
    _save(fig, path)


def ap_per_class(class_names, a2v: dict[int, float], v2a: dict[int, float], path, setting: str = "") -> None:
    y = np.arange(len(class_names))
    fig, ax = plt.subplots(figsize=(6, 0.35 * len(class_names) + 1.4))
    ax.barh(y - 0.2, [a2v.get(i, 0) for i in y], height=0.4, label="audio → visual", color=COLOUR_BLIND_SAFE[0])
    ax.barh(y + 0.2, [v2a.get(i, 0) for i in y], height=0.4, label="visual → audio", color=COLOUR_BLIND_SAFE[5])
    ax.set_yticks(y, class_names)
    ax.set_xlabel("AP (test split)")
    ax.legend(fontsize=8)
    if setting:
        ax.set_title(_wrapped(setting, 80), fontsize=7)
    _save(fig, path)


def spread_labels(positions: np.ndarray, height: float, width: float) -> np.ndarray:
    """Label anchors moved apart vertically until no two boxes of `width` x `height` overlap."""
    placed = np.array(positions, float)
    order = np.argsort(placed[:, 1])
    for _ in range(200):
        moved = False
        for i in range(len(order)):
            for j in range(i + 1, len(order)):
                a, b = order[i], order[j]
                if abs(placed[a, 0] - placed[b, 0]) < width and abs(placed[a, 1] - placed[b, 1]) < height:
                    shift = (height - abs(placed[a, 1] - placed[b, 1])) / 2 + 1e-9
                    lower, upper = (a, b) if placed[a, 1] <= placed[b, 1] else (b, a)
                    placed[lower, 1] -= shift
                    placed[upper, 1] += shift
                    moved = True
        if not moved:
            break
    return placed


def tsne(audio: np.ndarray, visual: np.ndarray, labels: np.ndarray, class_names, path, seed: int = 0,
         setting: str = "") -> None:
    """t-SNE of the fused test embeddings of both modalities (paper Fig. 8): colour = class (one
    legend), marker = modality (another); class names at their clusters, moved apart so none overlap."""
    from sklearn.manifold import TSNE

    points = np.concatenate([audio, visual])
    perplexity = max(2.0, min(30.0, (len(points) - 1) / 3))
    xy = TSNE(2, perplexity=perplexity, random_state=seed, init="pca").fit_transform(points)
    n = len(audio)
    labels = np.asarray(labels)
    colours = [class_colour(int(c)) for c in labels]
    fig, ax = plt.subplots(figsize=(7.2, 5.0))
    ax.scatter(xy[:n, 0], xy[:n, 1], c=colours, marker="o", s=18, edgecolors="none")
    ax.scatter(xy[n:, 0], xy[n:, 1], c=colours, marker="^", s=18, edgecolors="none")
    present = [c for c in range(len(class_names)) if (labels == c).any()]
    centres = np.array([np.concatenate([xy[:n][labels == c], xy[n:][labels == c]]).mean(axis=0) for c in present])
    span = np.ptp(xy, axis=0) + 1e-9
    if len(present):
        anchors = spread_labels(centres, 0.05 * span[1], 0.02 * span[0] * max(len(class_names[c]) for c in present))
        for c, (x, y) in zip(present, anchors):
            ax.annotate(class_names[c], (x, y), fontsize=7, ha="center", va="center",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": class_colour(c), "alpha": 0.85})
    classes = ax.legend([Patch(color=class_colour(c)) for c in present], [class_names[c] for c in present],
                        title="class", fontsize=7, title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.add_artist(classes)
    ax.legend(
        [
            Line2D([], [], marker="o", linestyle="", color="#444"),
            Line2D([], [], marker="^", linestyle="", color="#444"),
        ],
        ["audio", "visual"],
        title="modality",
        fontsize=7,
        title_fontsize=8,
        loc="lower left",
        bbox_to_anchor=(1.01, 0.0),
    )
    ax.set_title("fused test embeddings (t-SNE)" + (f"\n{_wrapped(setting, 90)}" if setting else ""), fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    _save(fig, path)
