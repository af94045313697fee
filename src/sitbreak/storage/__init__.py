"""Where the data lives: the SQLite store and its migrations, activity traces."""
