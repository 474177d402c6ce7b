"""Time a fresh encoding of all ESCO occupations into a temporary cache, then the cached load.

Run: ``.venv/bin/python benchmarks/bench_embeddings.py [--model NAME]`` (about a minute and a
half on two CPU cores for the default model).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

from matcher import embeddings as emb  # noqa: E402
from matcher.taxonomy import load_taxonomy  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="embedding model (default: settings.embedding_model)")
    args = parser.parse_args()
    model_name = emb.resolve_model_name(args.model)
    taxonomy = load_taxonomy()

    start = time.perf_counter()
    emb.load_model(model_name)
    load_s = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        fresh = emb.build_occupation_embeddings(taxonomy, model_name, directory=Path(tmp))
        fresh_s = time.perf_counter() - start
        path = emb.cache_path(model_name, taxonomy.version, Path(tmp))
        size_mb = path.stat().st_size / 1e6

        start = time.perf_counter()
        cached = emb.build_occupation_embeddings(taxonomy, model_name, directory=Path(tmp))
        cached_s = time.perf_counter() - start

    agreement = float(np.einsum("ij,ij->i", fresh.matrix, cached.matrix).min())
    print(f"model              {model_name} (torch threads: {__import__('torch').get_num_threads()})")
    print(f"occupations        {len(taxonomy)} x {fresh.dim}")
    print(f"model load         {load_s:7.2f} s")
    print(f"fresh encoding     {fresh_s:7.2f} s  ({len(taxonomy) / fresh_s:.0f} occupations/s), cache {size_mb:.2f} MB")
    print(f"cached load        {cached_s:7.3f} s  (min cosine fresh vs cached {agreement:.6f})")


if __name__ == "__main__":
    main()
