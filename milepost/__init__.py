"""Milepost: contract milestones that every party shares."""

__version__ = "0.1.0"
