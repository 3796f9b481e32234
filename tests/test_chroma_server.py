"""Server mode: the same assistant against a real `chroma run` server on 127.0.0.1."""

from __future__ import annotations

import pytest

from assistant import Assistant, Settings


@pytest.mark.slow
def test_assistant_builds_and_answers_through_a_chroma_server(chroma_server, tmp_path):
    s = Settings().with_(chroma={"host": "127.0.0.1", "port": chroma_server}, index_dir=tmp_path / "local")
    first = Assistant(s)
    assert first.built
    assert first.ask("企业扩产缺资金，政府的产业基金能不能投？").citations[0].clause == 9
    again = Assistant(s)
    assert not again.built  # the manifest lives in the server's collection metadata
    assert not (tmp_path / "local" / "chroma").exists()  # nothing was written to a local store
