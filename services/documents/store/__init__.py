"""Reads and writes of the documents service's tables, by aggregate. Never commits: the caller owns the
transaction. Everything is re-exported here: `from services.documents import store`."""

from services.documents.store.countersigns import (  # noqa: F401
    add_countersign,
    countersign_of,
    countersigns_due_unreminded,
    countersigns_of,
    countersigns_of_many,
    countersigns_overdue,
)
from services.documents.store.deadlines import (  # noqa: F401
    countersigns_with_provisional_due,
    documents_with_provisional_handling_due,
)
from services.documents.store.documents import (  # noqa: F401
    add_document,
    briefing_series_of,
    document_of_source,
    documents_expired_unrecorded,
    documents_overdue_unannounced,
    get_document,
    issued_documents,
    issued_of_authorities,
    list_documents,
    lock_document,
    normative_filings,
)
from services.documents.store.numbers import (  # noqa: F401
    next_sequence,
)
from services.documents.store.relations import (  # noqa: F401
    Relations,
    relations_of,
)
from services.documents.store.sign_offs import (  # noqa: F401
    add_sign_off,
    new_sign_off,
    sign_offs_of,
    sign_offs_of_many,
)
