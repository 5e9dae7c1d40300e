"""Which backbone the extract stages use (extract.backbone: auto | pretrained | standin)."""
from __future__ import annotations

from pipeline import portable
from pipeline.settings import paths
from pipeline.stage import StageError

# what decides the backbones (and whether they are the stand-ins): every stage that loads them reads these
BACKBONE_READS = ("data.source", "data.videos", "extract.backbone", "extract.vggish", "extract.inception")

# the modules whose code turns a clip into rows (decoding, front end, backbones, row checks, shard writing)
ROW_CODE = ("extract.decode", "extract.backbones", "extract.shards")


def row_code_digest() -> str:
    """A hash of the code that makes a shard's rows (ROW_CODE and what it imports, docstrings and comments
    left out). It is part of every shard's stamp, so a finished shard is reused on resume only when the
    same code would make it again; a change to that code re-extracts every shard."""
    from pipeline.code_listing import closure_digest

    return closure_digest(ROW_CODE)[:16]


def use_standin(params: dict) -> bool:
    """auto: the stand-in for the bundled sample, pretrained weights for anything else. `standin`, chosen
    explicitly, runs any folder without weights: a smoke test of its layout, decoding and splits, named
    as stand-in in every output (the report judges no claim on it; search warns on every query)."""
    choice = params["extract"]["backbone"]
    return choice == "standin" or (choice == "auto" and paths.is_bundled_sample(params["data"]["videos"]))


def backbone_name(modality: str, params: dict) -> str:
    """The name recorded in shards and fingerprints, known without loading any weights."""
    from extract.backbones import STANDIN_AUDIO, STANDIN_VISUAL

    if use_standin(params):
        return STANDIN_AUDIO if modality == "audio" else STANDIN_VISUAL
    if modality == "audio":
        return f"vggish ({params['extract']['vggish']})"
    return f"inceptionv3 ({params['extract']['inception']})"


def require_weights(modality: str, params: dict) -> None:
    """Stop with one line if the pretrained weights the actors will load are missing (Ray engine)."""
    if use_standin(params):
        return
    path = paths.PRETRAINED_VGGISH if modality == "audio" else paths.PRETRAINED_INCEPTION
    if not path.exists():
        raise StageError(f"{path} is missing; run `dvc repro weights` first")


def audio_prepare(params: dict):
    """The audio backbone's input preparation alone (no weights loaded): what decode workers run."""
    from functools import partial

    from extract.audio_frontend import examples, vggish_input

    return partial(examples, preset=params["extract"]["audio_frontend"]) if use_standin(params) else vggish_input


def _pretrained(modality: str, params: dict):
    """The pretrained backbone the `weights` stage resolved, with the user's TensorFlow settings."""
    from extract.backbones import WeightsUnavailable, load_inception, load_vggish

    load, path = ((load_vggish, paths.PRETRAINED_VGGISH) if modality == "audio" else
                  (load_inception, paths.PRETRAINED_INCEPTION))
    portable.release_for_pretrained_backbones()
    try:
        backbone = load(str(path))
    except WeightsUnavailable as err:
        raise StageError(str(err)) from None
    backbone.name = backbone_name(modality, params)
    return backbone


def audio_backbone(params: dict):
    from extract.backbones import standin_audio

    return standin_audio(params["extract"]["audio_frontend"]) if use_standin(params) else _pretrained("audio", params)


def visual_backbone(params: dict):
    from extract.backbones import standin_visual

    return standin_visual() if use_standin(params) else _pretrained("visual", params)


def modality(name: str, params: dict, require_both: bool = True, load_backbone: bool = True):
    """The Modality to extract: decoding in the prepare step, backbone in infer.
    With `require_both` (the extract stages) a clip must decode in both modalities; a search
    query needs only its own. Without `load_backbone` only `prepare` works (decode workers)."""
    from extract.constants import IMAGE_SIZE
    from extract.decode import decode_audio, decode_frames_1fps
    from extract.shards import Modality

    x = params["extract"]
    # A clip is kept only when both of its modalities decode, so both stages check both.
    if name == "audio":
        backbone = audio_backbone(params) if load_backbone else None
        to_examples = audio_prepare(params)

        def prepare(path):
            if require_both:
                decode_frames_1fps(path)
            return to_examples(decode_audio(path))

        return Modality(
            "audio",
            backbone_name("audio", params),
            prepare,
            backbone.infer if backbone else None,
            x["batch_size"],
            f"frontend={x['audio_frontend']} code={row_code_digest()}",
            per_clip=backbone.per_clip if backbone else False,
        )
    backbone = visual_backbone(params) if load_backbone else None

    def prepare_visual(path):
        if require_both:
            decode_audio(path)
        return decode_frames_1fps(path, size=IMAGE_SIZE)  # every clip's frames at the backbone's input size

    return Modality("visual", backbone_name("visual", params), prepare_visual, backbone.embed if backbone else None,
                    x["batch_size"], f"code={row_code_digest()}")
