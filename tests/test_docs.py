"""Every ```python block in README.md and docs/*.md runs, so the docs cannot drift from the code.

Blocks of one file run in order in one namespace (later blocks may use earlier names),
with the repository root as working directory.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def python_blocks(path: Path) -> list[str]:
    return FENCE.findall(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("doc", [p for p in DOC_FILES if p.exists() and python_blocks(p)],
                         ids=lambda p: p.name)
def test_doc_examples_run(doc: Path, monkeypatch):
    monkeypatch.chdir(REPO)
    namespace: dict = {"__name__": f"doc_{doc.stem}"}
    for i, block in enumerate(python_blocks(doc)):
        code = compile(block, f"{doc.name}[block {i}]", "exec")
        exec(code, namespace)  # noqa: S102 - executing our own documentation on purpose


def test_every_doc_page_is_linked_from_index():
    index = (REPO / "docs" / "index.md").read_text(encoding="utf-8")
    for page in (REPO / "docs").glob("*.md"):
        if page.name != "index.md":
            assert page.name in index, f"docs/index.md does not link {page.name}"
