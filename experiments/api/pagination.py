"""Pages of lists: 20 items unless the client asks for up to 100 with ``page_size``."""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class ExperimentPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100
