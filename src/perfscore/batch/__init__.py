"""Many units: running the engine over many files, then ranking them into one table.

``run`` finds and scores the files (with ``--jobs``), ``progress`` shows how far it got,
``table`` ranks and compares the scored rows (pure), and ``make`` puts the two together.
Rendering the table is the output stage's (:mod:`perfscore.output.table`).
"""
