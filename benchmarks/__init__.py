"""Benchmarks of omsclient against its alternatives: ``python -m benchmarks --help``."""
