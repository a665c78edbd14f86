"""The JSON API, version 1 (``/api/v1/``): what the pages' scripts and other programs use."""
