"""sitbreak: a webcam-free sitting-time and posture-break monitor."""

__version__ = "0.1.0"
