"""How the retention events read (see ``milepost.audit.sentences``)."""
