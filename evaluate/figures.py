"""PNG figures in the paper's style (matplotlib, no display needed)."""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _save(fig, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)


def loss_curves(history: dict[str, list[float]], path) -> None:
    """One panel per loss term over epochs (paper Fig. 5), validation MAP in the last panel."""
    names = [k for k in history if k.startswith("loss_")] + [k for k in history if k.startswith("val_map_average")]
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 2.8))
    for ax, name in zip(np.atleast_1d(axes), names):
        ax.plot(np.arange(1, len(history[name]) + 1), history[name], marker=".")
        ax.set_title(name)
        ax.set_xlabel("epoch")
    _save(fig, path)


def precision_scope(curves: dict[str, dict[str, dict[int, float]]], path) -> None:
    """curves[method][direction][K] -> precision@K; one panel per direction (paper Fig. 4)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, direction in zip(axes, ("audio_to_visual", "visual_to_audio")):
        for i, (method, by_direction) in enumerate(curves.items()):
            points = sorted((int(k), v) for k, v in by_direction[direction].items())
            ax.plot([p[0] for p in points], [p[1] for p in points], marker=".", label=method,
                    color=plt.get_cmap("tab20")(i % 20), linestyle=("-", "--", ":")[i % 3])
        ax.set_title(direction.replace("_", " "))
        ax.set_xlabel("scope K")
    axes[0].set_ylabel("precision@K")
    axes[1].legend(fontsize=7, loc="upper right")
    _save(fig, path)


def ap_per_class(class_names, a2v: dict[int, float], v2a: dict[int, float], path) -> None:
    y = np.arange(len(class_names))
    fig, ax = plt.subplots(figsize=(6, 0.35 * len(class_names) + 1.2))
    ax.barh(y - 0.2, [a2v.get(i, 0) for i in y], height=0.4, label="audio → visual")
    ax.barh(y + 0.2, [v2a.get(i, 0) for i in y], height=0.4, label="visual → audio")
    ax.set_yticks(y, class_names)
    ax.set_xlabel("AP (test split)")
    ax.legend(fontsize=8)
    _save(fig, path)


def tsne(audio: np.ndarray, visual: np.ndarray, labels: np.ndarray, class_names, path, seed: int = 0) -> None:
    """t-SNE of the fused test embeddings of both modalities, coloured by class (paper Fig. 8)."""
    from sklearn.manifold import TSNE

    points = np.concatenate([audio, visual])
    perplexity = max(2.0, min(30.0, (len(points) - 1) / 3))
    xy = TSNE(2, perplexity=perplexity, random_state=seed, init="pca").fit_transform(points)
    n = len(audio)
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    colours = plt.get_cmap("tab20")(np.asarray(labels) % 20)
    ax.scatter(xy[:n, 0], xy[:n, 1], c=colours, marker="o", s=14, label="audio")
    ax.scatter(xy[n:, 0], xy[n:, 1], c=colours, marker="^", s=14, label="visual")
    for c, name in enumerate(class_names):
        members = np.flatnonzero(np.asarray(labels) == c)
        if members.size:
            ax.annotate(name, xy[:n][members].mean(axis=0), fontsize=7)
    ax.legend(fontsize=8)
    ax.set_title("fused test embeddings (t-SNE)")
    _save(fig, path)
