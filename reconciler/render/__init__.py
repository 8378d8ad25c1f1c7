"""Views of a Plan (and reports): text, Markdown, JSON."""
