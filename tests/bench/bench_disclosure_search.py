"""Full-text search in Chinese over a million publications: p50/p95 through the gRPC service next to the
same query run directly in the database, as a ratio (issue 5; docs/design.md target: p95 under 50 ms).

Real: PostgreSQL (embedded, the service's migrations), the PublicationServicer in GrpcServer with offline
token verification (locally signed RS256 tokens from tests/fixtures/local_issuer.py, as bench_grpc does),
jieba segmentation of every query, snippets. Not started: Keycloak and NATS (the reads touch neither).

The corpus (ZGOV_BENCH_DISCLOSURE_PUBLICATIONS, default 1,000,000) is generated in SQL in a few minutes:
a few thousand titles and sentences in the style of government information are made from word lists
and made lexemes once, in Python (shared.words.lexemes: bigrams and jieba's words, as publishing does);
each publication then joins one title and five sentences picked by hashing its number, and its tsvector
is the concatenation of theirs (the same as the whole text's, without running jieba a million times,
except the bigrams across two sentences, which end in punctuation anyway; the issuer, category and
year facts of search.publication_lexemes are left out), with the filter lexemes and the month published
(search.month_lexeme, year_lexeme) as publishing adds them. Dates spread
over the last ten years in the order rows are written (as a live table fills: rows are added as they are made
and published), thirty issuers, fifteen categories; the indexes are built after the load, then ANALYZE.
PostgreSQL runs with shared_buffers 1 GB (the table and its indexes take about 2 GB; the rest is in the
OS cache), as a production server would be configured.

Queries, each one repeated, sequentially (latency, not throughput):
- common: a word in a large share of the corpus (通知, 工作) — the candidate cap matters here, the
  first month or two hold the newest 300;
- medium: a topic word (供水, 乡村振兴) in a few per cent;
- rare: a word in a few hundred publications;
- two words, and words with filters (category, year, issuer).
- random substrings (2 to 8 characters) of the titles and texts of sampled publications: the recall
  (each sampled publication matches its substring, checked in the database) and the latency.
"Direct" is the statements store_publications.search sends (the set-up, the windows of months of
search.NewestFirst, the ranked page with its bodies), caught on their way to asyncpg and sent again in
one transaction on a plain asyncpg connection: what the database costs; "gRPC" adds the token check,
jieba, SQLAlchemy, the round trips' Python, snippets, protobuf and the network hop.

    python -m tests.bench disclosure_search
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import grpc

from deploy.local.servers import Postgres, free_port
import services.disclosure
from services.disclosure.store import publications as store
from services.disclosure.api_publications import PublicationServicer
from shared import words
from shared.convert import today_in_china
from shared.db import create_engine, session_factory
from shared.grpc_server import GrpcServer
from shared.identity import TokenVerifier
from shared.migrations import run_migrations
from shared.workdays import calendar
from zgov.disclosure.v1 import publications_pb2 as pb
from zgov.disclosure.v1 import publications_pb2_grpc

MIGRATIONS = Path(services.disclosure.__file__).parent / "migrations"
TITLE = (
    "disclosure: Chinese full-text search over a million publications (real PostgreSQL, gRPC vs direct SQL)"
)
PUBLICATIONS = int(os.environ.get("ZGOV_BENCH_DISCLOSURE_PUBLICATIONS", "1000000"))
REPEATS = int(os.environ.get("ZGOV_BENCH_DISCLOSURE_REPEATS", "15"))
CANDIDATES = 300
PAGE = 20
TARGET_P95_MS = 50

# ---- the corpus's words ------------------------------------------------------------------------------------

PLACES = [
    "全市",
    "雁江区",
    "安岳县",
    "乐至县",
    "高新区",
    "临空经济区",
    "各乡镇",
    "城区",
    "农村地区",
    "重点区域",
]
VERBS = ["加强", "推进", "规范", "完善", "落实", "开展", "提升", "优化", "深化", "健全", "做好", "强化"]
TOPICS = [
    "城市供水",
    "老旧小区改造",
    "乡村振兴",
    "营商环境",
    "义务教育",
    "医疗保障",
    "安全生产",
    "食品安全",
    "生态环境保护",
    "交通运输",
    "就业创业",
    "养老服务",
    "防汛抗旱",
    "文化旅游",
    "数字政府",
    "住房保障",
    "农田水利",
    "森林防火",
    "城乡低保",
    "残疾人帮扶",
    "退役军人服务",
    "招商引资",
    "国有资产",
    "政府采购",
    "财政预算",
    "税收征管",
    "统计调查",
    "价格监测",
    "市场监管",
    "药品安全",
    "消防安全",
    "道路交通安全",
    "大气污染防治",
    "水污染防治",
    "垃圾分类",
    "物业管理",
    "公共卫生",
    "疫情防控",
    "职业教育",
    "学前教育",
    "城市管理",
    "河长制",
    "林长制",
    "耕地保护",
    "粮食安全",
    "柠檬产业",
    "现代农业",
    "工业园区",
    "科技创新",
    "人才引进",
    "社会救助",
    "慈善事业",
    "妇女儿童权益",
    "公共文化服务",
    "体育设施",
    "应急管理",
    "地质灾害防治",
    "行政审批",
    "政务服务",
    "信用体系",
]
OBJECTS = [
    "管理工作",
    "体系建设",
    "监督检查",
    "专项行动",
    "实施方案",
    "保障措施",
    "考核办法",
    "工作机制",
    "资金使用",
    "项目建设",
    "服务质量",
    "风险防控",
    "基础设施",
    "政策落实",
    "队伍建设",
    "长效机制",
]
FILLERS = [
    "确保各项任务按期完成",
    "切实维护人民群众合法权益",
    "不断提高群众满意度",
    "形成工作合力",
    "严格落实主体责任",
    "加大资金投入力度",
    "定期通报工作进展",
    "建立健全考核评价制度",
    "强化部门协同配合",
    "广泛听取社会各界意见",
    "做好信息公开工作",
    "依法依规有序推进",
]
KINDS = ["通知", "意见", "办法", "实施方案", "决定", "规定", "工作方案", "报告", "公告", "通报"]
# Rare words: each in a few hundred publications (one sentence of the pool each).
RARE = ["无人机巡检", "古籍保护", "蚕桑产业", "萝卜寨", "陶器修复", "山地自行车赛"]
CATEGORIES = [
    "rules_and_normative_documents",
    "organisation_and_functions",
    "plans",
    "statistics",
    "licensing",
    "penalties_and_enforcement",
    "budgets_and_accounts",
    "fees",
    "procurement",
    "major_projects",
    "livelihood",
    "emergencies",
    "inspections",
    "civil_service_recruitment",
    "other",
]
ISSUERS = [
    (f"issuer-{i:02d}", name)
    for i, name in enumerate(
        [
            "资阳市人民政府",
            "资阳市人民政府办公室",
            "市发展和改革委员会",
            "市教育和体育局",
            "市科学技术局",
            "市经济和信息化局",
            "市公安局",
            "市民政局",
            "市司法局",
            "市财政局",
            "市人力资源和社会保障局",
            "市自然资源和规划局",
            "市生态环境局",
            "市住房和城乡建设局",
            "市交通运输局",
            "市水务局",
            "市农业农村局",
            "市商务局",
            "市文化广电旅游局",
            "市卫生健康委员会",
            "市退役军人事务局",
            "市应急管理局",
            "市审计局",
            "市市场监督管理局",
            "市统计局",
            "市医疗保障局",
            "市信访局",
            "雁江区人民政府",
            "安岳县人民政府",
            "乐至县人民政府",
        ]
    )
]
TITLES = 4001  # prime: the multiplicative picks below cover the pool evenly
SENTENCES = 6007
SENTENCES_PER_BODY = 5


def make_titles(rng: random.Random) -> list[tuple[str, str, bool]]:
    rows = []
    for _ in range(TITLES):
        topic, kind = rng.choice(TOPICS), rng.choice(KINDS)
        title = f"{rng.choice(['关于', '关于进一步', '资阳市'])}{rng.choice(VERBS)}{topic}{rng.choice(OBJECTS)}的{kind}"
        normative = kind in ("办法", "规定", "决定")
        category = "rules_and_normative_documents" if normative else rng.choice(CATEGORIES)
        rows.append((title, category, normative))
    return rows


def make_sentences(rng: random.Random) -> list[str]:
    rows = []
    for i in range(SENTENCES):
        place, topic = rng.choice(PLACES), rng.choice(TOPICS)
        if i < len(RARE):
            topic = RARE[i]
        rows.append(f"{place}{rng.choice(VERBS)}{topic}{rng.choice(OBJECTS)}，{rng.choice(FILLERS)}。")
    return rows


QUERIES: list[tuple[str, str, dict]] = [
    ("common word", "通知", {}),
    ("common word", "工作", {}),
    ("medium word", "供水", {}),
    ("medium word", "乡村振兴", {}),
    ("rare word", "无人机巡检", {}),
    ("rare word", "古籍保护", {}),
    ("two words", "安岳县 柠檬产业", {}),
    ("two words", "医疗保障 考核办法", {}),
    ("with filters", "安全生产", {"category": "inspections", "year": 2024}),
    ("with filters", "通知", {"issuer_code": "issuer-05"}),
    ("with filters", "垃圾分类", {"year": 2021}),
]
CATEGORY_PROTO = {c: i + 1 for i, c in enumerate(CATEGORIES)}


# ---- loading ----------------------------------------------------------------------------------------------

LOAD_SQL = """
INSERT INTO publication (id, kind, category, title, body, issuer_code, issuer_name, document_number, made_on,
    year, published_on, valid_until, validity, state, normative, requires_interpretation, publish_due,
    publish_due_provisional, comment_count, decline_reason, search)
SELECT gen_random_uuid(), 'policy', t.category, t.text, s1.text || s2.text || s3.text || s4.text || s5.text,
       i.code, i.name,
       CASE WHEN t.normative THEN '资府规〔' || extract(year FROM m.made)::int || '〕' || (g % 97 + 1) || '号'
            ELSE '' END,
       m.made, extract(year FROM m.made)::int, m.made + (g % 15)::int,
       CASE WHEN t.normative THEN m.made + 1825 END,
       CASE WHEN g % 40 = 0 THEN 'repealed' WHEN g % 40 = 1 THEN 'amended' ELSE 'in_force' END,
       'published', t.normative, false, m.made + 28, false, 0, '',
       t.vec || s1.vec || s2.vec || s3.vec || s4.vec || s5.vec || array_to_tsvector(ARRAY[
           'zzy' || extract(year FROM m.made)::int, 'zzc' || encode(convert_to(t.category, 'UTF8'), 'hex'),
           'zzi' || encode(convert_to(i.code, 'UTF8'), 'hex'), 'zzk' || encode(convert_to('policy', 'UTF8'), 'hex'),
           'zzp' || to_char(m.made + (g % 15)::int, 'YYYYMM'), 'zzq' || to_char(m.made + (g % 15)::int, 'YYYY')])
FROM generate_series(:first, :last) AS g
CROSS JOIN LATERAL (SELECT :corpus_start::date + ((g - 1)::bigint * 3650 / :count)::int AS made) m
JOIN bench_title t ON t.id = (g::bigint * 2654435761) % {titles}
JOIN bench_sentence s1 ON s1.id = (g::bigint * 40503 + 1) % {sentences}
JOIN bench_sentence s2 ON s2.id = (g::bigint * 9973 + 2) % {sentences}
JOIN bench_sentence s3 ON s3.id = (g::bigint * 104729 + 3) % {sentences}
JOIN bench_sentence s4 ON s4.id = (g::bigint * 7 + g / 5 + 4) % {sentences}
JOIN bench_sentence s5 ON s5.id = (g::bigint * 31337 + g / 3 + 5) % {sentences}
JOIN bench_issuer i ON i.id = g % {issuers}
""".format(titles=TITLES, sentences=SENTENCES, issuers=len(ISSUERS))


async def load_corpus(dsn: str, count: int) -> list[tuple[str, str]]:
    """The corpus, loaded with the read indexes dropped and built after (as a bulk load is done)."""
    import asyncpg

    rng = random.Random(20261126)
    titles, sentences = make_titles(rng), make_sentences(rng)
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute("SET maintenance_work_mem = '512MB'; SET synchronous_commit = off")
        await conn.execute("""
            CREATE TABLE bench_title (id int PRIMARY KEY, text text, category text, normative bool, vec tsvector);
            CREATE TABLE bench_sentence (id int PRIMARY KEY, text text, vec tsvector);
            CREATE TABLE bench_issuer (id int PRIMARY KEY, code text, name text)""")
        await conn.executemany(
            "INSERT INTO bench_title VALUES ($1, $2, $3, $4, array_to_tsvector($5::text[]))",
            [(i, t, c, n, words.lexemes(title=t)) for i, (t, c, n) in enumerate(titles)],
        )
        await conn.executemany(
            "INSERT INTO bench_sentence VALUES ($1, $2, array_to_tsvector($3::text[]))",
            [(i, s, words.lexemes(body=s)) for i, s in enumerate(sentences)],
        )
        await conn.executemany(
            "INSERT INTO bench_issuer VALUES ($1, $2, $3)",
            [(i, code, name) for i, (code, name) in enumerate(ISSUERS)],
        )
        indexes = [
            row["indexdef"]
            for row in await conn.fetch(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'publication' AND indexname <> 'pk_publication'"
            )
        ]
        for definition in indexes:
            await conn.execute(f"DROP INDEX {definition.split(' INDEX ')[1].split(' ON ')[0]}")
        segmented_at = time.perf_counter()
        chunk = 100_000

        # two loaders at once: one per core
        async def loader(first_chunk: int) -> None:
            own = await asyncpg.connect(dsn.replace("postgresql+asyncpg", "postgresql"))
            try:
                await own.execute("SET synchronous_commit = off")
                for start in range(1 + first_chunk * chunk, count + 1, 2 * chunk):
                    sql = (
                        LOAD_SQL.replace(":first", str(start))
                        .replace(":last", str(min(count, start + chunk - 1)))
                        .replace(":count", str(count))
                        .replace(":corpus_start", f"'{today_in_china() - timedelta(days=3650 + 14)}'")
                    )
                    await own.execute(sql)
            finally:
                await own.close()

        await asyncio.gather(loader(0), loader(1))
        loaded_at = time.perf_counter()
        for definition in indexes:
            await conn.execute(definition)
        await conn.execute("DROP TABLE bench_title, bench_sentence, bench_issuer")
        await conn.execute("VACUUM ANALYZE publication")
        indexed_at = time.perf_counter()
        size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('publication'))")
    finally:
        await conn.close()
    return [
        (
            f"corpus: {count:,} publications generated",
            f"{loaded_at - started:.0f} s (segmenting the pool {segmented_at - started:.1f} s)",
        ),
        (
            "indexes built after the load, ANALYZE",
            f"{indexed_at - loaded_at:.0f} s; table with indexes {size}",
        ),
    ]


# ---- measuring ------------------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] * 1000


def request_of(query: str, filters: dict) -> pb.SearchPublicationsRequest:
    f = pb.PublicationFilter(
        issuer_code=filters.get("issuer_code", ""),
        year=filters.get("year", 0),
        category=CATEGORY_PROTO.get(filters.get("category", ""), 0),
    )
    return pb.SearchPublicationsRequest(query=query, filter=f, page={"page_size": PAGE})


def filter_of(filters: dict) -> store.Filter:
    return store.Filter(
        category=filters.get("category"),
        issuer_code=filters.get("issuer_code", ""),
        year=filters.get("year", 0),
    )


async def _run() -> list[tuple[str, ...]]:
    import asyncpg

    from tests.fixtures.local_issuer import LocalIssuer

    folder = Path(tempfile.mkdtemp(prefix="bench-disclosure-"))
    postgres = Postgres(folder / "postgres", free_port())
    postgres.start()
    issuer = LocalIssuer().start()
    rows: list[tuple[str, ...]] = []
    engine = server = channel = None
    try:
        postgres.psql("ALTER SYSTEM SET shared_buffers = '1GB'")
        postgres.stop()
        postgres.start()
        dsn = postgres.ensure_database("disclosure_bench")
        await run_migrations(dsn, MIGRATIONS)
        rows += await load_corpus(dsn, PUBLICATIONS)
        words.initialize()
        engine = create_engine(dsn, pool_size=4)
        server = GrpcServer(
            [PublicationServicer(session_factory(engine), calendar(), search_candidates=CANDIDATES)],
            verifier=TokenVerifier(issuer.issuer, "disclosure", issuer.jwks_url),
            drain_delay=0,
            telemetry=False,
        )
        await server.start()
        channel = grpc.aio.insecure_channel(server.address)
        stub = publications_pb2_grpc.PublicationServiceStub(channel)
        token = issuer.token_for(
            "portal",
            audience="disclosure",
            positions=[],
            groups=[],
            expires_in=3600,
            permissions=["publication:read"],
        )
        auth = (("authorization", f"Bearer {token}"),)
        raw = await asyncpg.connect(dsn.replace("postgresql+asyncpg", "postgresql"))
        try:
            rows += await measure(stub, auth, raw, engine)
        finally:
            await raw.close()
        return rows
    finally:
        if channel is not None:
            await channel.close()
        if server is not None:
            server.shutdown()
            await server.wait_stopped()
        if engine is not None:
            await engine.dispose()
        issuer.stop()
        postgres.stop()
        # the million-row corpus is 4-5 GB: kept only when asked (ZGOV_BENCH_KEEP=1, to EXPLAIN queries on it)
        if os.environ.get("ZGOV_BENCH_KEEP") != "1":
            shutil.rmtree(folder, ignore_errors=True)


class Captured:
    """The statements the service sends for one search (store.search), caught on their way to asyncpg, to
    be sent again on a plain connection."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.statements: list[tuple[str, tuple]] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append((statement, tuple(parameters or ())))


async def statements_of(engine, captured: Captured, query: str, filters: dict) -> list[tuple[str, tuple]]:
    """What the servicer sends for this search (store.search: the windows of months, then the page)."""
    f = filter_of(filters)
    searched = words.search_query(query)
    async with session_factory(engine)() as session:
        captured.statements.clear()
        await store.search(
            session, searched, f, today_in_china(), candidates=CANDIDATES, offset=0, limit=PAGE
        )
        await session.rollback()
    return [
        (sql, params)
        for sql, params in captured.statements
        if not sql.lstrip().upper().startswith(("BEGIN", "ROLLBACK", "SELECT PG_CATALOG", "SELECT 1"))
    ]


async def replay(raw, statements: list[tuple[str, tuple]]) -> None:
    """The statements again, as the service sends them, in a transaction (for the windows' SET LOCAL)."""
    async with raw.transaction():
        for sql, params in statements:
            await raw.fetch(sql, *params)


async def measure(stub, auth, raw, engine) -> list[tuple[str, ...]]:
    captured = Captured(engine)
    per_class: dict[str, tuple[list[float], list[float]]] = {}
    all_grpc: list[float] = []
    all_db: list[float] = []
    details: list[tuple[str, ...]] = []
    for label, query, filters in QUERIES:
        request = request_of(query, filters)
        statements = await statements_of(engine, captured, query, filters)
        reply = await stub.SearchPublications(request, metadata=auth)  # warm-up: plan cache, pages in memory
        await replay(raw, statements)
        grpc_times, db_times = [], []
        for _ in range(REPEATS):
            started = time.perf_counter()
            await stub.SearchPublications(request, metadata=auth)
            grpc_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            await replay(raw, statements)
            db_times.append(time.perf_counter() - started)
        g, d = per_class.setdefault(label, ([], []))
        g += grpc_times
        d += db_times
        all_grpc += grpc_times
        all_db += db_times
        found = f"newest {reply.ranked} ranked, capped" if reply.capped else f"{reply.ranked} matches"
        # besides the set-up (set_config) and the ranked page (id = ANY): the windows of months read
        windows = sum("set_config" not in sql and "ANY (" not in sql.upper() for sql, _ in statements)
        path = f"{windows} windows of months"
        details.append(
            (
                f"  {query} {filters or ''} ({found}, {path})",
                f"gRPC p50 {pct(grpc_times, 50):.1f} ms / SQL p50 {pct(db_times, 50):.1f} ms",
            )
        )
    rows: list[tuple[str, ...]] = []
    for label, (g, d) in per_class.items():
        rows.append(
            (
                f"{label}: p50 / p95 gRPC vs direct SQL",
                f"{pct(g, 50):.1f} / {pct(g, 95):.1f} ms vs {pct(d, 50):.1f} / {pct(d, 95):.1f} ms "
                f"(×{pct(g, 50) / max(pct(d, 50), 1e-6):.1f})",
            )
        )
    rows.append(("all queries: search p50 through gRPC", f"{pct(all_grpc, 50):.1f} ms"))
    rows.append(
        ("all queries: search p95 through gRPC", f"{pct(all_grpc, 95):.1f} ms", f"< {TARGET_P95_MS} ms")
    )
    rows.append(
        ("all queries: the same SQL directly, p50 / p95", f"{pct(all_db, 50):.1f} / {pct(all_db, 95):.1f} ms")
    )
    rows.append(
        (
            "ratio gRPC / direct SQL, p50 / p95",
            f"×{pct(all_grpc, 50) / pct(all_db, 50):.2f} / ×{pct(all_grpc, 95) / pct(all_db, 95):.2f}",
        )
    )
    return rows + await random_substrings(stub, auth, raw) + details


SAMPLED = int(os.environ.get("ZGOV_BENCH_DISCLOSURE_SAMPLED", "200"))


async def random_substrings(stub, auth, raw) -> list[tuple[str, ...]]:
    """Recall and latency over random substrings of sampled publications' titles and texts: each must
    match its publication (the query's bigrams in its tsvector, asked of the database)."""
    rng = random.Random(15)
    sample = await raw.fetch(
        "SELECT id, title, body FROM publication TABLESAMPLE SYSTEM (1) LIMIT $1", SAMPLED
    )
    found, times = 0, []
    for row in sample:
        text = rng.choice([row["title"], row["body"]])
        start = rng.randrange(len(text) - 1)
        part = text[start : rng.randrange(start + 2, min(len(text), start + 8) + 1)]
        searched = words.search_query(part)
        if not searched:
            part, searched = text[:4], words.search_query(text[:4])
        found += await raw.fetchval(
            "SELECT search @@ $2::tsquery FROM publication WHERE id = $1", row["id"], searched.match
        )
        started = time.perf_counter()
        await stub.SearchPublications(request_of(part, {}), metadata=auth)
        times.append(time.perf_counter() - started)
    return [
        (
            f"random substrings: recall over {len(sample)} sampled publications",
            f"{100 * found / max(len(sample), 1):.1f} %",
            "= 100 %",
        ),
        (
            "random substrings: search p50 / p95 through gRPC",
            f"{pct(times, 50):.1f} / {pct(times, 95):.1f} ms",
            f"p95 < {TARGET_P95_MS} ms",
        ),
    ]


def run():
    return _run()
