"""How the cycles events read (see ``milepost.audit.sentences``)."""
