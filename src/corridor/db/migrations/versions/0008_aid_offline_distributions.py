"""aid: distributions captured offline (submission, reconciliation flags, review)

Existing distributions were all made online: no flags, nothing to review.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:28:28.643769
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("aid_distributions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("flags", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("flagged", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "recipient_reference", sa.String(length=100), nullable=False, server_default=""
            )
        )
        batch_op.add_column(sa.Column("discrepancy_movement_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("review_note", sa.Text(), nullable=False, server_default=""))
        batch_op.create_unique_constraint(
            batch_op.f("uq_aid_distributions_submission_id"), ["submission_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_aid_distributions_reviewed_by_id_users"),
            "users",
            ["reviewed_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_aid_distributions_discrepancy_movement_id_aid_movements"),
            "aid_movements",
            ["discrepancy_movement_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_aid_distributions_submission_id_submissions"),
            "submissions",
            ["submission_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("aid_distributions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_aid_distributions_submission_id_submissions"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_aid_distributions_discrepancy_movement_id_aid_movements"),
            type_="foreignkey",
        )
        batch_op.drop_constraint(
            batch_op.f("fk_aid_distributions_reviewed_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_aid_distributions_submission_id"), type_="unique")
        batch_op.drop_column("review_note")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewed_by_id")
        batch_op.drop_column("discrepancy_movement_id")
        batch_op.drop_column("recipient_reference")
        batch_op.drop_column("flagged")
        batch_op.drop_column("flags")
        batch_op.drop_column("submission_id")
