"""Adapters between the engine and the desktop: activity, notifications, session events."""
