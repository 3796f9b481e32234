"""Citation verification: every quote an answer carries must be verbatim text of what it cites."""

from __future__ import annotations

from ..records import Answer, Notice
from ..textnorm import cn_date
from .compose import GAP


class CitationVerifier:
    """Drops citations whose quote is not verbatim text of the clause (or document) they name.

    Built once per corpus: the lookup tables cost milliseconds at a thousand notices."""

    def __init__(self, notices: list[Notice]):
        self.clauses = {(n.doc_number, c.number): c.text for n in notices for c in n.clauses}
        self.documents = {
            n.doc_number: "\n".join(
                [
                    n.doc_number,
                    n.office,
                    n.title,
                    n.preamble,
                    n.effective,
                    cn_date(n.issued),
                    *(c.title for c in n.clauses),
                ]
            )
            for n in notices
        }

    def __call__(self, answer: Answer) -> Answer:
        kept = []
        for cit in answer.citations:
            source = (
                self.documents.get(cit.doc_number, "")
                if cit.clause is None
                else self.clauses.get((cit.doc_number, cit.clause), "")
            )
            if source and cit.quote and all(part in source for part in cit.quote.split(GAP) if part):
                kept.append(cit)
        answer.citations = kept
        return answer
