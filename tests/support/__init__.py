"""Helpers shared by the tests and the benchmark scripts; no test lives here.

* :mod:`tests.support.formclient` - inline questionnaires, an HTML form parser and a
  respondent that fills pages in through the Flask test client;
* :mod:`tests.support.liveserver` - ``surveykit serve`` (or gunicorn) on 127.0.0.1 and a
  raw-HTTP client for it;
* :mod:`tests.support.soak` - the kill -9 soak and steady-load runs with their checks;
* :mod:`tests.support.seckit` - the security tests' seeded data and request transports;
* :mod:`tests.support.pgschema` - a throwaway PostgreSQL schema per test or run;
* :mod:`tests.support.browser` - Chromium's launch, a phone's context, the page checks, an app on a port.

Tests import them as ``tests.support.…`` (pyproject's ``pythonpath = ["."]``); the scripts
in ``benchmarks/`` put the project root on their path and import the same modules.
"""
