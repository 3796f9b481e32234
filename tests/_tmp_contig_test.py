from hypothesis import given
from hypothesis import settings as hs
from tests.test_properties import raw_text, parse_or_none, words
@hs(max_examples=1500, deadline=None, database=None)
@given(raw_text)
def test_contig(raw):
    for n in parse_or_none(raw) or []:
        for c in n.clauses:
            assert words(c.text) in words(raw), (c.number, c.text)
