"""The fake space's fax family: Compatibility API Faxes and their media."""
