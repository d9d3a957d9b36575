"""Validation: the model checked against queueing theory, Little's law, limits that
must hold, replicate and warm-up analysis, and the patterns of CONCEPTS.md.

``python -m simulation.validation`` regenerates every table and figure of
docs/validation.md; the tests in tests/validation/test_validation.py call the same functions.
"""
