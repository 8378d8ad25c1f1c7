"""Command line: one small module per command group; thin by rule."""
