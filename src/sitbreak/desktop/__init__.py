"""What the desktop tells sitbreak and what sitbreak shows on it.

Activity sources (one module each, chosen by `activity`), lock and sleep
signals, calls, videos, do-not-disturb, and the notifier. Each sits behind a
small protocol so the daemon can be tested with doubles.
"""
