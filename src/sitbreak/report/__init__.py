"""Reports: the figures for a period, and one renderer per format."""
