"""Output stage: the renderings of what the stages before it produced.

``result`` writes one evaluated unit (score table, explanation, score JSON), ``report`` a
built report (Markdown, text, JSON), ``table`` a batch table (grid, CSV, JSON, Markdown).
Numbers reach text only through :mod:`perfscore.numbers`, words only through the catalogue.
"""
