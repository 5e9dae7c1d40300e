"""The retrieval index, ranking, thumbnails, sound excerpts and the results page."""
import io
import wave
from html.parser import HTMLParser
from pathlib import Path

import cv2
import numpy as np
import pytest

from evaluate.retrieval_index import RetrievalIndex, read_index, top_matches, unit_rows, write_index
from evaluate.retrieval_page import Clip, Match, QueryResult, write_page
from extract.sample import write_mp4
from extract.thumbnails import audio_excerpt_wav, thumbnail_jpeg

ROOT = Path(__file__).resolve().parents[1]


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.images = [], 0

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href"):
                self.links.append(value)
        self.images += tag == "img"


def page_links(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def unresolved(path: Path) -> list[str]:
    return [link for link in page_links(path).links if not (path.parent / link).is_file()]


@pytest.mark.parametrize("n, top", [(50, 10), (7, 7), (7, 20), (1000, 1)])
def test_top_matches_agree_with_a_full_stable_sort(n, top):
    rng = np.random.default_rng(n)
    gallery = unit_rows(rng.normal(size=(n, 10)))
    gallery[3 % n] = gallery[1 % n]  # a tie: the lower position must come first
    query = rng.normal(size=10)
    positions, similarity = top_matches(query, gallery, top)
    scores = gallery @ (query / np.linalg.norm(query))
    expected = np.argsort(-scores, kind="stable")[:top]
    np.testing.assert_array_equal(positions, expected)
    np.testing.assert_allclose(similarity, scores[expected], rtol=1e-6)


def test_index_round_trip_keeps_everything(tmp_path):
    rng = np.random.default_rng(0)
    index = RetrievalIndex(
        audio=rng.normal(size=(4, 3)),
        visual=rng.normal(size=(4, 3)),
        ids=np.array(["a/1", "a/2", "b/1", "b/2"], object),
        labels=np.array([0, 0, 1, 1]),
        split=np.array(["train", "val", "test", "test"], object),
        paths=np.array(["x.mp4", "", "y.mp4", "z.mp4"], object),
        thumbnails=[b"\xff\xd8jpeg", b"", b"\x00\x01", b"abc"],
        class_names=["dog", "cat"],
        source="videos",
        backbone="standin",
        model_fingerprint="f00",
        dataset="d",
    )
    write_index(index, tmp_path / "index.h5")
    back = read_index(tmp_path / "index.h5")
    np.testing.assert_allclose(back.audio, unit_rows(index.audio), rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(back.visual, axis=1), 1, rtol=1e-6)
    assert (
        list(back.ids) == list(index.ids)
        and list(back.split) == list(index.split)
        and list(back.paths) == list(index.paths)
    )
    assert back.thumbnails == index.thumbnails and back.class_names == ["dog", "cat"]
    assert (back.source, back.backbone, back.model_fingerprint) == ("videos", "standin", "f00")
    assert list(back.gallery(["test"])) == [2, 3] and back.position("b/1") == 2 and back.position("zz") is None
    assert not list(tmp_path.glob("*.tmp"))


def colour_clip(path, seconds=3, fps=10, size=(96, 128)):
    """Second k of the clip is a flat colour with red = 40 k + 20; one second of a 440 Hz tone."""
    frames = [np.full(size + (3,), (40 * (i // fps) + 20, 128, 60), np.uint8) for i in range(seconds * fps)]
    t = np.arange(seconds * 16000) / 16000
    write_mp4(path, frames, fps, (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000)


def test_thumbnail_is_the_frame_at_one_second_with_the_clip_aspect(tmp_path):
    colour_clip(tmp_path / "c.mp4")
    jpeg = thumbnail_jpeg(tmp_path / "c.mp4", at_seconds=1.0, width=64)
    image = cv2.cvtColor(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    assert image.shape == (48, 64, 3)  # 96 x 128 scaled to 64 wide
    assert abs(float(image[..., 0].mean()) - 60) < 8  # second 1: red = 60 (second 0 is 20, second 2 is 100)


def test_thumbnail_of_the_middle_frame(tmp_path):
    colour_clip(tmp_path / "c.mp4", seconds=5)  # 50 frames: the middle one is in second 2, red = 100
    image = cv2.imdecode(np.frombuffer(thumbnail_jpeg(tmp_path / "c.mp4", "middle", 64), np.uint8), cv2.IMREAD_COLOR)
    assert abs(float(image[..., 2].mean()) - 100) < 8  # OpenCV decodes BGR: channel 2 is red


def test_sound_excerpt_is_a_wav_of_the_requested_length(tmp_path):
    colour_clip(tmp_path / "c.mp4")
    with wave.open(io.BytesIO(audio_excerpt_wav(tmp_path / "c.mp4", seconds=2.0, sample_rate=8000))) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (1, 2, 8000, 16000)
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    assert 0.25 < np.abs(samples[4000:]).max() / 32767 < 0.6  # the 0.5-amplitude tone after AAC


def test_page_links_resolve_and_marks_follow_the_classes(tmp_path):
    clips = [Clip(f"c/{i}", "dog" if i % 2 else "cat", b"\xff\xd8fake" if i != 3 else None) for i in range(5)]
    query = Clip("q/1", "dog", b"\xff\xd8q", b"RIFFwav")
    result = QueryResult(query, "audio", [Match(c, 0.9 - 0.1 * i, c.class_name == "dog") for i, c in enumerate(clips)],
                         0.5, possible=5)
    page = write_page(tmp_path / "out" / "page.html", "Title", "Intro <b>", [result, result])
    assert unresolved(page) == []
    links = page_links(page)
    assert links.images == 2 * (1 + 4)  # query + the matches with a thumbnail, per block
    assert len(list((tmp_path / "out" / "page_files").glob("*_*"))) == 1 + 1 + 4  # each file written once
    text = page.read_text()
    assert text.count("✓") == 2 * 2 and text.count("✗") == 2 * 3 and "Intro &lt;b&gt;" in text
    assert "http" not in text  # nothing from the network
    assert "2 of 5 possible of the same class" in text and 'preload="metadata"' in text
    assert "q/<wbr>1" in text  # ids wrap at separators only


def test_page_files_are_named_by_clip_so_another_page_keeps_the_names_of_shared_clips(tmp_path):
    """Another model's page (an experiment) shows other matches: the files of the clips both pages
    show keep their names and bytes, so undoing the experiment restores the folder exactly."""
    def page_files(match_ids):
        query = Clip("q/1", "dog", b"\xff\xd8q", b"RIFFwav")
        matches = [Match(Clip(c, "dog", f"jpeg of {c}".encode()), 0.5, True) for c in match_ids]
        write_page(tmp_path / "page.html", "T", "I", [QueryResult(query, "audio", matches)])
        return {f.name: f.read_bytes() for f in (tmp_path / "page_files").glob("*_*")}

    first, second = page_files(["a/1", "b/2", "c/3"]), page_files(["c/3", "d/4", "a/1"])
    shared = set(first) & set(second)
    assert len(shared) == 1 + 1 + 2  # the query's picture and sound, a/1 and c/3
    assert all(first[name] == second[name] for name in shared)
    assert len(set(page_files(["a/1", "a_1"]))) == 1 + 1 + 2  # ids equal after cleaning still get two files


def test_a_query_of_unknown_class_has_no_marks_and_no_count(tmp_path):
    clips = [Clip(f"c{i}", "dog") for i in range(3)]
    result = QueryResult(Clip("mine", "new clip"), "audio", [Match(c, 0.5, False) for c in clips])
    text = write_page(tmp_path / "page.html", "T", "I", [result]).read_text()
    assert "✓" not in text and "✗" not in text and "of the same class" not in text and "class is unknown" in text


def test_committed_retrieval_page_resolves():
    page = ROOT / "results" / "retrieval.html"
    assert unresolved(page) == [] and page_links(page).images > 10


def test_one_modality_embedding_equals_the_paired_one():
    from model.eics.embedding import embed, fused_embeddings, fused_one_modality, stacked_heads
    from model.eics.network import build_eics
    from model.linear_cca import fit_linear_cca

    rng = np.random.default_rng(0)
    audio, visual = rng.normal(size=(40, 6)).astype(np.float32), rng.normal(size=(40, 5)).astype(np.float32)
    model = build_eics(6, 5, 3, [8], [8], explicit_dim=2, activation="relu", dropout=0.0)
    fusion = fit_linear_cca(*stacked_heads(embed(model, audio, visual), ["ex", "im"]), 2, 1.0)
    pair_a, pair_v = fused_embeddings(model, fusion, audio, visual, ["ex", "im"])
    np.testing.assert_allclose(
        fused_one_modality(model, fusion, ["ex", "im"], "audio", audio), pair_a, rtol=1e-6, atol=1e-8
    )
    np.testing.assert_allclose(
        fused_one_modality(model, fusion, ["ex", "im"], "visual", visual), pair_v, rtol=1e-6, atol=1e-8
    )
