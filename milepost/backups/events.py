"""The events the backups app records; see ``milepost.audit.events``."""

from milepost.audit.events import EventType


class BackupEvent(EventType):
    """Backups taken of this installation and restored into it."""

    BACKUP_TAKEN = "backup.taken"
    BACKUP_RESTORED = "backup.restored"
