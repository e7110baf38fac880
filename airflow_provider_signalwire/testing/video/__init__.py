"""The Video family: rooms, room tokens, sessions (members, events), recordings, conferences."""
