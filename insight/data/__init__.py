"""Load and validate exports into the data contract.

    from insight.data import load
    ds = load("data/sample")                                  # canonical file names
    ds = load("exports/", mapping="examples/mappings/olist.yml")
    ds.report.to_dict(); ds.report.quarantined                # what was kept and set aside
"""
from insight.data.loader import load
from insight.data.mapping import Mapping, read_mapping
from insight.data.report import DataError, TableReport, ValidationReport

__all__ = ["load", "DataError", "ValidationReport", "TableReport", "Mapping", "read_mapping"]
