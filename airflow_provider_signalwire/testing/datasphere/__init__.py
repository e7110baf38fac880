"""The Datasphere family: documents fetched from loopback URLs, their chunks, a lexical search."""
