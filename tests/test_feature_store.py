import h5py
import numpy as np
import pytest

from extract.community import import_community_file
from extract.feature_store import FeatureFileError, read_features, write_features
from tests.synthetic_data import synthetic_features


def small_features(seed=0):
    return synthetic_features(
        {"train": 60, "val": 20, "test": 30}, n_classes=3, audio_dim=8, visual_dim=12, seed=seed
    )


def write_community(path, n_train=100, n_test=40, n_classes=4, onehot=True, audio_dim=128, visual_dim=1024):
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        for split, n in (("train", n_train), ("test", n_test)):
            labels = np.arange(n) % n_classes
            f["audio_" + split] = rng.standard_normal((n, audio_dim)).astype(np.float32)
            f["visual_" + split] = rng.standard_normal((n, visual_dim)).astype(np.float32)
            f["lab_" + split] = np.eye(n_classes)[labels] if onehot else labels
    return path


def test_round_trip_keeps_every_row_with_its_id_and_attributes(tmp_path):
    fs = small_features()
    write_features(fs, tmp_path / "f.h5", seed=0)
    back = read_features(tmp_path / "f.h5", audio_dim=8, visual_dim=12)
    for name, split in fs.splits.items():
        stored = back.splits[name]
        assert sorted(stored.ids) == sorted(split.ids)
        row_of = {clip: i for i, clip in enumerate(split.ids)}
        order = [row_of[clip] for clip in stored.ids]  # rows moved, each with its own id
        np.testing.assert_array_equal(stored.audio, split.audio[order])
        np.testing.assert_array_equal(stored.visual, split.visual[order])
        np.testing.assert_array_equal(stored.labels, split.labels[order])
    assert back.class_names == fs.class_names
    assert back.backbone == fs.backbone and back.provenance["seed"] == 0
    assert not (tmp_path / "f.h5.tmp").exists()


def test_community_import_carves_a_stratified_seeded_val_split(tmp_path):
    path = write_community(tmp_path / "vegas.h5")
    a = import_community_file(path, val_fraction=0.2, seed=1)
    b = import_community_file(path, val_fraction=0.2, seed=1)
    assert len(a.splits["val"]) == 20 and len(a.splits["train"]) == 80 and len(a.splits["test"]) == 40
    assert np.bincount(a.splits["val"].labels).tolist() == [5, 5, 5, 5]
    assert set(a.splits["val"].ids).isdisjoint(a.splits["train"].ids)
    assert list(a.splits["val"].ids) == list(b.splits["val"].ids)
    c = import_community_file(path, val_fraction=0.2, seed=2)
    assert list(a.splits["val"].ids) != list(c.splits["val"].ids)
    assert a.provenance["val_carved_from_train"] == {"fraction": 0.2, "seed": 1}


def test_community_file_with_integer_labels(tmp_path):
    path = write_community(tmp_path / "ave.h5", onehot=False)
    fs = import_community_file(path, 0.1, 0)
    assert fs.n_classes == 4 and fs.splits["test"].labels.dtype == np.int64


def test_read_requires_a_val_split(tmp_path):
    path = write_community(tmp_path / "c.h5")
    with pytest.raises(FeatureFileError, match="no validation split"):
        read_features(path)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (
            lambda f: f.__setitem__("bad", 0) or _replace(f, "audio_train", np.ones((100, 64), np.float32)),
            "64 dimensions, but data.audio_dim in params.yaml says 128",
        ),
        (lambda f: _replace(f, "visual_test", np.full((40, 1024), np.nan, np.float32)), "NaN"),
        (lambda f: _replace(f, "lab_test", np.arange(40) - 1), "negative label"),
        (lambda f: _replace(f, "visual_train", np.ones((99, 1024), np.float32)), "99 rows"),
        (lambda f: _replace(f, "audio_train", np.ones((100, 128), np.int32)), "floats"),
        (lambda f: f.__delitem__("lab_test"), "lacks dataset"),
    ],
)
def test_bad_community_files_give_one_clear_error(tmp_path, mutate, message):
    path = write_community(tmp_path / "bad.h5", onehot=False)
    with h5py.File(path, "a") as f:
        mutate(f)
    with pytest.raises(FeatureFileError, match=message):
        import_community_file(path, 0.1, 0, audio_dim=128, visual_dim=1024)


def _replace(f, key, value):
    del f[key]
    f[key] = value


def test_missing_and_non_hdf5_files(tmp_path):
    with pytest.raises(FeatureFileError, match="not found"):
        import_community_file(tmp_path / "nope.h5", 0.1, 0)
    junk = tmp_path / "junk.h5"
    junk.write_text("not hdf5")
    with pytest.raises(FeatureFileError, match="not a readable HDF5"):
        read_features(junk)


def test_class_too_small_to_carve(tmp_path):
    path = write_community(tmp_path / "tiny.h5", n_train=5, n_classes=5, onehot=False)
    with pytest.raises(FeatureFileError, match="need 2"):
        import_community_file(path, 0.2, 0)


def _grouped_by_class(labels):
    return int((np.diff(labels) != 0).sum()) == len(np.unique(labels)) - 1


def test_every_split_is_stored_in_a_seeded_random_order_not_by_class(tmp_path):
    fs = small_features()
    for split in fs.splits.values():  # hand the writer class-sorted splits
        order = np.argsort(split.labels, kind="stable")
        split.audio, split.visual, split.labels, split.ids = (
            split.audio[order],
            split.visual[order],
            split.labels[order],
            split.ids[order],
        )
        assert _grouped_by_class(split.labels)
    write_features(fs, tmp_path / "a.h5", seed=0)
    write_features(fs, tmp_path / "b.h5", seed=0)
    write_features(fs, tmp_path / "c.h5", seed=1)
    a, b, c = (read_features(tmp_path / f"{x}.h5") for x in "abc")
    for name in fs.splits:
        assert not _grouped_by_class(a.splits[name].labels)
        assert list(a.splits[name].ids) == list(b.splits[name].ids)
        assert list(a.splits[name].ids) != list(c.splits[name].ids)


def test_imported_community_file_is_stored_shuffled(tmp_path):
    path = write_community(tmp_path / "vegas.h5")  # labels stored as 0, 1, 2, 0, 1, 2, ... in the source
    fs = import_community_file(path, val_fraction=0.2, seed=1)
    write_features(fs, tmp_path / "features.h5", seed=1)
    stored = read_features(tmp_path / "features.h5")
    for name, split in stored.splits.items():
        assert not _grouped_by_class(split.labels)
        assert not np.array_equal(split.labels, fs.splits[name].labels)


def test_community_file_in_the_wild_imports_cleanly(tmp_path, capsys):
    rng = np.random.default_rng(0)
    path = tmp_path / "wild.h5"
    with h5py.File(path, "w") as f:
        for split, n in (("train", 40), ("valid", 12), ("test", 20)):
            labels = 1 + np.arange(n) % 3  # 1-based, as MATLAB writes them
            f["audio_" + split] = rng.standard_normal((n, 8)).astype(np.float32)
            f["visual_" + split] = rng.standard_normal((n, 12)).astype(np.float32)
            f["lab_" + split] = labels
        f.attrs["class_names"] = np.array([b"dog", b"drum", b"siren"])  # h5py's natural way to store a list
    fs = import_community_file(path, 0.2, 0)
    assert fs.class_names == ["dog", "drum", "siren"]
    assert len(fs.splits["val"]) == 12  # the file's *_valid split, not a carve
    assert sorted(np.unique(fs.splits["train"].labels)) == [0, 1, 2]
    assert "1-based" in capsys.readouterr().out
    assert fs.backbone == "community file (backbone not recorded)"


@pytest.mark.parametrize(
    "names", ['["a", "b", "c"]', b'["a", "b", "c"]', np.array(["a", "b", "c"], dtype=h5py.string_dtype())]
)
def test_class_names_as_json_string_bytes_or_string_array(tmp_path, names):
    path = write_community(tmp_path / "f.h5", n_classes=3)
    with h5py.File(path, "a") as f:
        f.attrs["class_names"] = names
    assert import_community_file(path, 0.2, 0).class_names == ["a", "b", "c"]


def test_a_file_whose_train_and_test_share_ids_is_refused(tmp_path):
    path = write_community(tmp_path / "f.h5")
    with h5py.File(path, "a") as f:
        f["ids_train"] = np.array([f"yt{i}" for i in range(len(f["lab_train"]))], dtype=object).astype("S")
        f["ids_test"] = np.array([f"yt{i}" for i in range(len(f["lab_test"]))], dtype=object).astype("S")
    with pytest.raises(FeatureFileError, match="in both train and test"):
        import_community_file(path, 0.2, 0)
