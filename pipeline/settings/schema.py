"""The one definition of every params.yaml knob: its type, default, bounds or choices and its
one-line meaning (the comment params.yaml shows beside it), as pydantic models, one per section.

From it come: validation at load (`load_params`: an unknown key or a wrong type stops with one
line naming the key and what is allowed), the tuning grids' allowed keys, and each stage's
`--help` list. tests/test_params.py keeps params.yaml and these models equal both ways (every
key, every default, every comment). The vocabularies of the model's own terms come from
model/terms.py, a module of literals that imports nothing.
"""
from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from model.terms import (
    ACTIVATIONS,
    CONSTRAINT_PAIRS,
    FUSION_HEADS,
    INPUT_SCALINGS,
    LOSS_FORMS,
    LOSS_TERMS,
    OPTIMIZERS,
    PRECISIONS,
)

Activation = Literal[ACTIVATIONS]
Optimizer = Literal[OPTIMIZERS]
InputScaling = Literal[INPUT_SCALINGS]
PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]
Widths = Annotated[list[PositiveInt], Field(min_length=1)]


def knob(default, meaning: str, **bounds):
    return Field(default=default, description=meaning, **bounds)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Data(Section):
    """stages `manifest` and `features`"""

    source: Literal["videos", "synthetic", "community"] = knob(
        "videos", "videos (extract from data.videos) | synthetic (VEGAS-shaped generated data) | community "
        "(import an HDF5 feature file)")
    videos: str = knob("data/sample", "with source: videos, a folder <class>/<clip>.mp4|webm|mkv|avi|mov or a CSV "
                       "path,label[,split]", min_length=1)
    clips_root: str = knob(
        "data/sample", "the folder holding the clips (data.videos itself, or the folder a CSV's paths lie under): "
        "DVC watches it, so a clip replaced in place re-runs its shard", min_length=1)
    split_fractions: list[Annotated[float, Field(gt=0)]] = knob(
        [0.7, 0.1, 0.2], "train/val/test shares when the CSV gives no split column (per clip, by a hash of its id)",
        min_length=3, max_length=3)
    split_seed: NonNegativeInt = knob(
        1, "seed of that hash; 1: the smallest giving every class of the bundled sample a clip in every split")
    community_file: str = knob(
        "data/external", "with source: community, the feature file to import, anywhere (a dependency of "
        "`features`, so the default names an existing folder)", min_length=1)
    val_fraction: float = knob(0.1, "share of train carved out as a stratified validation split when the file has "
                               "none", gt=0, lt=1)
    seed: NonNegativeInt = knob(0, "seed of the synthetic data and of the validation carve")
    audio_dim: Union[Literal["auto"], PositiveInt] = knob(
        "auto", "audio feature size: auto = the file's own; a number (VGGish: 128) is an assertion that refuses a "
        "file of another size")
    visual_dim: Union[Literal["auto"], PositiveInt] = knob(
        "auto", "visual feature size: auto = the file's own (with videos: extract.pca_dim); a number is an "
        "assertion, as audio_dim")

    @model_validator(mode="after")
    def _fractions_sum_to_one(self):
        if abs(sum(self.split_fractions) - 1) > 1e-6:
            raise ValueError(f"split_fractions must sum to 1, got {self.split_fractions}")
        return self


class Sample(Section):
    """stage `sample`: the bundled sample clips written to data/sample"""

    classes: int = knob(6, "number of classes (2-6): siren, drum, bird, engine, bell, gong (bell/gong are "
                        "confusable)", ge=2, le=6)
    clips_per_class: int = knob(15, "clips of 3-8 s per class", ge=3)
    seed: NonNegativeInt = knob(0, "seed of every clip's pitch, tempo, shape, motion, frame rate and noise")


class Ray(Section):
    """with engine: ray (see README "Scale out")"""

    address: str = knob("", "\"\" = start a local Ray runtime with this machine's cores; auto or ray://host:port = "
                        "join a running cluster")
    workers: PositiveInt = knob(1, "backbone actors, each loading the weights once (one per GPU on a GPU cluster)")
    gpus_per_worker: float = knob(0, "GPUs per backbone actor (0 = CPU inference)", ge=0)
    cpus_per_worker: float = knob(1, "CPUs reserved per backbone actor (workers x this + cpus_per_decoder must fit "
                                  "the cluster)", gt=0)
    cpus_per_decoder: float = knob(1, "CPUs reserved per decode task (one task decodes one shard)", gt=0)


class Extract(Section):
    """stages `extract@audio`, `extract@visual`, `pca` and `features` with data.source: videos"""

    backbone: Literal["auto", "pretrained", "standin"] = knob(
        "auto", "auto (stand-in for the bundled sample, pretrained otherwise) | pretrained | standin (sample only)")
    vggish: str = knob("https://tfhub.dev/google/vggish/1", "TF Hub handle or local SavedModel directory (e.g. "
                       "models/pretrained/vggish)", min_length=1)
    inception: str = knob("imagenet", "imagenet (Keras download) or a local InceptionV3 notop .h5 file", min_length=1)
    audio_frontend: Literal["vggish", "paper"] = knob(
        "vggish", "vggish (25 ms / 10 ms, 64 mel 125-7500 Hz) | paper (librosa n_fft 2048, hop 512); stand-in only")
    shard_size: PositiveInt = knob(200, "clips per HDF5 shard (the unit of caching and resume)")
    batch_size: PositiveInt = knob(64, "inputs per backbone call (frames or 0.96 s examples, across clips)")
    engine: Literal["local", "ray"] = knob(
        "local", "local (this process: decoding in a thread, one backbone) | ray (Ray Data: decode tasks, backbone "
        "actors; same shards)")
    ray: Ray = knob(Ray(), Ray.__doc__)
    pca_dim: Union[Literal["auto"], PositiveInt] = knob(
        256, "visual PCA size: auto = the training frames' count, at most 1024 (the paper's); a number needs that "
        "many training frames")
    pca_whiten: bool = knob(False, "whiten the PCA output")
    skips: str = knob("data/skips.csv", "CSV path,reason of every clip left out", min_length=1)


class Synthetic(Section):
    """stage `features`, data.source: synthetic"""

    n_classes: int = knob(10, "number of classes (VEGAS has 10)", ge=2)
    n_train: int = knob(3000, "training clips (VEGAS: 22,482 with val)", ge=2)
    n_val: int = knob(500, "validation clips (model selection only)", ge=2)
    n_test: int = knob(1000, "test clips (VEGAS: 5,621)", ge=2)
    latent_dim: PositiveInt = knob(16, "size of the latent shared by the audio and visual of one clip")
    audio_dim: PositiveInt = knob(128, "size of the generated audio features (VGGish-shaped)")
    visual_dim: PositiveInt = knob(1024, "size of the generated visual features (InceptionV3 + PCA-shaped, as the "
                                   "paper's 1024)")
    class_separation: float = knob(1.0, "spread of the class centres in the latent space (larger = easier)", ge=0)
    clip_spread: float = knob(1.0, "spread of clips around their class centre (larger = harder)", ge=0)
    nuisance: float = knob(1.0, "strength of the modality-specific background signal", ge=0)
    noise: float = knob(1.0, "strength of the isotropic noise on each feature", ge=0)


class Model(Section):
    """stage `train`: the EICS network and loss (paper section 3)"""

    audio_hidden: Widths = knob([1024], "hidden widths of each audio head (paper Table 1: [1024, 1024]; see README)")
    visual_hidden: Widths = knob([1024], "hidden widths of each visual head (paper Table 1: [1024, 2048]; one layer "
                                 "like the baselines)")
    explicit_dim: PositiveInt = knob(10, "output size of the explicit (correlation) space")
    activation: Activation = knob("relu", "hidden activation: relu | sigmoid | tanh | gelu | elu")
    dropout: float = knob(0.0, "dropout after every hidden layer (0 = off; did not help on validation)", ge=0, lt=1)
    input_scaling: InputScaling = knob("global", "none | global (centre each dimension, divide all by the mean "
                                       "training std; model/input_scaling.py)")
    alpha: float = knob(1.0, "weight of L_dis (README, Parameters: how it was chosen)",
                        ge=0)
    beta: float = knob(0.001, "weight of L_cons (the paper's best; `make grid` sweeps alpha x beta over 0, 0.001, "
                       "0.01, 0.1, 1)", ge=0)
    loss_form: Literal[LOSS_FORMS] = knob("reference", "reference (DSCMR-style L_dis, DSN-style L_cons: the code the "
                                          "paper builds on) | literal (as printed)")
    loss_terms: list[Literal[LOSS_TERMS]] = knob(["corr", "dis", "cons"], "terms switched on in the total loss "
                                                 "(ablations drop some)", min_length=1)
    constraint_pairs: list[Literal[tuple(CONSTRAINT_PAIRS)]] = knob(
        ["ex_im_audio", "ex_im_visual", "im_im"], "orthogonality pairs inside L_cons")
    corr_ridge: float = knob(1.0e-4, "ridge of the deep-CCA covariances, relative to their mean variance", gt=0)
    shared_trunk: bool = knob(False, "true = Ex-Im-share ablation: one hidden trunk per modality feeds both heads")


class Train(Section):
    """stage `train`: optimisation"""

    epochs: PositiveInt = knob(150, "cap on passes over the training split (early stopping ends most runs sooner)")
    patience: PositiveInt = knob(10, "stop after this many validation checks without a better validation MAP")
    min_steps: NonNegativeInt = knob(100, "... but never before this many optimiser steps (a small split has one "
                                     "step per epoch)")
    batch_size: int = knob(256, "clips per step (deep CCA needs well over explicit_dim)", ge=2)
    optimizer: Optimizer = knob("adam", "adam | sgd (with momentum)")
    learning_rate: float = knob(1.0e-3, "step size (Adam; as baselines.learning_rate)", gt=0)
    momentum: float = knob(0.9, "SGD momentum (0 = plain SGD; ignored by adam)", ge=0, lt=1)
    weight_decay: float = knob(30.0, "decoupled weight decay (each step shrinks weights by learning_rate * "
                               "weight_decay); dev-file validation choice, as model.alpha", ge=0)
    validate_every: PositiveInt = knob(1, "epochs between validation MAP checks (the best one is kept)")
    seed: NonNegativeInt = knob(0, "seed of weights and batch order (training is deterministic on CPU)")


class Fusion(Section):
    """stage `train`: linear CCA fitted on training outputs"""

    dim: PositiveInt = knob(10, "size of the fused space used for retrieval (paper Table 1: 10)")
    ridge: float = knob(10.0, "covariance ridge, relative to the mean variance (large: the heads fit the training "
                        "split closely)", ge=0)
    heads: list[Literal[FUSION_HEADS]] = knob(["ex", "im"], "heads concatenated per modality before the CCA (ex, im "
                                              "or both)", min_length=1)


class Evaluate(Section):
    """stage `evaluate`"""

    scopes: Annotated[list[PositiveInt], Field(min_length=1)] = knob(
        [1, 5, 10, 20, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000],
        "K for precision@K (paper Fig. 4: 10-1000); K above the gallery size is dropped")
    recall_ks: Annotated[list[PositiveInt], Field(min_length=1)] = knob(
        [1, 5, 10], "k for recall@k (a query counts when a relevant item is in its top k; tie-aware)")
    page_queries_per_class: NonNegativeInt = knob(2, "test queries per class on results/retrieval.html (picked with "
                                                  "evaluate.page_seed)")
    page_seed: NonNegativeInt = knob(0, "seed of the queries shown on the page")


class Index(Section):
    """stage `index`: data/index.h5, what pipeline.search and the pages rank"""

    thumbnail_at: Union[Literal["middle"], Annotated[float, Field(ge=0)]] = knob(
        "middle", "middle (the clip's middle frame) or seconds into the clip (the last frame if shorter)")
    thumbnail_width: int = knob(160, "thumbnail width in pixels (JPEG; the height keeps the clip's aspect)",
                                ge=16, le=1024)


class Search(Section):
    """python -m pipeline.search defaults, also used by results/retrieval.html"""

    by: Literal["audio", "visual"] = knob("audio", "the query's modality: audio (find the pictures for a sound) | "
                                          "visual")
    top: PositiveInt = knob(10, "matches shown per query")
    gallery: Literal["all", "test"] = knob("all", "all (every clip of the index) | test (the test split only; the "
                                           "page always uses test)")
    excerpt_seconds: float = knob(3.0, "seconds of the query's sound embedded in the pages", ge=0.5, le=30)


class Baselines(Section):
    """stage `methods`: the compared methods (not EICS and its ablations)"""

    hidden: Widths = knob([1024], "hidden widths of every projector network")
    activation: Activation = knob("relu", "of their hidden layers: relu | sigmoid | tanh | gelu | elu")
    epochs: PositiveInt = knob(150, "cap on passes over the training split (the same as train.epochs for EICS)")
    patience: PositiveInt = knob(10, "stop after this many epochs without a better validation MAP (the best epoch "
                                 "is kept)")
    min_steps: NonNegativeInt = knob(100, "... but never before this many optimiser steps, as train.min_steps")
    batch_size: int = knob(256, "clips per step", ge=2)
    optimizer: Optimizer = knob("adam", "adam | sgd (decoupled weight decay in both)")
    learning_rate: float = knob(1.0e-3, "optimiser step size", gt=0)
    momentum: float = knob(0.9, "SGD momentum (optimizer sgd only)", ge=0, lt=1)
    adam_beta1: float = knob(0.9, "Adam's first-moment decay (optimizer adam only; DSCMR's, ACMR's and DCLMA's "
                             "authors use 0.5)", gt=0, lt=1)
    weight_decay: float = knob(0.0, "decoupled weight decay, as train.weight_decay for EICS", ge=0)
    input_scaling: InputScaling = knob("global", "none | global, as model.input_scaling for EICS")
    margin: float = knob(0.2, "margin of the triplet / ranking losses (cosine units)", ge=0)
    knobs: dict[str, dict[str, Union[int, float]]] = knob(
        {"cca": {"ridge": 1.0e-3}, "dcca": {"ridge": 1.0e-3, "corr_ridge": 1.0e-4},
         "c_dcca": {"ridge": 1.0e-3, "corr_ridge": 1.0e-4}, "kcca": {"ridge": 1.0e-2, "components": 500},
         "c_cca": {"ridge": 1.0e-3}, "tnn_c_cca": {"cca_ridge": 1.0e-3}, "dscmr": {"alpha": 1.0e-3, "beta": 0.1},
         "acmr": {"gamma": 0.1, "label_weight": 1.0}, "ucal": {"gamma": 0.1},
         "ugach": {"gamma": 0.1, "quantise": 0.1, "neighbours": 3},
         "agah": {"gamma": 0.1, "quantise": 0.1}, "dclma": {"beta": 0.01, "temperature": 0.2, "gamma": 0.5}},
        "each method's own settings (published defaults); the tuning grids below may vary them")


Value = Union[int, float, str]
# a grid is either {knob: [values]} (every combination is a point) or a list of points [{knob: value}]
# (for points that are not a product, such as a method's authors' own settings beside ours)
Grid = Union[dict[str, Annotated[list[Value], Field(min_length=1)]],
             Annotated[list[Annotated[dict[str, Value], Field(min_length=1)]], Field(min_length=1)]]


# the training settings each method's authors published in their code, where they differ from ours
AUTHORS = {
    "dscmr": {"learning_rate": 1.0e-4, "adam_beta1": 0.5, "batch_size": 100, "weight_decay": 0.0, "alpha": 1.0e-3},
    "acmr": {"learning_rate": 1.0e-4, "adam_beta1": 0.5, "batch_size": 64, "weight_decay": 0.0, "label_weight": 100.0},
    "dclma": {"learning_rate": 1.0e-4, "adam_beta1": 0.5, "batch_size": 128},
}


class Tuning(Section):
    """stage `methods`: the same budget for every method that has knobs"""

    seeds: PositiveInt = knob(3, "seeds per grid point (the first of report.seeds); a point scores its mean "
                              "validation MAP over them")

    grids: dict[str, Grid] = knob(
        {"eics": {"weight_decay": [0.0, 30.0], "alpha": [1.0, 3.0]},
         "eics_literal": {"weight_decay": [0.0, 30.0], "alpha": [1.0, 3.0]},
         "cca": {"ridge": [1.0e-3, 1.0e-2, 0.1, 1.0]}, "kcca": {"ridge": [1.0e-2, 0.1], "components": [250, 500]},
         "c_cca": {"ridge": [0.1, 1.0, 10.0, 100.0]},
         "dcca": {"weight_decay": [0.0, 30.0], "learning_rate": [3.0e-4, 1.0e-3]},
         "c_dcca": {"weight_decay": [0.0, 30.0], "learning_rate": [3.0e-4, 1.0e-3]},
         "tnn_c_cca": {"weight_decay": [0.0, 30.0], "margin": [0.1, 0.2]},
         "dscmr": [{"weight_decay": 30.0, "alpha": 1.0e-3}, {"weight_decay": 30.0, "alpha": 0.1},
                   {"weight_decay": 30.0, "alpha": 1.0}, AUTHORS["dscmr"]],
         "acmr": [{"weight_decay": 0.0, "gamma": 0.01}, {"weight_decay": 30.0, "gamma": 0.01},
                  {"weight_decay": 30.0, "gamma": 0.1}, AUTHORS["acmr"]],
         "ucal": {"weight_decay": [0.0, 30.0], "gamma": [0.01, 0.1]},
         "ugach": {"weight_decay": [0.0, 30.0], "neighbours": [3, 10]},
         "agah": {"weight_decay": [0.0, 30.0], "quantise": [0.01, 0.1]},
         "dclma": [{"weight_decay": 0.0, "batch_size": 128}, {"weight_decay": 30.0, "batch_size": 128},
                   {"weight_decay": 30.0, "batch_size": 256}, AUTHORS["dclma"]]},
        "method -> {knob: [values]} (every combination) or [{knob: value}, ...] (these points)")


class Report(Section):
    """the method stages and `report` (paper Tables 2-4)"""

    seeds: Annotated[list[NonNegativeInt], Field(min_length=1)] = knob(
        list(range(10)), "every method is fitted once per seed; tables show mean ± std over them")
    paper_dataset: Literal["vegas", "ave"] = knob("vegas", "which of the paper's datasets (vegas | ave) its numbers "
                                                  "are shown for")
    peer_test_batch: PositiveInt = knob(128, "stage `protocol`: the peers' test batch, whose last partial batch "
                                        "their loaders drop (DCLMA's 128)")


class Fits(Section):
    """how networks are fitted: precision, threads, and the method stages' fan-out over Ray"""

    precision_train: Literal[PRECISIONS] = knob(
        "float64", "stage `train` and `make grid`: float64 writes the same bytes on every AVX2 CPU; float32 is "
        "faster, its last bits follow the CPU")
    precision_report: Literal[PRECISIONS] = knob(
        "float32", "the method stages and `protocol`: float32 (see README: what differs between machines)")
    threads: PositiveInt = knob(1, "TensorFlow threads of one fit (and CPUs Ray reserves for it); results "
                                "depend on it, not on workers")
    workers: NonNegativeInt = knob(0, "fits at once in a method stage: 0 = as many as the machine's (or "
                                   "cluster's) CPUs allow at `threads` each")
    address: str = knob("", "\"\" = start a local Ray runtime with this machine's cores; auto or ray://host:port = "
                        "join a running cluster")
    gpus_per_fit: float = knob(0.0, "GPUs per fit of a method stage (0.25: four fits share one GPU; 0 = CPU)",
                               ge=0, le=1)


class Params(Section):
    data: Data = knob(Data(), Data.__doc__)
    sample: Sample = knob(Sample(), Sample.__doc__)
    extract: Extract = knob(Extract(), Extract.__doc__)
    synthetic: Synthetic = knob(Synthetic(), Synthetic.__doc__)
    model: Model = knob(Model(), Model.__doc__)
    train: Train = knob(Train(), Train.__doc__)
    fusion: Fusion = knob(Fusion(), Fusion.__doc__)
    evaluate: Evaluate = knob(Evaluate(), Evaluate.__doc__)
    index: Index = knob(Index(), Index.__doc__)
    search: Search = knob(Search(), Search.__doc__)
    baselines: Baselines = knob(Baselines(), Baselines.__doc__)
    tuning: Tuning = knob(Tuning(), Tuning.__doc__)
    report: Report = knob(Report(), Report.__doc__)
    fits: Fits = knob(Fits(), Fits.__doc__)

    @model_validator(mode="after")
    def _visual_dim_matches_the_pca(self):
        if (self.data.source == "videos" and "auto" not in (self.data.visual_dim, self.extract.pca_dim)
                and self.data.visual_dim != self.extract.pca_dim):
            raise ValueError(f"data.visual_dim is {self.data.visual_dim} but extract.pca_dim makes "
                             f"{self.extract.pca_dim}-D visual features; set data.visual_dim to auto or to that size")
        return self


def section_keys(section: str) -> tuple[str, ...]:
    """The keys a params.yaml section may hold."""
    return tuple(Params.model_fields[section].annotation.model_fields)


def describe(dotted: str) -> str:
    """`key (default): meaning` of a params.yaml key or section, for --help."""
    node, field = Params, None
    for part in dotted.split("."):
        if node is None or part not in node.model_fields:
            raise KeyError(dotted)
        field = node.model_fields[part]
        node = field.annotation if isinstance(field.annotation, type) and issubclass(field.annotation,
                                                                                      BaseModel) else None
    default = field.default.model_dump() if isinstance(field.default, BaseModel) else field.default
    shown = "section" if isinstance(default, dict) and node is not None else repr(default)
    return f"{dotted} ({shown}): {field.description}"
