"""Helpers that start and wait for real processes (web servers, task workers), shared by the
tests and the benchmarks. They import nothing from Django, so a benchmark script can use them."""
