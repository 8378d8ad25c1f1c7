"""Policy as code: strict YAML loading, JSON Schema, semantic rules, compile to a Policy."""
