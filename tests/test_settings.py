"""One validated settings object: every knob settable from the environment, bad values named in one
line, and README's configuration table in step with the fields."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from assistant import Settings, SettingsError
from assistant.cli import main
from assistant.settings import env_names, fields

from .helpers import ROOT


def test_environment_sets_nested_fields():
    s = Settings.from_env(
        {
            "POLICY_PORT": "8123",
            "POLICY_CHROMA_HOST": "10.0.0.5",
            "POLICY_RETRIEVAL_TOP_K": "5",
            "POLICY_TODAY": "2027-01-15",
            "POLICY_LLM_TIMEOUT": "2.5",
        }
    )
    assert (s.port, s.chroma.host, s.retrieval.top_k, s.today.isoformat(), s.llm.timeout) == (
        8123,
        "10.0.0.5",
        5,
        "2027-01-15",
        2.5,
    )


@pytest.mark.parametrize(
    "name,value",
    [
        ("POLICY_PORT", "abc"),
        ("POLICY_PORT", "70000"),
        ("POLICY_TODAY", "tomorrow"),
        ("POLICY_RETRIEVAL_FUSION", "magic"),
        ("POLICY_QUOTE_RATIO", "2"),
    ],
)
def test_a_bad_value_names_the_variable(name, value):
    with pytest.raises(SettingsError) as exc:
        Settings.from_env({name: value})
    assert str(exc.value).startswith(f"{name}={value!r}: ")


@pytest.mark.parametrize(
    "name,value",
    [("POLICY_PORT", "abc"), ("POLICY_TODAY", "tomorrow"), ("POLICY_LLM_TIMEOUT", "abc"), ("POLICY_LLM_TIMEOUT", "0")],
)
def test_the_cli_says_it_in_one_line_without_a_traceback_and_exits_2(name, value):
    result = CliRunner().invoke(main, ["ask", "--json", "第一条"], env={name: value})
    assert result.exit_code == 2
    assert f"{name}={value!r}" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_bad_today_option_exits_2_naming_it():
    result = CliRunner().invoke(main, ["ask", "--today", "2027-13-45", "第一条"])
    assert result.exit_code == 2 and "--today" in result.output and "Traceback" not in result.output


def test_with_changes_a_group_field_and_validates():
    s = Settings().with_(chroma={"port": 9000})
    assert s.chroma.port == 9000 and s.chroma.collection == Settings().chroma.collection
    with pytest.raises(SettingsError):
        Settings().with_(retrieval={"top_k": 0})


def test_readme_lists_every_setting_and_nothing_else():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\|\s*`(POLICY_[A-Z0-9_]+)`", table, re.M))
    assert listed == set(env_names())


def test_every_setting_is_described():
    assert [p for p, info in fields() if not info.description] == []
