"""The Messaging family: Compatibility API Messages (and their entries in the messaging logs)."""
