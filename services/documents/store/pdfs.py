"""Issued documents' PDFs (版式文件), kept once rendered."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import models


async def pdf_of(session: AsyncSession, document_id) -> models.DocumentPdf | None:
    return await session.get(models.DocumentPdf, document_id)


async def keep_pdf(session: AsyncSession, document_id, pdf: bytes, file_name: str) -> bytes:
    """Store the PDF unless one is there (two renders of the same page raced: the first stays); the
    PDF kept, so every download gives the same bytes."""
    inserted = await session.scalar(
        insert(models.DocumentPdf)
        .values(document_id=document_id, pdf=pdf, file_name=file_name)
        .on_conflict_do_nothing()
        .returning(models.DocumentPdf.document_id)
    )
    if inserted is not None:
        return pdf
    return await session.scalar(
        select(models.DocumentPdf.pdf).where(models.DocumentPdf.document_id == document_id)
    )
