"""GitOps: policy diff against a base ref, drift classification, import."""
