"""Benchmarks of training, its sharded forms, the book's build and its pages: ``python -m benchmarks``.

Every figure is a ratio against a floor measured in the same run, because the machines this
project runs on are shared and their absolute times drift. Nothing here is a test: speed is
measured here and reported in a table, never asserted in ``tests/``.
"""
