"""The README's Python examples run as written (in order, sharing one namespace)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The actions example uses the embedded sandbox of the current directory.
    monkeypatch.chdir(tmp_path)
    for name in ("STRIPE_API_KEY", "STRIPEKIT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert len(blocks) >= 3
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)  # our own documentation
    client = namespace["client"]
    clock = namespace["clock"]
    assert client.v1.test_helpers.test_clocks.retrieve(clock.id).status == "ready"  # type: ignore[attr-defined]
    assert (tmp_path / ".stripekit" / "sandbox.db").exists()
    namespace["stripe"].close()  # type: ignore[attr-defined]
