"""The open datasets (A38) and their machine-readable forms. Pure: no I/O.

Each dataset says what DCAT and CKAN describe (title, publisher, theme, licence, update frequency,
time span, formats) and its columns (key, Chinese label). Rows are dicts keyed by the columns' keys.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime

PUBLISHER = "资阳市人民政府办公室"
LICENCE = (
    "cc-by-4.0",
    "知识共享署名 4.0 国际许可协议（CC BY 4.0）",
    "https://creativecommons.org/licenses/by/4.0/",
)
# DCAT frequencies (the EU vocabulary that DCAT-AP uses) and their Chinese names.
FREQUENCIES = {"DAILY": "每日", "MONTHLY": "每月", "ANNUAL": "每年"}
FREQUENCY_IRI = "http://publications.europa.eu/resource/authority/frequency/"


@dataclass(frozen=True)
class Dataset:
    """开放数据集: name (the address and CKAN's id), title, description, theme, update frequency, time span
    (文字), columns as (key, label)."""

    name: str
    title: str
    description: str
    theme: str
    frequency: str
    temporal: str
    columns: tuple[tuple[str, str], ...]
    keywords: tuple[str, ...] = ()

    @property
    def keys(self) -> list[str]:
        return [key for key, _ in self.columns]


PUBLICATION_COLUMNS = (
    ("id", "标识"),
    ("title", "标题"),
    ("document_number", "文号"),
    ("category", "主题分类"),
    ("kind", "类型"),
    ("issuer", "发布机构"),
    ("made_on", "成文日期"),
    ("published_on", "发布日期"),
    ("validity", "效力状态"),
    ("url", "网址"),
)

DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "publications",
        "政府信息主动公开目录",
        "资阳市人民政府主动公开的政府信息目录（政府信息公开条例第二十条）：标题、文号、分类、发布机构、成文和发布日期、效力状态。",
        "政府信息公开",
        "DAILY",
        "自平台启用起",
        PUBLICATION_COLUMNS,
        ("政府信息公开", "目录"),
    ),
    Dataset(
        "normative-documents-in-force",
        "现行有效规范性文件目录",
        "现行有效的规章和规范性文件：文号、标题、制定机关、成文日期、有效期。",
        "法规文件",
        "DAILY",
        "现行有效",
        (
            ("id", "标识"),
            ("title", "标题"),
            ("document_number", "文号"),
            ("issuer", "制定机关"),
            ("made_on", "成文日期"),
            ("valid_until", "有效期至"),
            ("url", "网址"),
        ),
        ("规范性文件", "规章"),
    ),
    Dataset(
        "powers",
        "权责清单",
        "行政权力事项：名称、类型、实施主体、设定依据、办理流程、监督方式。",
        "政务服务",
        "DAILY",
        "现行",
        (
            ("id", "标识"),
            ("title", "事项名称"),
            ("power_type", "权力类型"),
            ("subject", "实施主体"),
            ("basis", "设定依据"),
            ("procedure", "办理流程"),
            ("supervision", "监督方式"),
            ("published_on", "发布日期"),
        ),
        ("权责清单",),
    ),
    Dataset(
        "proposal-results",
        "人大代表建议和政协委员提案办理结果",
        "公开的建议、提案办理结果：届次、编号、类型、标题、发布日期（不含代表委员的联系方式）。",
        "政府信息公开",
        "DAILY",
        "自平台启用起",
        (
            ("id", "标识"),
            ("title", "标题"),
            ("proposal_kind", "类型"),
            ("session", "届次"),
            ("proposal_number", "编号"),
            ("proposer", "代表委员"),
            ("published_on", "发布日期"),
            ("url", "网址"),
        ),
        ("建议提案",),
    ),
    Dataset(
        "ogi-annual-report-figures",
        "政府信息公开工作年度报告数据",
        "各年度政府信息公开工作年度报告中的主动公开和依申请公开数据（按国家统一格式）。",
        "政府信息公开",
        "ANNUAL",
        "各已发布年度",
        (("year", "年度"), ("section", "部分"), ("item", "项目"), ("column", "栏目"), ("value", "数值")),
        ("年度报告",),
    ),
    Dataset(
        "petition-statistics",
        "信访事项统计",
        "信访事项按月份、责任单位、类别的汇总数字：受理、重复、逾期、已答复和满意度（只有汇总，不含任何信访事项）。",
        "信访",
        "MONTHLY",
        "近十二个月",
        (
            ("dimension", "统计维度"),
            ("key", "分组"),
            ("received", "受理件数"),
            ("repeats", "重复信访"),
            ("overdue", "逾期"),
            ("replied", "已答复"),
            ("satisfied", "满意"),
            ("basically_satisfied", "基本满意"),
            ("dissatisfied", "不满意"),
        ),
        ("信访", "统计"),
    ),
)
BY_NAME = {d.name: d for d in DATASETS}


def to_csv(dataset: Dataset, rows: list[dict]) -> bytes:
    """UTF-8 with a byte-order mark (spreadsheet programs in China then read the Chinese right); the
    header row in Chinese, then the keys' values."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([label for _, label in dataset.columns])
    for row in rows:
        writer.writerow([_cell(row.get(key)) for key in dataset.keys])
    return ("\ufeff" + out.getvalue()).encode()


def to_json(dataset: Dataset, rows: list[dict], generated_at: datetime) -> bytes:
    document = {
        "dataset": dataset.name,
        "title": dataset.title,
        "generated_at": generated_at.isoformat(),
        "fields": [{"id": key, "label": label} for key, label in dataset.columns],
        "records": [{key: _cell(row.get(key)) for key in dataset.keys} for row in rows],
    }
    return json.dumps(document, ensure_ascii=False).encode()


def _cell(value) -> str | int | None:
    if isinstance(value, date):
        return value.isoformat()
    return value


def distributions(dataset: Dataset, base: str) -> list[dict]:
    page = f"{base}/open-data/{dataset.name}"
    return [
        {"format": "CSV", "media_type": "text/csv", "url": f"{page}.csv"},
        {"format": "JSON", "media_type": "application/json", "url": f"{page}.json"},
    ]


def dcat_catalogue(base: str, modified: dict[str, datetime | None]) -> dict:
    """The catalogue as DCAT (JSON-LD): a dcat:Catalog of dcat:Dataset, each with its distributions."""
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": f"{base}/open-data/catalog.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": "资阳市政府数据开放目录",
        "dct:language": "zh-CN",
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": PUBLISHER},
        "dcat:dataset": [_dcat_dataset(d, base, modified.get(d.name)) for d in DATASETS],
    }


def _dcat_dataset(dataset: Dataset, base: str, modified: datetime | None) -> dict:
    out = {
        "@id": f"{base}/open-data/{dataset.name}",
        "@type": "dcat:Dataset",
        "dct:identifier": dataset.name,
        "dct:title": dataset.title,
        "dct:description": dataset.description,
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": PUBLISHER},
        "dcat:theme": dataset.theme,
        "dcat:keyword": list(dataset.keywords),
        "dct:accrualPeriodicity": {"@id": FREQUENCY_IRI + dataset.frequency},
        "dct:temporal": dataset.temporal,
        "dct:license": {"@id": LICENCE[2]},
        "dcat:landingPage": {"@id": f"{base}/open-data/{dataset.name}"},
        "dcat:distribution": [
            {
                "@type": "dcat:Distribution",
                "dct:format": d["format"],
                "dcat:mediaType": d["media_type"],
                "dcat:downloadURL": {"@id": d["url"]},
                "dct:license": {"@id": LICENCE[2]},
            }
            for d in distributions(dataset, base)
        ],
    }
    if modified is not None:
        out["dct:modified"] = {"@value": modified.isoformat(), "@type": "xsd:dateTime"}
    return out


def ckan_package(dataset: Dataset, base: str, modified: datetime | None) -> dict:
    """A CKAN package dict (the fields `package_show` answers and harvesters read)."""
    stamp = modified.replace(tzinfo=None).isoformat() if modified else None
    return {
        "id": dataset.name,
        "name": dataset.name,
        "title": dataset.title,
        "notes": dataset.description,
        "type": "dataset",
        "state": "active",
        "private": False,
        "license_id": LICENCE[0],
        "license_title": LICENCE[1],
        "license_url": LICENCE[2],
        "maintainer": PUBLISHER,
        "author": PUBLISHER,
        "organization": {"name": "ziyang-gov-office", "title": PUBLISHER},
        "metadata_modified": stamp,
        "url": f"{base}/open-data/{dataset.name}",
        "tags": [{"name": k} for k in dataset.keywords],
        "groups": [{"name": dataset.theme, "title": dataset.theme}],
        "extras": [
            {"key": "frequency", "value": dataset.frequency},
            {"key": "temporal", "value": dataset.temporal},
            {"key": "theme", "value": dataset.theme},
        ],
        "num_resources": 2,
        "resources": [
            {
                "id": f"{dataset.name}-{d['format'].lower()}",
                "package_id": dataset.name,
                "name": f"{dataset.title}（{d['format']}）",
                "format": d["format"],
                "mimetype": d["media_type"],
                "url": d["url"],
                "last_modified": stamp,
            }
            for d in distributions(dataset, base)
        ],
    }


def matches(dataset: Dataset, q: str) -> bool:
    """CKAN's `q` read simply: every space-separated part in the title, description, theme or keywords."""
    text = " ".join(
        [dataset.name, dataset.title, dataset.description, dataset.theme, *dataset.keywords]
    ).lower()
    return all(part in text for part in q.lower().split())
