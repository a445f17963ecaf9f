"""Encrypted media: the file format (format.py), keys (keys.py) and storage (storage.py).

See docs/encryption.md for the format byte by byte.
"""
