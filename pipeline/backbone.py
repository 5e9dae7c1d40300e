"""Which backbone the extract stages use (extract.backbone: auto | pretrained | standin)."""
from __future__ import annotations

from pathlib import Path

from pipeline import paths
from pipeline.stage import StageError


def use_standin(params: dict) -> bool:
    """auto: the stand-in for the bundled sample, pretrained weights for anything else.
    The stand-in is refused for any other dataset."""
    choice = params["extract"]["backbone"]
    is_sample = Path(params["data"]["videos"]).resolve() == paths.SAMPLE.resolve()
    if choice == "standin" and not is_sample:
        raise StageError("extract.backbone: standin is only for the bundled sample; real datasets need pretrained weights")
    return choice == "standin" or (choice == "auto" and is_sample)


def audio_prepare(params: dict):
    """The audio backbone's input preparation alone (no weights loaded): what decode workers run."""
    from functools import partial

    from extract.audio_frontend import examples, vggish_input

    return partial(examples, preset=params["extract"]["audio_frontend"]) if use_standin(params) else vggish_input


def audio_backbone(params: dict):
    from extract.backbones import WeightsUnavailable, load_vggish, standin_audio

    if use_standin(params):
        return standin_audio(params["extract"]["audio_frontend"])
    try:
        backbone = load_vggish(str(paths.PRETRAINED_VGGISH))  # resolved by the `weights` stage
    except WeightsUnavailable as err:
        raise StageError(str(err)) from None
    backbone.name = f"vggish ({params['extract']['vggish']})"
    return backbone


def visual_backbone(params: dict):
    from extract.backbones import WeightsUnavailable, load_inception, standin_visual

    if use_standin(params):
        return standin_visual()
    try:
        backbone = load_inception(str(paths.PRETRAINED_INCEPTION))  # resolved by the `weights` stage
    except WeightsUnavailable as err:
        raise StageError(str(err)) from None
    backbone.name = f"inceptionv3 ({params['extract']['inception']})"
    return backbone
