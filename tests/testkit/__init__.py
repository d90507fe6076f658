"""Helpers the tests import (on pytest's pythonpath): the raw-CSV oracle and the stand-in server."""
