"""The Chat and PubSub families' tokens (``/api/chat/tokens``, ``/api/pubsub/tokens``): what a browser
client of SignalWire's realtime services authenticates with."""
