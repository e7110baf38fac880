"""The Voice family: Compatibility API Calls (and their entries in the voice logs)."""
