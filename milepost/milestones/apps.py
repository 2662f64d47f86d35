from django.apps import AppConfig


class MilestonesConfig(AppConfig):
    """What a person does with a milestone of any kind: its page, creating one, giving it up.

    It sits above the kinds (payments, performance, approvals) so that one place dispatches to
    them; the milestone row itself and its dates stay in the schedule, which every kind builds on.
    """

    name = "milepost.milestones"
    label = "milestones"
