"""Issued documents' PDFs (版式文件), kept once rendered."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import models


async def pdf_of(session: AsyncSession, document_id) -> models.DocumentPdf | None:
    return await session.get(models.DocumentPdf, document_id)


# Built once: the page's bytes go as a parameter, not through a statement built per PDF.
_KEEP = (
    insert(models.DocumentPdf)
    .values(document_id=bindparam("document_id"), pdf=bindparam("pdf"), file_name=bindparam("file_name"))
    .on_conflict_do_nothing()
    .returning(models.DocumentPdf.document_id)
)


async def keep_pdf(session: AsyncSession, document_id, pdf: bytes, file_name: str) -> bytes:
    """Store the PDF unless one is there (two renders of the same page raced: the first stays); the
    PDF kept, so every download gives the same bytes."""
    inserted = await session.scalar(_KEEP, {"document_id": document_id, "pdf": pdf, "file_name": file_name})
    if inserted is not None:
        return pdf
    return await session.scalar(
        select(models.DocumentPdf.pdf).where(models.DocumentPdf.document_id == document_id)
    )
