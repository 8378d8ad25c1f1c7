"""Usage: analytics sync, store, reports, alerts, chargeback, dashboard, proposals."""
