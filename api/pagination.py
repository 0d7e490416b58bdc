"""The pagination every list uses (settings.NINJA_PAGINATION_CLASS)."""

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination as NinjaPageNumberPagination

# With at most NINJA_MAX_PER_PAGE_SIZE (100) items a page, a hundred million items: far past any
# real list, far below the 64-bit OFFSET PostgreSQL (and SQLite) accept.
MAX_PAGE = 1_000_000


class PageNumberPagination(NinjaPageNumberPagination):
    """Ninja's page-number pagination with the page number bounded: `?page=` beyond MAX_PAGE is a
    422 naming `page` (it overflowed the database's OFFSET: a 500), and the bound is in the schema.
    A page past the last one is an empty page with the true `count`."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, description="at most 100; larger asks get 100")
