"""One exception root, so callers can catch everything sitbreak raises on purpose.

Every message is meant for a person: it names the file, line or key and says
what was expected and what was found.
"""


class SitbreakError(Exception):
    """Root of every error sitbreak raises deliberately."""


class ConfigError(SitbreakError):
    """A config file or value is invalid."""


class TraceError(SitbreakError):
    """An activity trace cannot be read."""


class StorageError(SitbreakError):
    """The database or a data file cannot be read or written."""
