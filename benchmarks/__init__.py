"""Benchmarks of the book's build, the library's training and the test suite: ``python -m benchmarks``.

Every figure is a ratio against a floor measured in the same run, because the machines this
project runs on are shared and their absolute times drift. Numerator and floor are measured
interleaved, several times, and compared by their medians. Nothing here is a test: speed is
measured here and reported in a table, never asserted in ``tests/``.
"""
