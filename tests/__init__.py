"""The test suite, a package so that its helpers import as ``tests.support.…``.

``pythonpath = ["."]`` in pyproject's pytest configuration puts the project root on the path,
so ``tests.support`` (and ``tests.analysis.refcase_*``) import the same way from any test,
under ``--import-mode=importlib`` and without a ``sys.path`` edit in any test file.
"""
