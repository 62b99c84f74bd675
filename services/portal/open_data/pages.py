"""政府数据开放 (A38) on the portal: the catalogue page, a page per dataset with a preview, CSV and JSON
downloads, the catalogue as DCAT JSON-LD, and a CKAN-compatible read API (/api/3/action/package_list,
package_show, package_search) for harvesters and the `ckanapi` client."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from services.portal.backends import BackendError
from services.portal.open_data import catalogue
from services.portal.open_data.cache import DownloadCache, Generated
from services.portal.open_data.sources import SOURCES
from services.portal.web import PageError, Portal, PortalDep, VisitorDep, render, unavailable

router = APIRouter(include_in_schema=False)
PREVIEW_ROWS = 20
MAX_ROWS_PER_CKAN_PAGE = 1000


def _cache(portal: Portal) -> DownloadCache:
    cache = getattr(portal, "_open_data_cache", None)
    if cache is None:
        cache = DownloadCache(portal.settings.open_data_cache_seconds)
        portal._open_data_cache = cache  # one per process, made on first use
    return cache


def _base(portal: Portal) -> str:
    return portal.settings.public_url.rstrip("/")


def _dataset(name: str) -> catalogue.Dataset:
    dataset = catalogue.BY_NAME.get(name)
    if dataset is None:
        raise PageError(404, "数据集不存在", "请从政府数据开放目录进入。")
    return dataset


async def generated(portal: Portal, dataset: catalogue.Dataset) -> Generated:
    try:
        return await _cache(portal).get(
            dataset, lambda: SOURCES[dataset.name](portal.backends, _base(portal))
        )
    except BackendError as error:
        raise unavailable(error) from None


def _modified(portal: Portal) -> dict:
    return {d.name: _cache(portal).modified(d.name) for d in catalogue.DATASETS}


@router.get("/open-data", response_class=HTMLResponse)
async def index(portal: PortalDep, visitor: VisitorDep):
    return render(
        portal,
        visitor,
        "open_data/index.html",
        datasets=catalogue.DATASETS,
        frequencies=catalogue.FREQUENCIES,
        licence=catalogue.LICENCE,
        publisher=catalogue.PUBLISHER,
        column_name="政府数据开放",
    )


@router.get("/open-data/catalog.jsonld")
async def dcat(portal: PortalDep):
    return JSONResponse(
        catalogue.dcat_catalogue(_base(portal), _modified(portal)), media_type="application/ld+json"
    )


@router.get("/open-data/{name}.csv")
async def download_csv(name: str, portal: PortalDep):
    dataset = _dataset(name)
    made = await generated(portal, dataset)
    return Response(
        made.csv,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{dataset.name}.csv"',
            "Last-Modified": made.generated_at.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        },
    )


@router.get("/open-data/{name}.json")
async def download_json(name: str, portal: PortalDep):
    dataset = _dataset(name)
    made = await generated(portal, dataset)
    return Response(
        made.json,
        media_type="application/json",
        headers={"Last-Modified": made.generated_at.strftime("%a, %d %b %Y %H:%M:%S GMT")},
    )


@router.get("/open-data/{name}", response_class=HTMLResponse)
async def dataset_page(name: str, portal: PortalDep, visitor: VisitorDep):
    dataset = _dataset(name)
    made = await generated(portal, dataset)
    return render(
        portal,
        visitor,
        "open_data/dataset.html",
        dataset=dataset,
        rows=made.rows[:PREVIEW_ROWS],
        count=len(made.rows),
        generated_at=made.generated_at,
        frequencies=catalogue.FREQUENCIES,
        licence=catalogue.LICENCE,
        publisher=catalogue.PUBLISHER,
        links=catalogue.distributions(dataset, ""),
        column_name="政府数据开放",
        article_title=dataset.title,
    )


# ---- CKAN-compatible read API (the action API's envelope: help, success, result / error) ---------------


def _ckan(request: Request, result) -> JSONResponse:
    return JSONResponse(
        {"help": f"{request.url.path} (CKAN API v3, read only)", "success": True, "result": result}
    )


def _ckan_error(request: Request, status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"help": request.url.path, "success": False, "error": {"__type": kind, "message": message}},
        status_code=status,
    )


@router.get("/api/3/action/package_list")
async def package_list(request: Request):
    return _ckan(request, [d.name for d in catalogue.DATASETS])


@router.get("/api/3/action/package_show")
async def package_show(request: Request, portal: PortalDep, id: str = ""):  # noqa: A002 - CKAN's name
    dataset = catalogue.BY_NAME.get(id)
    if dataset is None:
        return _ckan_error(request, 404, "Not Found Error", "Not found")
    return _ckan(
        request, catalogue.ckan_package(dataset, _base(portal), _cache(portal).modified(dataset.name))
    )


@router.get("/api/3/action/package_search")
async def package_search(request: Request, portal: PortalDep, q: str = "", rows: int = 10, start: int = 0):
    if not 0 <= rows <= MAX_ROWS_PER_CKAN_PAGE or start < 0:
        return _ckan_error(
            request, 409, "Validation Error", f"rows between 0 and {MAX_ROWS_PER_CKAN_PAGE}, start ≥ 0"
        )
    found = [d for d in catalogue.DATASETS if catalogue.matches(d, q)]
    packages = [
        catalogue.ckan_package(d, _base(portal), _cache(portal).modified(d.name))
        for d in found[start : start + rows]
    ]
    return _ckan(
        request,
        {"count": len(found), "results": packages, "sort": "name asc", "facets": {}, "search_facets": {}},
    )
