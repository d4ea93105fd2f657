"""The wire: what goes over the WebSocket to the TTS service.

``protocol`` is the sans-I/O codec (frames, JSON messages, limits) and ``client`` is the one
place that does network I/O with it; the service's error codes are ``narrator.codes``, beside
the error tree that classifies them. Nothing is imported here, so the local server can take the
codec without the client.
"""
