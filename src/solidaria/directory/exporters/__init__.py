"""Exporters of the directory: one module per format, each `write(queryset, out)`."""
