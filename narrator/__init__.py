"""narrator: long documents to audiobooks through the Oris Voice real-time TTS API."""

__version__ = "0.1.0"
