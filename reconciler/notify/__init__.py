"""Notifications: Slack-compatible webhooks and email."""
