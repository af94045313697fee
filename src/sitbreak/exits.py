"""The process exit statuses of `sitbreak` commands, in one place.

A service manager tells them apart: statuses 2-4 mean a restart cannot help
(the unit's RestartPreventExitStatus), 1 means one may. Kept in a module of
its own so the CLI, doctor and the unit writer use them without importing
the daemon.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1  # something kept failing: a restart may help
EXIT_CONFIG = 2  # bad config (or other bad input): restarting will not help
EXIT_USAGE = EXIT_CONFIG  # bad arguments, a bad trace: the same kind of failure
EXIT_NO_SOURCE = 3  # nothing to watch activity with here
EXIT_ALREADY_RUNNING = 4

#: The statuses of `sitbreak run` that a restart cannot fix, and what they mean.
NO_RESTART = {
    EXIT_CONFIG: "the configuration is invalid (`sitbreak config check`)",
    EXIT_NO_SOURCE: "no way to watch keyboard/mouse activity in this session",
    EXIT_ALREADY_RUNNING: "another sitbreak was already running",
}
