"""seatctl: seat and role policy for Claude organizations, kept as code."""

__version__ = "0.1.0"
