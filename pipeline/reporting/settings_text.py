"""The words that name what a result was made with (data, backbones, alpha, beta and the rest of
models/train_summary.json), for the tables, figures and pages."""
from __future__ import annotations


def short_setting(features, summary: dict) -> str:
    """One line for figures: data, backbones, alpha and beta."""
    m = summary["trained_with"]["model"]
    backbone = "stand-in backbones (random CNNs)" if "standin" in features.backbone else features.backbone
    return f"data: {features.source}; {backbone}; EICS alpha {m['alpha']}, beta {m['beta']}"


def trained_with(summary: dict) -> str:
    """The settings the evaluated model was trained with (models/train_summary.json), as a clause."""
    m, t = summary["trained_with"]["model"], summary["trained_with"]["train"]
    return (f"EICS trained with alpha (L_dis weight) {m['alpha']}, beta (L_cons weight) {m['beta']}, {m['loss_form']} "
            f"losses, terms {'+'.join(m['loss_terms'])}, weight decay {t['weight_decay']}, learning rate "
            f"{t['learning_rate']}, seed {t['seed']}")


def trained_with_line(summary: dict) -> str:
    return f"{trained_with(summary)} (every knob: models/train_summary.json)."
