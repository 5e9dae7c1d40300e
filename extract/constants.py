"""Fixed facts of the backbones and media the extraction is built for, in one place (in the
style of VGGish's vggish_params.py). They are not knobs: changing one means another backbone
or another page format. Every module reads them from here."""

SAMPLE_RATE = 16000  # Hz, mono: VGGish's input
AUDIO_DIM = 128  # VGGish embedding size
VISUAL_DIM = 2048  # InceptionV3's average-pooled last hidden layer
IMAGE_SIZE = 299  # InceptionV3's input side, pixels
FRAMES_PER_SECOND = 1  # visual frames decoded per second of video (the paper's rate)
EXCERPT_SAMPLE_RATE = 8000  # Hz of the audio excerpts embedded in the retrieval pages
THUMBNAIL_QUALITY = 80  # JPEG quality of the page thumbnails
