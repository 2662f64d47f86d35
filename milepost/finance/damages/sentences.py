"""How the damages events read (see ``milepost.audit.sentences``)."""
