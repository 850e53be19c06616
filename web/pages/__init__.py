"""The browser's pages: one Flask blueprint per module (views only: they fetch data through
:mod:`web.data` and build what templates show with :mod:`web.model`)."""
