"""The Logs family: voice, messaging, fax, video and conference logs (seeded, plus what the
other families contribute through ``Backend.log_entries``)."""
