"""Citation verification: every quote an answer carries must be verbatim text of what it cites."""

from __future__ import annotations

from ..records import Answer, Notice
from ..textnorm import cn_date
from .compose import GAP


class CitationVerifier:
    """Drops citations whose quote is not verbatim text of the clause (or document) they name.

    Built once per corpus: the lookup tables cost milliseconds at a thousand notices."""

    def __init__(self, notices: list[Notice]):
        self.clauses = {(n.doc_id, c.number): c.text for n in notices for c in n.clauses}
        self.documents = {
            n.doc_id: "\n".join(
                [
                    n.doc_number,
                    n.office,
                    n.title,
                    n.notice_title,
                    n.preamble,
                    n.effective,
                    n.addressees,
                    n.copies,
                    n.approval,
                    n.disclosure,
                    *n.closing,
                    cn_date(n.issued),
                    *(c.title for c in n.clauses),
                ]
            )
            for n in notices
        }
        self.by_number: dict[str, str] = {}
        for n in notices:  # a citation that names only a 文号: the main notice of that number
            self.by_number.setdefault(n.doc_number, n.doc_id)

    def __call__(self, answer: Answer) -> Answer:
        kept = []
        for cit in answer.citations:
            doc = cit.doc_id or self.by_number.get(cit.doc_number, "")
            source = self.documents.get(doc, "") if cit.clause is None else self.clauses.get((doc, cit.clause), "")
            if source and cit.quote and all(part in source for part in cit.quote.split(GAP) if part):
                kept.append(cit)
        answer.citations = kept
        return answer
