"""Pure data types shared by every layer of s3-enricher.

Nothing here performs I/O or imports a vendor SDK: ``classifiers`` and ``worker`` both depend
on these types, never the other way round.
"""

from models.findings import ColumnFinding, EntityFinding, Evidence, LabelScore
from models.labels import PII_ENTITIES
from models.objects import ObjectInfo, ObjectRef
from models.results import EnrichmentResult, ErrorInfo, ObjectStatus
from models.samples import ColumnSample, SamplingInfo, TableSample

__all__ = [
    "PII_ENTITIES",
    "ColumnFinding",
    "ColumnSample",
    "EnrichmentResult",
    "EntityFinding",
    "ErrorInfo",
    "Evidence",
    "LabelScore",
    "ObjectInfo",
    "ObjectRef",
    "ObjectStatus",
    "SamplingInfo",
    "TableSample",
]
