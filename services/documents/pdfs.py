"""Issued documents' PDFs (版式文件): rendered once after issue and kept, so a download is a read.

`IssueDocument` hands the document to a `PdfKeeper` after its transaction commits; the keeper
renders one document at a time in a renderer process of its own (GB/T 9704, shared.gbt9704: pure
Python, it would hold the interpreter's lock and slow every call of the service if it ran in a
thread) and stores the bytes (table document_pdf), with no transaction open while it renders.
Issuing never waits for the page. `RenderDocument` reads the kept PDF; one not kept yet (the keeper
still busy, the process restarted before it got there, a document issued before the table existed)
is rendered then and kept.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import date

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from zgov.documents.v1 import documents_pb2 as pb

from services.documents.acts.common import document_reply
from services.documents.layout import layout_of
from services.documents.store.pdfs import keep_pdf, pdf_of
from shared.db import transaction
from shared.gbt9704 import Layout, render_pdf

log = structlog.get_logger(__name__)
_RENDERER: ProcessPoolExecutor | None = None


# The renderer yields the CPU to the service's calls (its work waits; a call does not): nice 10.
RENDERER_NICENESS = 10


def _renderer() -> ProcessPoolExecutor:
    """One renderer process per service process (spawned: a fork would copy gRPC's threads), started on
    the first issue; it parses the faces once and keeps them, at a lower CPU priority than the calls."""
    global _RENDERER
    if _RENDERER is None:
        _RENDERER = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=os.nice,
            initargs=(RENDERER_NICENESS,),
        )
    return _RENDERER


def _render_in_renderer(layout: Layout) -> tuple[bytes, str]:
    """In the renderer process: the PDF, or no bytes and why (an exception might not cross back)."""
    try:
        return render_pdf(layout), ""
    except Exception as exc:  # noqa: BLE001 - said back to the keeper, which logs it
        return b"", f"{type(exc).__name__}: {exc}"


async def render_and_keep(session: AsyncSession, row, today: date) -> tuple[bytes, str]:
    """The PDF of an issued document (row locked or not) and its file name, rendered and kept."""
    document = await document_reply(session, row, today, with_history=False)
    file_name = f"{row.document_number}.pdf"
    pdf = await asyncio.to_thread(render_pdf, layout_of(document))
    return await keep_pdf(session, row.id, pdf, file_name), file_name


async def kept_pdf(session: AsyncSession, document_id: uuid.UUID) -> tuple[bytes, str] | None:
    kept = await pdf_of(session, document_id)
    return (kept.pdf, kept.file_name) if kept is not None else None


# At most this many PDFs kept in one transaction (a burst of issues leaves a queue behind the renderer).
KEPT_TOGETHER = 20


class PdfKeeper:
    """Renders issued documents in the background, one at a time, in the order they were issued,
    from the issuing act's reply (what the page shows was fixed at issue): no read of its own."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], today: Callable[[], date]) -> None:
        self.sessions = sessions
        self.today = today
        self._queue: asyncio.Queue[pb.Document] = asyncio.Queue()
        self._worker: asyncio.Task | None = None

    def issued(self, document: pb.Document) -> None:
        self._queue.put_nowait(document)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(), name="documents:pdf-keeper")

    async def drained(self) -> None:
        """Every document handed over so far is kept (tests and benches wait on it)."""
        await self._queue.join()

    async def _work(self) -> None:
        while True:
            # the documents issued meanwhile too: rendered one by one, kept in one transaction
            documents = [await self._queue.get()]
            while len(documents) < KEPT_TOGETHER and not self._queue.empty():
                documents.append(self._queue.get_nowait())
            try:
                await self._keep(documents)
            except Exception as exc:  # the download renders them instead: nothing is lost
                log.warning("issued documents' PDFs not kept", documents=len(documents), error=str(exc))
            finally:
                for _ in documents:
                    self._queue.task_done()

    async def _keep(self, documents: list[pb.Document]) -> None:
        loop = asyncio.get_running_loop()
        pages = []
        for document in documents:
            pdf, failure = await loop.run_in_executor(_renderer(), _render_in_renderer, layout_of(document))
            if failure:  # this one is rendered on its first download instead
                log.warning("issued document's PDF not rendered", document_id=document.id, error=failure)
                continue
            pages.append((uuid.UUID(document.id), pdf, f"{document.document_number}.pdf"))
        async with transaction(self.sessions) as session:  # a download that rendered one first stays
            for document_id, pdf, file_name in pages:
                await keep_pdf(session, document_id, pdf, file_name)
