"""Transfers: SignalWire data into storage (``logs.SignalWireLogsToStorageOperator``)."""
