"""texts on demand: a unit's explanation and its findings' wording may be empty until first asked for; no index the unique keys already give (store migration 0002).

Revises: 0001
Created: 2026-12-03 (issue 13's benchmark). Ingest no longer writes a unit's explanation
or its findings' six texts: they are made from the stored submission and rules when
``explain --db`` first asks for them, and kept (store/explanation.py). Texts already stored
stay as they are. The submission_id indexes of project_scores, level_scores, row_scores and
area_scores go: each table's unique key starts with submission_id and serves the same
lookups, and every index costs each of a unit's rows a write.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

TEXTS = ('title_zh', 'title_en', 'problem_zh', 'problem_en', 'improvement_zh', 'improvement_en')
INDEXED = ('project_scores', 'level_scores', 'row_scores', 'area_scores')


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.alter_column('explanation_zh', existing_type=sa.Text(), nullable=True)
        batch_op.alter_column('explanation_en', existing_type=sa.Text(), nullable=True)
    with op.batch_alter_table('findings', schema=None) as batch_op:
        for column in TEXTS:
            batch_op.alter_column(column, existing_type=sa.Text(), nullable=True)
    for table in INDEXED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_submission_id')


def downgrade() -> None:
    for table in INDEXED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f'ix_{table}_submission_id', ['submission_id'], unique=False)
    with op.batch_alter_table('findings', schema=None) as batch_op:
        for column in TEXTS:
            batch_op.alter_column(column, existing_type=sa.Text(), nullable=False)
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.alter_column('explanation_en', existing_type=sa.Text(), nullable=False)
        batch_op.alter_column('explanation_zh', existing_type=sa.Text(), nullable=False)
