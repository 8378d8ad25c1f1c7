"""The sandbox org: an emulated Admin API that the official SDKs talk to unchanged."""
