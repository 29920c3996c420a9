"""The documentation stays true: every hook is documented, the quick start runs."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from omnicontact import hookspecs

DOCS = Path(__file__).resolve().parents[1] / "docs"
PYTHON_BLOCK_RE = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def hookspec_names() -> list[str]:
    """Return the names of the functions marked as hook specifications."""
    return sorted(
        name
        for name, obj in vars(hookspecs).items()
        if inspect.isfunction(obj) and hasattr(obj, "omnicontact_spec")
    )


def python_blocks(page: str) -> list[str]:
    """Return the ```python code blocks of a docs page, in order."""
    return PYTHON_BLOCK_RE.findall((DOCS / page).read_text(encoding="utf-8"))


QUICKSTART_BLOCKS = python_blocks("quickstart.md")


class TestDocs:
    def test_hookspecs_are_found(self) -> None:
        """The meta-tests below see every hook specification."""
        assert set(hookspec_names()) >= {
            "contact_merged",
            "contact_split",
            "register_identifier_kinds",
            "touchpoint_rejected",
        }

    @pytest.mark.parametrize("name", hookspec_names())
    def test_every_hook_has_a_section(self, name: str) -> None:
        """docs/plugins.md has a '## name(' or '### name(' section for every hook."""
        text = (DOCS / "plugins.md").read_text(encoding="utf-8")
        assert re.search(rf"^#{{2,3}} {re.escape(name)}\(", text, re.MULTILINE), name

    @pytest.mark.parametrize("name", hookspec_names())
    def test_every_hook_has_a_reference_docstring(self, name: str) -> None:
        """Every hookspec's docstring documents its parameters or return value."""
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert ":param" in doc or ":returns:" in doc, name

    def test_quickstart_has_code(self) -> None:
        """docs/quickstart.md holds python code blocks to run."""
        assert QUICKSTART_BLOCKS

    @pytest.mark.parametrize(
        "code", QUICKSTART_BLOCKS, ids=[f"block{i}" for i in range(len(QUICKSTART_BLOCKS))]
    )
    def test_quickstart_block_runs(self, code: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """Each python block of docs/quickstart.md runs on its own, without installed plug-ins."""
        monkeypatch.setenv("OMNICONTACT_DISABLE_PLUGIN_AUTOLOAD", "1")
        exec(compile(code, "docs/quickstart.md", "exec"), {"__name__": "__docs__"})


EXAMPLE_RE = re.compile(
    r"^```python\n(.*?)^```\n(?:\n*```text\n(.*?)^```)?", re.DOTALL | re.MULTILINE
)
EXAMPLE_PAGES = (
    "matching.md",
    "plugins.md",
    "concepts.md",
    "quickstart.md",
    "storage.md",
    "adapters.md",
)


def examples() -> list[tuple[str, int, str, str | None]]:
    """Return ``(page, number, code, expected output or None)`` for every python block."""
    out = []
    for page in EXAMPLE_PAGES:
        text = (DOCS / page).read_text(encoding="utf-8")
        for number, match in enumerate(EXAMPLE_RE.finditer(text)):
            out.append((page, number, match.group(1), match.group(2)))
    return out


class TestExamples:
    @pytest.mark.parametrize(
        ("page", "number", "code", "expected"),
        examples(),
        ids=[f"{page}-{number}" for page, number, _, _ in examples()],
    )
    def test_example_runs_and_prints_what_the_page_shows(
        self,
        page: str,
        number: int,
        code: str,
        expected: str | None,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Each python block runs on its own and prints the text block shown below it."""
        monkeypatch.setenv("OMNICONTACT_DISABLE_PLUGIN_AUTOLOAD", "1")
        exec(compile(code, f"docs/{page}", "exec"), {"__name__": "__docs__"})
        printed = capsys.readouterr().out
        if expected is not None:  # a block without output shown must still run without error
            assert printed.strip() == expected.strip(), f"docs/{page} block {number}"


def test_the_sms_tutorial_example_prints_what_the_page_shows(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SMS package section of plugin-tutorial.md runs from the repository root."""
    text = (DOCS / "plugin-tutorial.md").read_text(encoding="utf-8")
    section = text[text.index("## A channel adapter package: omnicontact-sms") :]
    blocks = EXAMPLE_RE.findall(section)
    assert blocks
    monkeypatch.chdir(DOCS.parent)
    monkeypatch.syspath_prepend(str(DOCS.parent / "examples" / "omnicontact-sms" / "src"))
    for code, expected in blocks:
        exec(compile(code, "docs/plugin-tutorial.md", "exec"), {"__name__": "__docs__"})
        printed = capsys.readouterr().out
        if expected:
            assert printed.strip() == expected.strip()


SCRIPT_PAGES = ("lifecycle.md", "scoring.md", "analytics.md", "privacy.md", "world.md")
"""Pages whose python blocks run in order as one script (one namespace)."""


@pytest.mark.parametrize("page", SCRIPT_PAGES)
def test_script_pages_print_what_they_show(
    page: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each block of the page runs after the ones before it and prints its text block."""
    monkeypatch.setenv("OMNICONTACT_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.chdir(DOCS.parent)
    blocks = EXAMPLE_RE.findall((DOCS / page).read_text(encoding="utf-8"))
    assert blocks
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for number, (code, expected) in enumerate(blocks):
        exec(compile(code, f"docs/{page}", "exec"), namespace)
        printed = capsys.readouterr().out
        if expected:
            assert printed.strip() == expected.strip(), f"docs/{page} block {number}"
