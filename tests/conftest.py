"""The test kit's fixtures, as plugins; helpers that tests import live in plain modules:
tests/factories.py (one factory per model), tests/scenarios.py (small worlds), tests/personas.py
(signing in, reading pages). No test module imports from a conftest."""

pytest_plugins = [
    "tests.fixtures.app",
    "tests.fixtures.personas",
    "tests.fixtures.smtp",
    "tests.fixtures.worker",
]
