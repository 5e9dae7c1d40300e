"""Everything the project says about its methods, derived from model/registry.py: the names,
their groups, display names, table membership, and `fit_method`, which trains one by name
(its module is imported only then: the closed-form methods need no TensorFlow)."""
from __future__ import annotations

from model.registry import ABLATIONS, BASELINES, EICS_FAMILY, RANDOM

REGISTRY = {**RANDOM, **BASELINES, **ABLATIONS, **EICS_FAMILY}  # the tables' order
METHODS = tuple(REGISTRY)
EICS_VARIANTS = tuple(EICS_FAMILY) + tuple(ABLATIONS)  # trained by model/eics/variants.py
UNTUNED = tuple(RANDOM)  # no knobs: never tuned
ABLATION_NAMES = tuple(ABLATIONS)  # tuned over EICS's grid
CLOSED_FORM = tuple(n for n, m in REGISTRY.items() if m["kind"] == "closed_form")
NEURAL = tuple(n for n, m in REGISTRY.items() if m["kind"] == "neural" and n not in EICS_VARIANTS)
DISPLAY = {name: m["display"] for name, m in REGISTRY.items()}
# Methods whose seed i shares its randomness: the EICS variants build the same network layers in the same
# order from the seed (same initial weights where their layers coincide) and draw the same batch order.
# The report pairs their seeds; every other comparison treats the two methods' seeds as unrelated.
SHARED_SEEDS = EICS_VARIANTS


def seeds_shared(a: str, b: str) -> bool:
    return a in SHARED_SEEDS and b in SHARED_SEEDS


TABLE2 = tuple(n for n, m in REGISTRY.items() if 2 in m["tables"])  # compared methods
TABLE4 = tuple(n for n, m in REGISTRY.items() if 4 in m["tables"])  # ablations
TABLE3 = TABLE2 + tuple(n for n in TABLE4 if n not in TABLE2)  # training time: every method of both tables
CLAIMS = tuple((m["claim"], n) for n, m in ABLATIONS.items())  # (the paper's claim, the variant EICS should beat)
UNSUPERVISED = tuple(n for n, m in BASELINES.items() if not m["supervised"])


def method_modules(name: str) -> tuple[str, ...]:
    """The modules `fit_method(name)` imports by name (the method's own and the one it builds on)."""
    if name in EICS_VARIANTS:
        return ("model.eics.variants",)
    entry = REGISTRY[name]
    return tuple(dict.fromkeys(f"model.baselines.{entry[k]}" for k in ("module", "builds_on")))


def fit_method(name: str, train, val, n_classes: int, seed: int, **options):
    """Fit the named method on `train` (`val` for methods that select an epoch) -> `model.embedder.Embedder`.
    EICS's variants and DCLMA also take `watch` ({name: Split}): splits scored after every epoch and recorded
    in the embedder's history, never used to choose anything."""
    if name not in REGISTRY:
        raise ValueError(f"unknown method {name!r}; choose from {list(METHODS)}")
    from importlib import import_module

    if name in EICS_VARIANTS:
        return import_module(method_modules(name)[0]).fit(name, train, val, n_classes, seed, **options)
    fit = import_module(method_modules(name)[0]).fit
    if name not in NEURAL:
        return fit(train, val, n_classes, seed, **options)
    # The neural baselines see scaled inputs like EICS does (its scaling sits inside its network).
    from model.embedder import Embedder
    from model.input_scaling import fit_input_scaler

    scaler = fit_input_scaler(train, options["options"].input_scaling)
    if options.get("watch"):  # splits scored beside validation (the `protocol` stage), scaled the same way
        options = {**options, "watch": {k: scaler.split(s) for k, s in options["watch"].items()}}
    embedder = fit(scaler.split(train), scaler.split(val), n_classes, seed, **options)
    return Embedder(lambda a: embedder.embed_audio(scaler.audio(a)), lambda v: embedder.embed_visual(scaler.visual(v)),
                    embedder.history)
