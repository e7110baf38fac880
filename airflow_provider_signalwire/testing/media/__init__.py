"""The stored media of the Compatibility API: call recordings, their transcriptions, message media."""
