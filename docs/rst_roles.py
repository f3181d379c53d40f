"""A griffe extension for the API reference: Sphinx roles in docstrings become inline code.

The docstrings cross-reference in reStructuredText (:class:`~ringfence.core.commands.Sent`);
mkdocstrings renders Markdown, where a role would show as written. Each role becomes inline code
of its target (the last part with ``~``, as Sphinx shows it). Loaded by ``mkdocs.yml``; not part of
the package.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|data|attr|exc|obj|const|term|ref):`(~?)([^`]+)`")


def _code(match: re.Match[str]) -> str:
    target = match.group(2)
    return f"`{target.rsplit('.', 1)[-1] if match.group(1) else target}`"


class RstRoles(griffe.Extension):
    """Rewrite Sphinx roles as inline code in every docstring griffe loads."""

    def on_instance(self, *, node: Any, obj: griffe.Object, agent: Any, **kwargs: Any) -> None:
        """Rewrite the roles of ``obj``'s docstring."""
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(_code, obj.docstring.value)
