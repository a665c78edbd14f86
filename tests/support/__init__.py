"""Helpers shared by the tests and the benchmarks: starting and waiting for real processes
(web servers, task workers) and watching a browser page. They import nothing from Django, so
a benchmark script can use them."""
