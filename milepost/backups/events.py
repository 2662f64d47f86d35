"""The events the backups app records; see ``milepost.audit.events``."""

from milepost.audit.events import EventType
from milepost.audit.sentences import Told, sentence


class BackupEvent(EventType):
    """Backups taken of this installation and restored into it."""

    BACKUP_TAKEN = "backup.taken"
    BACKUP_RESTORED = "backup.restored"


# --- how each event reads (see ``milepost.audit.sentences``) ---------------------------------


def _contents(e: Told) -> str:
    events = e.count(int(e.after("audit_events") or 0), "audit event")
    files = e.count(int(e.after("evidence_files") or 0), "evidence file")
    return f"{events} and {files}"


@sentence(BackupEvent.BACKUP_TAKEN)
def _taken(e: Told) -> str:
    return f"{e.actor} took a backup on {e.date(e.after('taken_at'))}, holding {_contents(e)}."


@sentence(BackupEvent.BACKUP_RESTORED)
def _restored(e: Told) -> str:
    return (
        f"{e.actor} restored the backup taken on {e.date(e.after('taken_at'))}, "
        f"holding {_contents(e)}."
    )
