"""Roles to Claude Code managed settings: compile, plan, render for MDM."""
