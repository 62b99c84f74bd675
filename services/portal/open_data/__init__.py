"""A38 open government data (政府数据开放): the datasets the platform already holds as public, as CSV and
JSON generated from the live services and cached, described by a catalogue (DCAT JSON-LD) and a
CKAN-compatible read API so that harvesters and the `ckanapi` client read them unchanged.

- catalogue.py: the datasets (pure: titles, publisher, theme, licence, frequency, columns) and the
  formats (CSV, JSON, DCAT, CKAN package dicts);
- sources.py: each dataset's rows, read from disclosure and petitions over gRPC (never a case: the
  petitions figures are aggregates of GetStatistics);
- cache.py: generated downloads kept for a while, one generation at a time per dataset;
- pages.py: the portal's pages, downloads and /api/3/action/*.
"""
