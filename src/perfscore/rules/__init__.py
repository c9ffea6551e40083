"""Declarative finding rules: the ruleset's ``[[findings]]``, between the plugins and find.

:mod:`~perfscore.rules.expressions` is the sandbox a rule's expressions run in,
:mod:`~perfscore.rules.variables` the one table of the names each scope's rules see and how
they are filled, :mod:`~perfscore.rules.validate` checks a ruleset's rules when it loads, and
:mod:`~perfscore.rules.matches` runs them over a scored unit for :mod:`perfscore.find`.
"""
