"""Dashboards, timelines, charts and exports: reads only."""
