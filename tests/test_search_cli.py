"""The search command's surface: bad queries give one error line before TensorFlow is imported;
every option reaches it (make passes TOP, BY, GALLERY); each variant of a query has its own page."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.search import page_name

ROOT = Path(__file__).resolve().parents[1]


def search(*args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-X", "importtime", "-m", "pipeline.search", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize("case", ["empty folder", "missing file", "text file named .mp4"])
def test_a_bad_path_is_one_line_before_tensorflow_is_imported(case, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.mp4").write_text("not a video\n")
    query = {"empty folder": tmp_path / "empty", "missing file": tmp_path / "missing.mp4",
             "text file named .mp4": tmp_path / "notes.mp4"}[case]
    result = search(query)
    messages = [line for line in result.stderr.splitlines() if not line.startswith("import time:")]
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert result.returncode == 2 and len(messages) == 1, messages
    assert messages[0].startswith("error: search: ") and str(query.resolve()) in messages[0]
    assert "tensorflow" not in imported and "keras" not in imported


def test_a_bad_option_value_is_one_line():
    result = search("x", "--gallery", "everything")
    messages = [line for line in result.stderr.splitlines() if not line.startswith("import time:")]
    assert result.returncode == 2 and len(messages) == 1 and "--gallery" in messages[0]


def test_make_passes_every_option():
    dry = subprocess.run(["make", "-n", "search", "Q=clip.mp4", "TOP=3", "BY=visual", "GALLERY=test"], cwd=ROOT,
                         capture_output=True, text=True).stdout
    assert 'python -m pipeline.search "clip.mp4" --top 3 --by visual --gallery test' in dry


def test_every_variant_of_a_query_has_its_own_page():
    names = {page_name("data/sample/bird/bird_00.mp4", by, gallery) for by in ("audio", "visual")
             for gallery in ("all", "test")}
    assert len(names) == 4 and "bird_00_visual_test.html" in names
    assert page_name("bird/bird_00", "audio", "all") == "bird_bird_00_audio_all.html"
    a, b = Path("a/bird_00.mp4"), Path("b/bird_00.mp4")  # same name, two folders: two pages
    assert page_name(str(a), "audio", "all", a) != page_name(str(b), "audio", "all", b)
    assert page_name(str(a), "audio", "all", a).startswith("bird_00_audio_all_")
