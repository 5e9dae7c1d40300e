"""Audio (VGGish) and visual (InceptionV3) backbones, pretrained or stand-in.

- VGGish: the published TensorFlow model, from a local SavedModel directory
  (`tf.saved_model.load`) or a TF Hub handle (`hub.load`), called as a frozen function on a
  16 kHz mono waveform, one clip per call. It frames the waveform itself (400-sample
  window, 160-sample hop, no end padding; non-overlapping 96-frame examples), so a
  waveform of exactly n x 0.96 s yields only n - 1 examples. Padding rule: a clip has one
  row per complete 0.96 s start (n = floor(samples / 15360)); it is passed as its first
  n x 15360 + 240 samples, the 240 samples (15 ms) of STFT context past the last example
  taken from the clip when it has them and zeros otherwise, which yields exactly n examples.
  The returned row count is checked.
- InceptionV3: `keras.applications.InceptionV3(include_top=False, pooling="avg")`, weights
  "imagenet" (downloaded once by Keras) or a local `.h5`; RGB 299 x 299 after
  `preprocess_input`; the average-pooled last hidden layer (ReLU'd, 2048-D).
- Stand-ins: small deterministic networks with the same inputs and output sizes (the audio
  one reads our librosa log-mel examples), for tests and the bundled sample only; NumPy in
  float64, the same bytes on every machine (extract/standin.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from extract import audio_frontend
from extract.audio_frontend import vggish_input
from extract.constants import AUDIO_DIM, IMAGE_SIZE, VISUAL_DIM
from extract.rows import checked_rows
from extract.standin import StandinAudioNet, StandinVisualNet

if TYPE_CHECKING:  # annotations only: TensorFlow is imported where a backbone is built
    import keras
    import tensorflow as tf

STANDIN_AUDIO = "standin-audio (random deterministic CNN, not VGGish)"
STANDIN_VISUAL = "standin-visual (random deterministic CNN, not InceptionV3)"


class WeightsUnavailable(RuntimeError):
    """Pretrained weights cannot be loaded; the message names the param and the file to place."""


@dataclass
class AudioBackbone:
    name: str
    prepare: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]  # 16 kHz waveform -> (start seconds, inputs)
    infer: Callable[[np.ndarray], np.ndarray]  # inputs -> one 128-D row per start
    per_clip: bool = False  # True: `inputs` is one clip's whole waveform, inferred on its own (never batched)

    def embed(self, waveform: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        starts, inputs = self.prepare(waveform)
        if not len(starts):
            return starts, np.zeros((0, AUDIO_DIM), np.float32)
        return starts, checked_rows(self.infer(inputs), len(starts), self.name)


@dataclass
class VisualBackbone:
    name: str
    embed: Callable[[np.ndarray], np.ndarray]  # (N, H, W, 3) uint8 RGB -> N x 2048


def standin_audio(preset: str) -> AudioBackbone:
    net = StandinAudioNet(AUDIO_DIM)
    return AudioBackbone(STANDIN_AUDIO, lambda waveform: audio_frontend.examples(waveform, preset=preset), net)


def standin_visual() -> VisualBackbone:
    return VisualBackbone(STANDIN_VISUAL, StandinVisualNet(VISUAL_DIM))


def prepare_images(frames: np.ndarray) -> tf.Tensor:
    """RGB uint8 frames -> 299 x 299, scaled to [-1, 1] (InceptionV3 preprocess_input)."""
    import keras
    import tensorflow as tf

    resized = tf.image.resize(tf.convert_to_tensor(frames, tf.float32), (IMAGE_SIZE, IMAGE_SIZE))
    return keras.applications.inception_v3.preprocess_input(resized)


def compiled_embedding(net: keras.Model) -> Callable[[np.ndarray], np.ndarray]:
    """RGB uint8 frames -> the network's rows, the network traced once into a TensorFlow graph
    for any batch size. Called eagerly, Keras runs each of InceptionV3's ~300 layers from
    Python, taking the GIL back after every op: the extract stage's decoding thread then
    stalls it, and the dispatch itself costs time. The graph runs the whole forward pass in
    TensorFlow's runtime, and gives the same rows as the eager call (tests/test_extract.py)."""
    import tensorflow as tf

    forward = tf.function(lambda images: net(images, training=False),
                          input_signature=[tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE, 3], tf.float32)])
    return lambda frames: forward(prepare_images(frames)).numpy()


# The published locations of the pretrained weights (what the TF Hub handle and Keras's "imagenet" fetch)
VGGISH_ARCHIVE = "https://tfhub.dev/google/vggish/1?tf-hub-format=compressed"  # a .tar.gz of the SavedModel
INCEPTION_NOTOP = ("https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
                   "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5")


def vggish_model(source: str):
    """The VGGish SavedModel from a local directory, or a TF Hub handle (needs network once)."""
    import tensorflow as tf

    if Path(source).is_dir():
        return tf.saved_model.load(source)
    else:
        try:
            import tensorflow_hub as hub

            return hub.load(source)
        except Exception as err:  # hub raises many kinds (URLError, OSError, ValueError...)
            raise WeightsUnavailable(
                f"cannot load VGGish from {source!r} ({type(err).__name__}); set extract.vggish to a local "
                f"SavedModel directory: download {VGGISH_ARCHIVE} where there is network, unpack it into "
                "models/downloads/vggish (README, Your own videos)"
            ) from None


def resolve_vggish(source: str, destination: str | Path) -> None:
    """Store the VGGish SavedModel under `destination` (shared through DVC from there)."""
    import tensorflow as tf

    tf.saved_model.save(vggish_model(source), str(destination))


def load_vggish(source: str) -> AudioBackbone:
    import tensorflow as tf

    model = vggish_model(source)

    def infer(waveform):
        return np.asarray(model(tf.constant(waveform, tf.float32)), dtype=np.float32)

    return AudioBackbone(f"vggish ({source})", vggish_input, infer, per_clip=True)


def inception_network(weights: str) -> keras.Model:
    """weights: "imagenet" (Keras download) or the path of a local .h5 file."""
    import keras

    if weights != "imagenet" and not Path(weights).is_file():
        raise WeightsUnavailable(f"InceptionV3 weights file {weights!r} not found; set extract.inception to 'imagenet' "
                                 "or place the notop .h5 file there")
    try:
        net = keras.applications.InceptionV3(include_top=False, pooling="avg", weights=weights)
    except Exception as err:  # download failures surface as URLError / OSError / ValueError
        raise WeightsUnavailable(
            f"cannot load InceptionV3 weights {weights!r} ({type(err).__name__}); set extract.inception to a local "
            f"file: download {INCEPTION_NOTOP} where there is network, e.g. to models/downloads/inception_v3_notop.h5"
        ) from None
    return net


def resolve_inception(weights: str, destination: str | Path) -> None:
    """Store the InceptionV3 notop weights at `destination` (a .weights.h5 path)."""
    inception_network(weights).save_weights(str(destination))


def load_inception(weights: str) -> VisualBackbone:
    net = inception_network(weights)
    return VisualBackbone(f"inceptionv3 ({Path(weights).name if weights != 'imagenet' else 'imagenet'})",
                          compiled_embedding(net))
