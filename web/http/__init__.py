"""HTTP concerns shared by every page: security headers and error pages, caching (ETags,
compression), representation formats and request parameters."""
