"""Score stage: a validated submission and its ruleset → indicator, level, project and unit scores.

``weights`` derives and apportions weights, ``methods`` holds the scoring methods rows are
scored by, ``status`` a row's status, ``score`` the scoring itself and ``explain`` the words
that explain every point. It imports load's models, never a later stage.
"""
