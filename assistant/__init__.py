"""policy-assistant: cited, offline answers about government policy notices.

The public API (what shells, the evaluation harness and integrators import):

    from assistant import Assistant, Settings
    answer = Assistant(Settings.from_env()).ask("第三条说了啥？", history=[])
"""

from importlib.metadata import PackageNotFoundError, version

from .assistant import Assistant
from .corpus import clause_spans, load_notices, parse_notice
from .errors import CorpusError, InvalidQuestion, NotReady, PolicyError, SettingsError
from .records import Answer, Citation, Clause, Hit, Kind, Notice, Query
from .service import Service
from .settings import Settings
from .textnorm import cn_date, cn_to_int, half_width, int_to_cn, is_chinese

try:
    __version__ = version("policy-assistant")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "Answer",
    "Assistant",
    "Citation",
    "Clause",
    "CorpusError",
    "Hit",
    "InvalidQuestion",
    "Kind",
    "NotReady",
    "Notice",
    "PolicyError",
    "Query",
    "Service",
    "Settings",
    "SettingsError",
    "__version__",
    "clause_spans",
    "cn_date",
    "cn_to_int",
    "half_width",
    "int_to_cn",
    "is_chinese",
    "load_notices",
    "parse_notice",
]
