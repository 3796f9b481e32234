"""Gradio web front end: a thin shell over ``Assistant.ask`` (chat, citation panel, browse, feedback).

    python ui.py [--host 127.0.0.1] [--port 7860] [--today YYYY-MM-DD]

Everything about the notice (title, 文号, dates, clauses, units) comes from ``Assistant.notices``;
the only content in this file is the fixed UI wording (Chinese / English). Starter questions live in
ui_examples.json next to this file. Nothing is loaded from outside the machine: analytics are off,
fonts are system fonts, and the app never creates a share link.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import html
import json
import logging
import re
import threading
import uuid
from datetime import date
from pathlib import Path

import gradio as gr

from assistant.answer import GAP, cn_date
from assistant.assistant import Assistant, InvalidQuestion
from assistant.config import Settings
from assistant.corpus import int_to_cn, load_notices
from assistant.feedback import append_jsonl, feedback_record
from assistant.records import Citation, Clause, Notice

log = logging.getLogger("policy_ui")
ROOT = Path(__file__).resolve().parent
EXAMPLES_FILE = ROOT / "ui_examples.json"
LANGS = {"中文": "zh", "English": "en"}
MAX_COMMENT_CHARS = 2000  # a feedback comment longer than this is cut before it is logged

# Fixed UI wording. {placeholders} are filled from the parsed notice, never written here.
TEXT = {
    "zh": {
        "title": "## 西安市工业政策助手",
        "subtitle": "答复均摘自通知原文，并注明条款、文号和责任单位。",
        "tab_chat": "政策问答", "tab_browse": "浏览全部措施",
        "chat_label": "对话", "placeholder": "请输入问题，例如：园区招商方面有什么措施？",
        "input_label": "您的问题", "send": "发送", "busy_btn": "检索中…", "new_chat": "新对话",
        "copy": "复制回答", "copied": "已复制回答。", "nothing_to_copy": "还没有可复制的回答。",
        "busy": "正在检索条款，请稍候…", "thinking": "正在检索条款…",
        "too_long": "问题太长（{n} 字），请精简到 {max} 字以内后再发送。",
        "invalid": "无法处理这个问题：{msg}", "error": "出错了，请稍后重试。",
        "cite_label": "引用条款（点击切换）", "cite_empty": "提问后，这里显示所引用条款的全文，引用的句子会高亮标出。",
        "cite_doc": "通知整体信息", "doc_number": "文号", "issued": "印发日期", "valid_until": "有效期至",
        "office": "发文机关", "units": "责任单位", "units_text": "原文写法：", "clause_text": "条款全文",
        "unit_label": "按责任单位筛选", "all_units": "全部责任单位", "unit_count": "{unit}（{n} 条）",
        "keyword_label": "关键词", "keyword_placeholder": "例如：用地、金融、审批",
        "browse_count": "共 {shown} 条措施（全文 {total} 条）", "browse_none": "没有符合条件的措施。",
        "col_no": "条款", "col_title": "措施", "col_units": "责任单位", "show_text": "查看原文",
        "in_force": "<span class=\"badge\">现行有效</span>《{title}》（{doc}）有效期至 <b>{until}</b>，还有 {days} 天到期（今天：{today}）。",
        "expired": "<span class=\"badge\">已失效</span>《{title}》（{doc}）有效期至 <b>{until}</b>，截至今天（{today}）已过期 {days} 天。"
                   "以下答复仅供参考，请向责任单位确认现行政策。",
        "no_expiry": "《{title}》（{doc}）未写明有效期。",
        "feedback_thanks": "已记录您的评价：{rating}。可以补充说明（可选）：",
        "comment_label": "补充说明（可选，请勿填写个人信息）", "comment_submit": "提交说明",
        "comment_saved": "感谢反馈，已记录。", "examples_hint": "点击示例直接提问：",
        "lang_label": "界面语言", "up": "有帮助", "down": "没有帮助",
    },
    "en": {
        "title": "## Xi'an Industrial Policy Assistant",
        "subtitle": "Every answer quotes the notice verbatim, with clause, document number and responsible units.",
        "tab_chat": "Ask", "tab_browse": "Browse all measures",
        "chat_label": "Conversation", "placeholder": "Ask a question, e.g. What land support is there for factories?",
        "input_label": "Your question", "send": "Send", "busy_btn": "Searching…", "new_chat": "New conversation",
        "copy": "Copy answer", "copied": "Answer copied.", "nothing_to_copy": "No answer to copy yet.",
        "busy": "Looking up the clauses…", "thinking": "Looking up the clauses…",
        "too_long": "The question is too long ({n} characters); please shorten it to {max} characters or fewer.",
        "invalid": "Cannot process this question: {msg}", "error": "Something went wrong; please try again.",
        "cite_label": "Cited clauses (click to switch)",
        "cite_empty": "After you ask, the full text of the cited clause appears here with the quoted sentences "
                      "highlighted.",
        "cite_doc": "The notice as a whole", "doc_number": "Document No.", "issued": "Issued",
        "valid_until": "Valid until", "office": "Issued by", "units": "Responsible units",
        "units_text": "As written: ", "clause_text": "Full text",
        "unit_label": "Filter by responsible unit", "all_units": "All units", "unit_count": "{unit} ({n})",
        "keyword_label": "Keyword", "keyword_placeholder": "e.g. 用地, 金融, 审批",
        "browse_count": "{shown} of {total} measures", "browse_none": "No measure matches.",
        "col_no": "Clause", "col_title": "Measure", "col_units": "Responsible units", "show_text": "Show text",
        "in_force": "<span class=\"badge\">In force</span> {doc} ({title}) is valid until <b>{until}</b>, {days} day(s) left (today: {today}).",
        "expired": "<span class=\"badge\">Expired</span> {doc} ({title}) was valid until <b>{until}</b> and expired {days} day(s) ago "
                   "(today: {today}). Answers are for reference only; check the current policy with the "
                   "responsible units.",
        "no_expiry": "{doc} ({title}) states no expiry date.",
        "feedback_thanks": "Your rating is recorded: {rating}. Add a comment (optional):",
        "comment_label": "Comment (optional; please leave out personal data)", "comment_submit": "Send comment",
        "comment_saved": "Thank you, your feedback is recorded.", "examples_hint": "Click an example to ask it:",
        "lang_label": "Language", "up": "helpful", "down": "not helpful",
    },
}


def t(lang: str, key: str, **kw) -> str:
    s = TEXT.get(lang, TEXT["zh"])[key]
    return s.format(**kw) if kw else s


def fmt_date(d: date, lang: str) -> str:
    return cn_date(d) if lang == "zh" else d.isoformat()


# --- safe display of what users type ---------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~=:$])")


def escape_user(text: str) -> str:
    """Show user text literally in a Markdown chat bubble: no HTML, no Markdown structure."""
    return html.escape(_MD_SPECIAL.sub(r"\\\1", text), quote=False)


def status_html(text: str, kind: str) -> str:
    """A status line under the input box (kind: busy | warn | ok); the text is escaped."""
    return f'<div class="status status-{kind}" role="status">{html.escape(text)}</div>'


def md_answer(text: str) -> str:
    """The answer as Markdown: end each "> " quote block with a blank line, so the citation and
    责任单位 lines after it are not pulled into the quote (Markdown's lazy continuation)."""
    return re.sub(r"(?m)^(>[^\n]*)\n(?=[^>\n])", "\\1\n\n", text)


def plain_answer(text: str) -> str:
    """Answer text for the clipboard: the Markdown quote markers removed."""
    return re.sub(r"(?m)^> ?", "", text)


# --- rendering: banner, citation panel, browse table (pure functions of the parsed notices) ------
def banner_html(notices: list[Notice], today: date, lang: str) -> str:
    rows = []
    for n in notices:
        args = {"title": html.escape(n.title), "doc": html.escape(n.doc_number), "today": fmt_date(today, lang)}
        if not n.valid_until:
            rows.append(f'<div class="banner banner-unknown">{t(lang, "no_expiry", **args)}</div>')
            continue
        days = (n.valid_until - today).days
        args["until"] = fmt_date(n.valid_until, lang)
        if days >= 0:
            rows.append(f'<div class="banner banner-ok">{t(lang, "in_force", days=days, **args)}</div>')
        else:
            rows.append(f'<div class="banner banner-expired" role="alert">'
                        f'{t(lang, "expired", days=-days, **args)}</div>')
    return "".join(rows)


def highlight(text: str, quote: str) -> str:
    """HTML-escape ``text`` and wrap each passage of ``quote`` (joined by ……) in <mark>."""
    spans: list[tuple[int, int]] = []
    start = 0
    for part in (p.strip() for p in quote.split(GAP)):
        if not part:
            continue
        i = text.find(part, start)
        if i < 0:
            i = text.find(part)
        if i >= 0:
            spans.append((i, i + len(part)))
            start = i + len(part)
    out, pos = [], 0
    for a, b in sorted(spans):
        a = max(a, pos)
        if a >= b:
            continue
        out += [html.escape(text[pos:a]), "<mark>", html.escape(text[a:b]), "</mark>"]
        pos = b
    out.append(html.escape(text[pos:]))
    return "".join(out)


def citation_label(c: Citation, lang: str) -> str:
    if c.clause is None:
        return f"《{c.title}》"
    return f"第{int_to_cn(c.clause)}条 {c.title}" if lang == "zh" else f"Measure {c.clause}: {c.title}"


def _find(notices: list[Notice], c: Citation) -> tuple[Notice | None, Clause | None]:
    n = next((x for x in notices if x.doc_number == c.doc_number), None)
    return n, (n.clause(c.clause) if n and c.clause is not None else None)


def _meta_rows(n: Notice, lang: str, quote: str = "") -> str:
    items = [("doc_number", n.doc_number), ("issued", fmt_date(n.issued, lang) if n.issued else ""),
             ("valid_until", fmt_date(n.valid_until, lang) if n.valid_until else ""), ("office", n.office)]
    cells = "".join(f"<span><b>{t(lang, k)}</b> {highlight(v, quote)}</span>" for k, v in items if v)
    return f'<div class="cite-meta">{cells}</div>'


def unit_chips(units: list[str] | tuple[str, ...], mark: str = "") -> str:
    return "".join(f'<span class="unit{" unit-hit" if u == mark else ""}">{html.escape(u)}</span>' for u in units)


def citation_panel_html(notices: list[Notice], c: Citation | None, lang: str) -> str:
    """The full text of the cited clause with the quoted sentences highlighted, units, 文号 and dates."""
    if c is None:
        return f'<div class="cite-panel cite-empty">{t(lang, "cite_empty")}</div>'
    n, clause = _find(notices, c)
    if n is None:
        return f'<div class="cite-panel"><blockquote>{html.escape(c.quote)}</blockquote></div>'
    if clause is None:  # a document-level fact: title, 文号, dates, preamble / effective sentence
        body = "".join(f"<p>{highlight(x, c.quote)}</p>" for x in (n.preamble, n.effective) if x)
        return (f'<div class="cite-panel"><div class="cite-head">《{html.escape(n.title)}》</div>'
                f'{_meta_rows(n, lang, c.quote)}<div class="cite-text">{body}</div>'
                + (f'<div class="cite-units"><b>{t(lang, "units")}</b> {unit_chips(c.units)}</div>'
                   if c.units else "") + "</div>")
    head = f"第{int_to_cn(clause.number)}条 {clause.title}"
    text = f"{int_to_cn(clause.number)}、" + highlight(clause.text, c.quote)
    return (f'<div class="cite-panel"><div class="cite-head">{html.escape(head)}</div>'
            f'<div class="cite-source">《{html.escape(n.title)}》</div>{_meta_rows(n, lang)}'
            f'<div class="cite-text" lang="zh">{text}</div>'
            f'<div class="cite-units"><b>{t(lang, "units")}</b> {unit_chips(clause.units)}'
            f'<div class="units-text">{t(lang, "units_text")}{html.escape(clause.units_text)}</div></div></div>')


def unit_choices(notices: list[Notice], lang: str) -> list[tuple[str, str]]:
    """Responsible units in the order the notices first name them, with how many measures each has."""
    counts: dict[str, int] = {}
    for n in notices:
        for c in n.clauses:
            for u in c.units:
                counts[u] = counts.get(u, 0) + 1
    return [(t(lang, "all_units"), "")] + [(t(lang, "unit_count", unit=u, n=k), u) for u, k in counts.items()]


def _mark_keyword(text: str, keyword: str) -> str:
    if not keyword:
        return html.escape(text)
    parts = re.split(f"({re.escape(keyword)})", text, flags=re.IGNORECASE)
    return "".join(f"<mark>{html.escape(p)}</mark>" if i % 2 else html.escape(p) for i, p in enumerate(parts))


def browse_html(notices: list[Notice], unit: str | None, keyword: str | None, lang: str) -> str:
    """All measures as a table, filtered by responsible unit and keyword (case-insensitive substring)."""
    unit, keyword = unit or "", (keyword or "").strip()
    total = sum(len(n.clauses) for n in notices)
    rows, shown = [], 0
    for n in notices:
        for c in n.clauses:
            if unit and unit not in c.units:
                continue
            if keyword and keyword.lower() not in f"{c.text}{c.units_text}".lower():
                continue
            shown += 1
            rows.append(
                f'<tr class="measure" data-clause="{c.number}"><td class="no">第{int_to_cn(c.number)}条</td>'
                f'<td><div class="m-title">{_mark_keyword(c.title, keyword)}</div>'
                f'<details><summary>{t(lang, "show_text")}</summary>'
                f'<div class="m-text">{_mark_keyword(c.text, keyword)}</div></details></td>'
                f'<td class="units">{unit_chips(c.units, unit)}</td></tr>')
    head = (f'<thead><tr><th>{t(lang, "col_no")}</th><th>{t(lang, "col_title")}</th>'
            f'<th>{t(lang, "col_units")}</th></tr></thead>')
    sources = "".join(f'<div class="cite-source">《{html.escape(n.title)}》（{html.escape(n.doc_number)}）</div>'
                      for n in notices)
    count = t(lang, "browse_count", shown=shown, total=total)
    table = (f'<table class="browse">{head}<tbody>{"".join(rows)}</tbody></table>' if rows
             else f'<p class="browse-none">{t(lang, "browse_none")}</p>')
    return f'<div class="browse-wrap">{sources}<div class="browse-count">{count}</div>{table}</div>'


def load_examples(path: Path = EXAMPLES_FILE) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        log.warning("no starter questions: cannot read %s", path)
        return {}


# --- conversation state ---------------------------------------------------------------------------
def new_conversation() -> dict:
    """Per-browser-session state. ``answers[k]`` belongs to chat message 2k+1. Feedback records carry the id
    "<conversation>-<answer number>": a later record with the same id (new rating, comment) supersedes."""
    return {"id": None, "history": [], "answers": [], "selected": None, "feedback": None}


def chat_messages(conv: dict) -> list[dict]:
    out = []
    for a in conv["answers"]:
        out += [{"role": "user", "content": escape_user(a["question"])},
                {"role": "assistant", "content": md_answer(a["text"])}]
    return out


def answer_record(question: str, answer) -> dict:
    return {"question": question, "text": answer.text, "refused": answer.refused, "kind": answer.kind,
            "lang": answer.lang, "citations": [c.to_json() for c in answer.citations]}


def citations_of(conv: dict) -> list[Citation]:
    k = conv.get("selected")
    if k is None or k >= len(conv["answers"]):
        return []
    return [Citation(**c) for c in conv["answers"][k]["citations"]]


CSS = """
.banner { padding: 10px 14px; border-radius: 8px; font-size: 15px; margin: 2px 0; }
.banner-ok { background: #ecfdf3; border: 1px solid #86efac; color: #14532d; }
.banner-expired { background: #fef2f2; border: 2px solid #dc2626; color: #7f1d1d; font-weight: 600; }
.banner .badge { display: inline-block; font-weight: 700; border-radius: 4px; padding: 0 8px; margin-right: 8px;
                 color: #fff; background: #15803d; }
.banner-expired .badge { background: #dc2626; }
.banner-unknown { background: #fffbeb; border: 1px solid #fcd34d; color: #78350f; }
.cite-panel { font-size: 15px; line-height: 1.75; }
.cite-panel.cite-empty { color: #6b7280; padding: 8px 2px; }
.cite-head { font-size: 17px; font-weight: 700; margin-bottom: 2px; }
.cite-source { color: #4b5563; font-size: 13px; }
.cite-meta { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 13px; color: #374151; margin: 6px 0 10px; }
.cite-text { background: #f9fafb; border-left: 4px solid #3b82f6; padding: 8px 12px; border-radius: 4px; }
.cite-text p { margin: 0 0 8px; }
.cite-panel mark, .browse mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.cite-units { margin-top: 10px; }
.units-text { font-size: 12px; color: #6b7280; margin-top: 4px; }
.unit { display: inline-block; background: #eff6ff; color: #1e3a8a; border: 1px solid #bfdbfe; border-radius: 999px;
        padding: 0 8px; margin: 2px 3px; font-size: 13px; white-space: nowrap; }
.unit.unit-hit { background: #1d4ed8; color: #fff; border-color: #1d4ed8; }
table.browse { width: 100%; border-collapse: collapse; font-size: 14px; }
table.browse th, table.browse td { border-bottom: 1px solid #e5e7eb; padding: 8px 6px; text-align: left;
                                   vertical-align: top; }
table.browse td.no { white-space: nowrap; font-weight: 600; }
.m-title { font-weight: 600; }
.m-text { margin-top: 6px; line-height: 1.7; color: #374151; }
.browse-count { margin: 6px 0; color: #374151; }
#chat .message-buttons-right { display: none; }  /* no copy button on the user's own (escaped) messages */
.status { padding: 6px 10px; border-radius: 6px; font-size: 14px; }
.status-warn { background: #fef2f2; color: #991b1b; border: 1px solid #fca5a5; font-weight: 600; }
.status-ok { background: #f0fdf4; color: #166534; }
.status-busy { background: #eff6ff; color: #1e40af; }
.status-busy::before { content: ""; display: inline-block; width: 10px; height: 10px; margin-right: 8px;
                       border: 2px solid #93c5fd; border-top-color: #1d4ed8; border-radius: 50%;
                       animation: spin 0.8s linear infinite; }
@keyframes spin { to { transform: rotate(360deg); } }
"""

COPY_JS = """
(text, lang) => {
  const s = text || "";
  if (s) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(s).catch(() => {});
    } else {
      const ta = document.createElement("textarea");
      ta.value = s; ta.style.position = "fixed"; ta.style.opacity = "0";
      document.body.appendChild(ta); ta.select(); document.execCommand("copy"); ta.remove();
    }
  }
  return [text, lang];
}
"""


# --- the Assistant, started in the background --------------------------------------------------------
class Backend:
    """Builds (and warms up) the Assistant in a background thread, so the page can load meanwhile.

    The page needs only the parsed notices, which the core's own parser gives in about a millisecond; a
    question waits until the Assistant is ready (the busy state shows meanwhile). If the Assistant cannot be
    built the process exits, as it would if it were built before serving."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.notices: list[Notice] = load_notices(settings.corpus_dir)
        self._assistant: Assistant | None = None
        self._ready = threading.Event()
        threading.Thread(target=self._start, name="assistant-start", daemon=True).start()

    def _start(self) -> None:
        try:
            a = Assistant(self.settings)
        except Exception:
            log.critical("the assistant could not start", exc_info=True)
            os._exit(1)
        if a.notices != self.notices:
            log.warning("the corpus changed while starting; the page shows the notices as first parsed")
        try:  # answer one question so that the first user does not pay for lazy initialisation
            a.warm_up()
        except Exception:
            log.exception("warm-up failed")
        self._assistant = a
        self._ready.set()
        log.info("assistant ready")

    def assistant(self) -> Assistant:
        self._ready.wait()
        assert self._assistant is not None
        return self._assistant

    def today(self) -> date:
        return self.settings.clock()


# --- the app --------------------------------------------------------------------------------------
def build_app(backend: Backend, examples: dict | None = None) -> gr.Blocks:
    notices = backend.notices
    examples = load_examples() if examples is None else examples
    log_path = backend.settings.feedback_log
    max_chars = backend.settings.max_question_chars

    with gr.Blocks(title="西安市工业政策助手 · Policy Assistant", analytics_enabled=False) as app:
        conv = gr.State(new_conversation())
        lang = gr.State("zh")
        with gr.Row(equal_height=True):
            with gr.Column(scale=5):
                header = gr.Markdown(f'{t("zh", "title")}\n{t("zh", "subtitle")}', elem_id="header")
            lang_pick = gr.Radio(list(LANGS), value="中文", label=t("zh", "lang_label"), show_label=False,
                                 container=False, scale=0, min_width=220, elem_id="lang")
        banner = gr.HTML(banner_html(notices, backend.today(), "zh"), elem_id="validity-banner")
        with gr.Tabs():
            with gr.Tab(t("zh", "tab_chat"), id="chat-tab") as chat_tab:
                with gr.Row():
                    with gr.Column(scale=3, min_width=420):
                        chatbot = gr.Chatbot(
                            label=t("zh", "chat_label"), elem_id="chat", height=470, layout="bubble",
                            buttons=["copy"], feedback_options=("Like", "Dislike"), show_label=False,
                            sanitize_html=True, render_markdown=True, allow_tags=False, latex_delimiters=[],
                            group_consecutive_messages=False, autoscroll=True)
                        with gr.Row(equal_height=True):
                            question = gr.Textbox(label=t("zh", "input_label"), placeholder=t("zh", "placeholder"),
                                                  lines=1, max_lines=6, scale=5, elem_id="question", autofocus=True)
                            send = gr.Button(t("zh", "send"), variant="primary", scale=1, min_width=90,
                                             elem_id="send")
                        status = gr.HTML("", elem_id="status")
                        with gr.Row():
                            new_chat = gr.Button(t("zh", "new_chat"), size="sm", elem_id="new-chat")
                            copy = gr.Button(t("zh", "copy"), size="sm", elem_id="copy-answer")
                        answer_plain = gr.Textbox(visible="hidden", elem_id="answer-plain")
                        with gr.Group(visible=False, elem_id="feedback-box") as fb_box:
                            fb_note = gr.Markdown("", elem_id="feedback-note")
                            with gr.Row(equal_height=True):
                                comment = gr.Textbox(label=t("zh", "comment_label"), lines=1, scale=5,
                                                     elem_id="feedback-comment")
                                comment_send = gr.Button(t("zh", "comment_submit"), scale=1, min_width=90,
                                                         elem_id="feedback-send")
                    with gr.Column(scale=2, min_width=320):
                        cite_pick = gr.Radio([], label=t("zh", "cite_label"), elem_id="cite-pick", type="value")
                        panel = gr.HTML(citation_panel_html(notices, None, "zh"), elem_id="cite-panel",
                                        js_on_load=None)
                ex_hint = gr.Markdown(t("zh", "examples_hint"))
                ex_sets = []
                with gr.Row():
                    for key, group in examples.items():
                        ds = gr.Dataset(components=[gr.Textbox(visible=False)], label=group["label"]["zh"],
                                        samples=[[q] for q in group["questions"]], samples_per_page=20,
                                        elem_id=f"examples-{key}", min_width=320)
                        ex_sets.append((ds, group))
            with gr.Tab(t("zh", "tab_browse"), id="browse-tab") as browse_tab:
                with gr.Row():
                    unit = gr.Dropdown(unit_choices(notices, "zh"), value="", label=t("zh", "unit_label"),
                                       elem_id="unit-filter", scale=2)
                    keyword = gr.Textbox(label=t("zh", "keyword_label"), placeholder=t("zh", "keyword_placeholder"),
                                         elem_id="keyword-filter", scale=2)
                table = gr.HTML(browse_html(notices, "", "", "zh"), elem_id="browse-table", js_on_load=None)

        # --- handlers (each returns {component: new value}; components left out stay as they are) ----
        def show_answer(conv_v: dict, lang_v: str, index: int | None = 0) -> dict:
            """Citation buttons, clause panel and clipboard text for the selected answer."""
            cites = citations_of(conv_v)
            index = index if index is not None and 0 <= index < len(cites) else (0 if cites else None)
            k = conv_v.get("selected")
            return {
                cite_pick: gr.update(choices=[(citation_label(c, lang_v), i) for i, c in enumerate(cites)],
                                     value=index, label=t(lang_v, "cite_label")),
                panel: citation_panel_html(notices, cites[index] if index is not None else None, lang_v),
                answer_plain: plain_answer(conv_v["answers"][k]["text"]) if k is not None else "",
            }

        def controls(lang_v: str, busy: bool) -> dict:
            return {send: gr.update(interactive=not busy, value=t(lang_v, "busy_btn" if busy else "send")),
                    new_chat: gr.update(interactive=not busy)}

        def respond(q: str, conv_v: dict, lang_v: str):
            q = q or ""
            if not q.strip():
                yield controls(lang_v, busy=False)
                return
            if len(q) > max_chars:  # keep the text so the user can shorten it
                yield {status: status_html(t(lang_v, "too_long", n=len(q), max=max_chars), "warn"),
                       **controls(lang_v, busy=False)}
                return
            shown = chat_messages(conv_v) + [{"role": "user", "content": escape_user(q)},
                                             {"role": "assistant", "content": t(lang_v, "thinking")}]
            yield {chatbot: shown, question: "", status: status_html(t(lang_v, "busy"), "busy"),
                   **controls(lang_v, busy=True)}
            try:
                a = backend.assistant()
                for text, answer in a.ask_stream(q, conv_v["history"]):  # Assistant.ask is thread-safe
                    if answer is None:  # a streaming generator: show the text so far
                        shown[-1] = {"role": "assistant", "content": md_answer(text)}
                        yield {chatbot: shown}
            except InvalidQuestion as exc:
                yield {chatbot: chat_messages(conv_v), question: q, **controls(lang_v, busy=False),
                       status: status_html(t(lang_v, "invalid", msg=str(exc)), "warn")}
                return
            except Exception:
                log.exception("failed to answer a question")
                yield {chatbot: chat_messages(conv_v), question: q, **controls(lang_v, busy=False),
                       status: status_html(t(lang_v, "error"), "warn")}
                return
            log.info("answered (%s, %.0f ms)", answer.kind, answer.timings_ms.get("total", 0.0))
            conv_v["history"] += [{"role": "user", "content": q}, {"role": "assistant", "content": answer.text}]
            conv_v["answers"].append(answer_record(q, answer))
            conv_v["id"] = conv_v["id"] or uuid.uuid4().hex[:12]  # per conversation (gr.State copies the initial value)
            conv_v["selected"] = len(conv_v["answers"]) - 1
            yield {chatbot: chat_messages(conv_v), status: "", conv: conv_v, **show_answer(conv_v, lang_v),
                   **controls(lang_v, busy=False)}

        def pick_citation(index: int | None, conv_v: dict, lang_v: str):
            return show_answer(conv_v, lang_v, index)[panel]

        def select_message(conv_v: dict, lang_v: str, evt: gr.SelectData) -> dict:
            k = evt.index // 2 if isinstance(evt.index, int) else None
            if k is None or k >= len(conv_v["answers"]):
                return {}
            conv_v["selected"] = k
            return {conv: conv_v, **show_answer(conv_v, lang_v)}

        def reset(lang_v: str) -> dict:
            fresh = new_conversation()
            return {conv: fresh, chatbot: [], question: "", status: "", fb_box: gr.update(visible=False),
                    comment: "", **show_answer(fresh, lang_v)}

        def log_feedback(conv_v: dict, text: str) -> None:
            p = conv_v["feedback"]
            rec = conv_v["answers"][p["answer"]]
            append_jsonl(log_path, feedback_record(
                question=rec["question"], answer=rec["text"], rating=p["rating"], comment=text,
                citations=[{"clause": c["clause"], "title": c["title"], "doc_number": c["doc_number"]}
                           for c in rec["citations"]],
                feedback_id=f'{conv_v["id"]}-{p["answer"] + 1}', lang=rec["lang"], kind=rec["kind"]))

        def rate(conv_v: dict, lang_v: str, evt: gr.LikeData) -> dict:
            index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
            k = index // 2 if isinstance(index, int) else None
            if k is None or k >= len(conv_v["answers"]):
                return {}
            rating = {True: "up", False: "down", "": "cleared"}.get(evt.liked, str(evt.liked))
            conv_v["feedback"] = {"answer": k, "rating": rating}
            log_feedback(conv_v, "")
            if rating == "cleared":
                return {conv: conv_v, fb_box: gr.update(visible=False)}
            return {conv: conv_v, fb_box: gr.update(visible=True), comment: "",
                    fb_note: t(lang_v, "feedback_thanks", rating=t(lang_v, rating) if rating in ("up", "down")
                               else rating)}

        def send_comment(text: str, conv_v: dict, lang_v: str) -> dict:
            if not conv_v.get("feedback"):
                return {}
            if (text or "").strip():
                log_feedback(conv_v, text[:MAX_COMMENT_CHARS])
            conv_v["feedback"] = None
            return {conv: conv_v, fb_box: gr.update(visible=False), comment: "",
                    status: status_html(t(lang_v, "comment_saved"), "ok")}

        def copied(text: str, lang_v: str) -> str:
            return status_html(t(lang_v, "copied"), "ok") if text else status_html(t(lang_v, "nothing_to_copy"), "warn")

        def switch_language(choice: str, conv_v: dict, unit_v: str, keyword_v: str, cite_v: int | None) -> dict:
            L = LANGS.get(choice, "zh")
            return {
                lang: L, header: f'{t(L, "title")}\n{t(L, "subtitle")}', banner: banner_html(notices, backend.today(), L),
                chat_tab: gr.update(label=t(L, "tab_chat")), browse_tab: gr.update(label=t(L, "tab_browse")),
                chatbot: gr.update(label=t(L, "chat_label")),
                question: gr.update(label=t(L, "input_label"), placeholder=t(L, "placeholder")),
                send: gr.update(value=t(L, "send")), new_chat: gr.update(value=t(L, "new_chat")),
                copy: gr.update(value=t(L, "copy")), comment: gr.update(label=t(L, "comment_label")),
                comment_send: gr.update(value=t(L, "comment_submit")), ex_hint: t(L, "examples_hint"),
                unit: gr.update(choices=unit_choices(notices, L), value=unit_v, label=t(L, "unit_label")),
                keyword: gr.update(label=t(L, "keyword_label"), placeholder=t(L, "keyword_placeholder")),
                table: browse_html(notices, unit_v, keyword_v, L),
                **{ds: gr.update(label=group["label"][L]) for ds, group in ex_sets},
                **show_answer(conv_v, L, cite_v),
            }

        # --- wiring -----------------------------------------------------------------------------
        private = {"api_visibility": "private"}
        chat_io = {"fn": respond, "inputs": [question, conv, lang], "show_progress": "minimal", **private,
                   "outputs": [chatbot, question, status, conv, cite_pick, panel, answer_plain, send, new_chat]}
        gr.on([question.submit, send.click], **chat_io)  # one listener: a second trigger while busy is ignored
        for ds, _ in ex_sets:  # clicking a starter question asks it
            ds.click(lambda sample: sample[0], [ds], [question], queue=False, **private).then(**chat_io)
        cite_pick.input(pick_citation, [cite_pick, conv, lang], [panel], **private)
        chatbot.select(select_message, [conv, lang], [conv, cite_pick, panel, answer_plain], **private)
        for trigger in (new_chat.click, chatbot.clear):  # the chat's own 🗑 button starts over as well
            trigger(reset, [lang], [conv, chatbot, question, status, fb_box, comment, cite_pick, panel, answer_plain],
                    **private)
        chatbot.like(rate, [conv, lang], [conv, fb_box, fb_note, comment], **private)
        for trigger in (comment_send.click, comment.submit):
            trigger(send_comment, [comment, conv, lang], [conv, fb_box, comment, status], **private)
        copy.click(copied, [answer_plain, lang], [status], js=COPY_JS, **private)
        for trigger in (unit.change, keyword.change):
            trigger(lambda u, k, L: browse_html(notices, u, k, L), [unit, keyword, lang], [table],
                    show_progress="hidden", **private)
        lang_pick.change(switch_language, [lang_pick, conv, unit, keyword, cite_pick],
                         [lang, header, banner, chat_tab, browse_tab, chatbot, question, send, new_chat, copy,
                          comment, comment_send, ex_hint, unit, keyword, table, cite_pick, panel, answer_plain]
                         + [ds for ds, _ in ex_sets], **private)
        # The clock is read on every page load, so a server left running past the expiry date switches the banner.
        app.load(lambda L: banner_html(notices, backend.today(), L), [lang], [banner], show_progress="hidden", **private)
    return app


def main(argv: list[str] | None = None) -> None:
    settings = Settings.from_env()
    p = argparse.ArgumentParser(description="Serve the policy assistant web UI (Gradio).")
    p.add_argument("--host", default=settings.host, help=f"interface to bind (default {settings.host})")
    p.add_argument("--port", type=int, default=settings.port, help=f"port (default {settings.port})")
    p.add_argument("--today", type=date.fromisoformat, default=None,
                   help="judge validity as of this date (YYYY-MM-DD); default: POLICY_TODAY or today")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "bm25s", "chromadb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args.today:
        settings = settings.with_(today=args.today)
    app = build_app(Backend(settings))
    theme = gr.themes.Default(
        font=["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "ui-sans-serif",
              "system-ui", "sans-serif"],
        font_mono=["Noto Sans Mono CJK SC", "ui-monospace", "Consolas", "monospace"])
    app.queue(default_concurrency_limit=4).launch(
        server_name=args.host, server_port=args.port, share=False, inbrowser=False, show_error=False,
        theme=theme, css=CSS, footer_links=["settings"], ssr_mode=False, quiet=False)


if __name__ == "__main__":
    main()
