"""The admin tests look at the same small demo ISP as the demo tests."""

from tests.demo.conftest import FAST_HASHERS, demo_output, run_demo  # noqa: F401
