"""Accessibility audits with axe-core (an npm dev dependency of widget/) in the page under test.

Rules: WCAG 2.1 A and AA plus axe's best practices. A page audit reports violations as
"rule (impact): element :: why" lines, so that a failing assertion says what to fix.
"""

from __future__ import annotations

import pytest

from .conftest import ROOT

AXE = ROOT / "widget" / "node_modules" / "axe-core" / "axe.min.js"
needs_axe = pytest.mark.skipif(not AXE.is_file(), reason="needs `npm ci` in widget/ (axe-core)")


def violations(page, context: str = "document", skip: tuple[str, ...] = ()) -> list[str]:
    """The violations in `context` (a CSS selector, or the whole document), less the rules in `skip`."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async ([context, skip]) => {
            const target = context === 'document' ? document : document.querySelector(context);
            const result = await axe.run(target, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']});
            return result.violations.filter((v) => !skip.includes(v.id)).flatMap((v) => v.nodes.map((n) =>
                `${v.id} (${v.impact}): ${n.target.join(' ')} :: ${(n.any[0] || n.all[0] || n.none[0] || {}).message || v.help}`));
        }""",
        [context, list(skip)],
    )
    return found
