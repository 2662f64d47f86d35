"""The kinds and states of imports."""

from django.db import models


class ImportKind(models.TextChoices):
    MILESTONE_SHEET = "milestone_sheet", "Milestones from a spreadsheet"
    CONTRACT_SHEET = "contract_sheet", "Contracts from a spreadsheet"
    PROGRAMME = "programme", "Milestones from a programme file"
    OCDS = "ocds", "A contract from OCDS data"
    EXTRACTION = "extraction", "Milestones read from a contract document"


class ImportStatus(models.TextChoices):
    # Uploaded and read: the preview is stored, nothing else is written yet.
    PREVIEWED = "previewed", "Previewed"
    APPLIED = "applied", "Applied"
    DISCARDED = "discarded", "Discarded"
