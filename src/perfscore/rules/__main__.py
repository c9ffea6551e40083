"""``python -m perfscore.rules``: print docs/plugins.md's list of rule variables.

The list is made from :data:`perfscore.rules.variables.SCOPES`, the table the rules run on;
paste the output over the list between its markers in docs/plugins.md (a test compares them).
"""

from __future__ import annotations

from perfscore.rules.variables import markdown

print(markdown(), end="")
