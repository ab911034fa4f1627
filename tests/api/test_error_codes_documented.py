"""Every code a service refuses with is in docs/errors.md: integrators branch on them (the README sends them there)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import quita

ROOT = Path(quita.__file__).parent
REFUSALS = {"DomainError", "ValidationFailed", "NotFound", "PermissionDenied", "Conflict"}


def _raised_codes() -> dict[str, str]:
    """code → the first file raising it, from each `ValidationFailed(…, code="…")` and its siblings in the sources."""
    found: dict[str, str] = {}
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in REFUSALS:
                continue
            for keyword in node.keywords:
                if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                    found.setdefault(keyword.value.value, str(path.relative_to(ROOT)))
    return found


def test_every_refusal_code_is_documented():
    rows = re.findall(r"^\|.*$", (ROOT.parents[1] / "docs" / "errors.md").read_text(encoding="utf-8"), re.M)
    documented = {code for row in rows for code in re.findall(r"`([a-z0-9_]+)`", row)}
    raised = _raised_codes()
    assert len(raised) > 90  # the scan sees the services
    assert {code: where for code, where in raised.items() if code not in documented} == {}
