"""Development scripts (run from the repository root)."""
