"""Fixed facts of the backbones and media the extraction is built for, in one place (in the
style of VGGish's vggish_params.py). They are not knobs: changing one means another backbone
or another page format. Every module reads them from here."""

SAMPLE_RATE = 16000  # Hz, mono: VGGish's input

# VGGish's log-mel front end (tensorflow/models research/audioset/vggish, vggish_params.py)
STFT_WINDOW = 400  # samples (25 ms)
STFT_HOP = 160  # samples (10 ms)
N_MELS = 64  # mel bands
MEL_MIN_HZ, MEL_MAX_HZ = 125.0, 7500.0  # their frequency range (HTK mel)
LOG_OFFSET = 0.01  # log(mel + this)
EXAMPLE_FRAMES = 96  # STFT frames per example
EXAMPLE_SECONDS = EXAMPLE_FRAMES * STFT_HOP / SAMPLE_RATE  # 0.96 s: one embedding row
EXAMPLE_SAMPLES = EXAMPLE_FRAMES * STFT_HOP  # 15360
EXAMPLE_CONTEXT = STFT_WINDOW - STFT_HOP  # 240 samples the last example's final STFT frame reads past it
AUDIO_DIM = 128  # VGGish embedding size
VISUAL_DIM = 2048  # InceptionV3's average-pooled last hidden layer
IMAGE_SIZE = 299  # InceptionV3's input side, pixels
FRAMES_PER_SECOND = 1  # visual frames decoded per second of video (the paper's rate)
EXCERPT_SAMPLE_RATE = 8000  # Hz of the audio excerpts embedded in the retrieval pages
THUMBNAIL_QUALITY = 80  # JPEG quality of the page thumbnails
