"""The running monitor: its loop, its one-time wiring, the control socket, sd_notify."""
