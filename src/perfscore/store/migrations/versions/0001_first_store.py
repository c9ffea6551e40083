"""the first store: submissions, scores down to the row, findings, failures, the review log (store migration 0001).

Revises: nothing (the first)
Created: 2026-12-03 (issue 13). Numbers are exact decimal text, times ISO 8601 UTC text (schema.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('failed_ingests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('unit_id', sa.String(length=200), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('problems', sa.Text(), nullable=False),
    sa.Column('ingested_at', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('file_name', 'sha256', name='uq_failed_content')
    )
    op.create_table('perfscore_store',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('rulesets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('ruleset_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('version', sa.String(length=100), nullable=False),
    sa.Column('resolved', sa.Text(), nullable=False),
    sa.Column('info', sa.Text(), nullable=False),
    sa.Column('rounding', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('fingerprint')
    )
    op.create_table('submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('unit_name', sa.Text(), nullable=False),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('file_name', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('source_text', sa.Text(), nullable=False),
    sa.Column('source_format', sa.String(length=16), nullable=False),
    sa.Column('ruleset_ref', sa.Integer(), nullable=False),
    sa.Column('declared_ruleset', sa.String(length=200), nullable=False),
    sa.Column('declared_fingerprint', sa.String(length=64), nullable=True),
    sa.Column('ingested_at', sa.String(length=40), nullable=False),
    sa.Column('budget', sa.String(length=64), nullable=False),
    sa.Column('spending', sa.String(length=64), nullable=False),
    sa.Column('own_level_budget', sa.String(length=64), nullable=True),
    sa.Column('own_level_spending', sa.String(length=64), nullable=True),
    sa.Column('assessable', sa.String(length=64), nullable=False),
    sa.Column('total', sa.String(length=64), nullable=True),
    sa.Column('grade', sa.String(length=32), nullable=True),
    sa.Column('self_total', sa.String(length=64), nullable=True),
    sa.Column('points', sa.Text(), nullable=False),
    sa.Column('problems', sa.Integer(), nullable=False),
    sa.Column('warnings', sa.Integer(), nullable=False),
    sa.Column('infos', sa.Integer(), nullable=False),
    sa.Column('missing_required', sa.Text(), nullable=False),
    sa.Column('incomplete', sa.Text(), nullable=False),
    sa.Column('project_count', sa.Integer(), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('explanation_zh', sa.Text(), nullable=False),
    sa.Column('explanation_en', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['ruleset_ref'], ['rulesets.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('unit_id', 'year', 'sha256', name='uq_submission_content'),
    sa.UniqueConstraint('unit_id', 'year', 'version', name='uq_submission_version')
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_year', ['year'], unique=False)

    op.create_table('area_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('area', sa.String(length=200), nullable=False),
    sa.Column('earned', sa.String(length=64), nullable=False),
    sa.Column('possible', sa.String(length=64), nullable=False),
    sa.Column('score', sa.String(length=64), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('problems', sa.Integer(), nullable=False),
    sa.Column('warnings', sa.Integer(), nullable=False),
    sa.Column('infos', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('submission_id', 'area', name='uq_area')
    )
    with op.batch_alter_table('area_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_scores_submission_id'), ['submission_id'], unique=False)

    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.String(length=200), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('area', sa.String(length=200), nullable=True),
    sa.Column('project', sa.String(length=200), nullable=True),
    sa.Column('indicator', sa.String(length=200), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('title_zh', sa.Text(), nullable=False),
    sa.Column('title_en', sa.Text(), nullable=False),
    sa.Column('problem_zh', sa.Text(), nullable=False),
    sa.Column('problem_en', sa.Text(), nullable=False),
    sa.Column('improvement_zh', sa.Text(), nullable=False),
    sa.Column('improvement_en', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_findings_submission_id'), ['submission_id'], unique=False)

    op.create_table('project_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('area', sa.String(length=200), nullable=True),
    sa.Column('money_unit', sa.String(length=16), nullable=False),
    sa.Column('budget', sa.String(length=64), nullable=False),
    sa.Column('spending', sa.String(length=64), nullable=False),
    sa.Column('earned', sa.String(length=64), nullable=False),
    sa.Column('assessable', sa.String(length=64), nullable=False),
    sa.Column('total', sa.String(length=64), nullable=True),
    sa.Column('grade', sa.String(length=32), nullable=True),
    sa.Column('self_total', sa.String(length=64), nullable=True),
    sa.Column('policy', sa.String(length=32), nullable=False),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.Column('problems', sa.Integer(), nullable=False),
    sa.Column('warnings', sa.Integer(), nullable=False),
    sa.Column('infos', sa.Integer(), nullable=False),
    sa.Column('missing_required', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('submission_id', 'position', name='uq_project_position'),
    sa.UniqueConstraint('submission_id', 'project_id', name='uq_project')
    )
    with op.batch_alter_table('project_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_scores_submission_id'), ['submission_id'], unique=False)

    op.create_table('review_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('target', sa.Text(), nullable=True),
    sa.Column('points', sa.String(length=64), nullable=True),
    sa.Column('withdraws', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('reviewer', sa.Text(), nullable=False),
    sa.Column('created_at', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ),
    sa.ForeignKeyConstraint(['withdraws'], ['review_entries.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('withdraws')
    )
    with op.batch_alter_table('review_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_entries_submission_id'), ['submission_id'], unique=False)

    op.create_table('level_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('project_position', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=200), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('weight', sa.String(length=64), nullable=False),
    sa.Column('score', sa.String(length=64), nullable=True),
    sa.Column('assessable', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['submission_id', 'project_position'], ['project_scores.submission_id', 'project_scores.position'], name='fk_level_project'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('submission_id', 'project_position', 'level', name='uq_level')
    )
    with op.batch_alter_table('level_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_level_scores_submission_id'), ['submission_id'], unique=False)

    op.create_table('row_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('project_position', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=200), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('level1', sa.String(length=200), nullable=False),
    sa.Column('level2', sa.String(length=200), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=True),
    sa.Column('actual', sa.String(length=64), nullable=True),
    sa.Column('weight', sa.String(length=64), nullable=False),
    sa.Column('score', sa.String(length=64), nullable=False),
    sa.Column('completion', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('self_score', sa.String(length=64), nullable=True),
    sa.Column('method', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['submission_id', 'project_position'], ['project_scores.submission_id', 'project_scores.position'], name='fk_row_project'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('submission_id', 'project_position', 'indicator', name='uq_row')
    )
    with op.batch_alter_table('row_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_row_scores_submission_id'), ['submission_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('row_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_row_scores_submission_id'))

    op.drop_table('row_scores')
    with op.batch_alter_table('level_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_level_scores_submission_id'))

    op.drop_table('level_scores')
    with op.batch_alter_table('review_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_entries_submission_id'))

    op.drop_table('review_entries')
    with op.batch_alter_table('project_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_scores_submission_id'))

    op.drop_table('project_scores')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_findings_submission_id'))

    op.drop_table('findings')
    with op.batch_alter_table('area_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_area_scores_submission_id'))

    op.drop_table('area_scores')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_year')

    op.drop_table('submissions')
    op.drop_table('rulesets')
    op.drop_table('perfscore_store')
    op.drop_table('failed_ingests')
