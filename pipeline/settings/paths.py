"""Where each stage reads and writes (mirrors the outs/deps in dvc.yaml)."""
from pathlib import Path

PARAMS = Path("params.yaml")
FEATURES = Path("data/features.h5")
MODEL = Path("models/eics.keras")
FUSION = Path("models/fusion.npz")
TRAIN_SUMMARY = Path("models/train_summary.json")
TRAIN_TIMING = Path("models/train_timing.json")
DVCLIVE = Path("dvclive")
RESULTS = Path("results")
METRICS = RESULTS / "metrics.json"
PRECISION_SCOPE = RESULTS / "precision_scope.csv"
AP_PER_CLASS = RESULTS / "ap_per_class.csv"
TABLE = RESULTS / "results.md"
METHOD_RESULTS = RESULTS / "methods"
TUNING = RESULTS / "tuning"
TIMINGS = RESULTS / "timings"
REPORT = RESULTS / "report.md"
PROTOCOL = RESULTS / "protocol.json"
TIMES_TABLE = RESULTS / "timings.md"  # machine-dependent: not a DVC output, not committed
PAPER_RESULTS = Path("evaluate/paper_results.json")
SAMPLE = Path("data/sample")
MANIFEST = Path("data/manifest.csv")
EXTRACT = Path("data/extract")
PCA = Path("models/pca.npz")
PRETRAINED = Path("models/pretrained")
PRETRAINED_VGGISH = PRETRAINED / "vggish"
PRETRAINED_INCEPTION = PRETRAINED / "inception_v3_notop.weights.h5"
FIGURES = RESULTS / "figures"
METHODS_FIGURE = RESULTS / "precision_scope_methods.png"
DVCLIVE_PLOTS = DVCLIVE / "plots" / "metrics"
INDEX = Path("data/index.h5")
RETRIEVAL_PAGE = RESULTS / "retrieval.html"
SEARCH_PAGES = RESULTS / "search"


def is_bundled_sample(videos) -> bool:
    """Whether data.videos names the bundled sample folder."""
    return Path(videos).resolve() == SAMPLE.resolve()
