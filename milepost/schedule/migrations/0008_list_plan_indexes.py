# The lists' own indexes: every milestone and the unfinished ones, in due-date order, so that a
# page of a list is read in index order and the read stops at the page (tests/test_query_plans.py).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('schedule', '0007_citation'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='milestone',
            index=models.Index(fields=['due_date', 'id', 'contract'], name='milestone_due_list_idx'),
        ),
        migrations.AddIndex(
            model_name='milestone',
            index=models.Index(condition=models.Q(models.Q(('status', 'met'), _negated=True), models.Q(('status', 'partially_met'), _negated=True), models.Q(('status', 'waived'), _negated=True), models.Q(('status', 'cancelled'), _negated=True)), fields=['due_date', 'id', 'contract'], name='milestone_unfinished_due_idx'),
        ),
    ]
