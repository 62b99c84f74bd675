"""Search finds every run of characters (shared/words.py): the recall of the bigram index over random
substrings of real-looking titles and texts, checked as PostgreSQL checks a tsquery against a tsvector
(every bigram present; a one-character run as its character) — pure, no servers. The integration tests of
disclosure and petitions search the same through the real services."""

import random

from services.disclosure import search
from shared import words

TITLES = [
    "中小学校外培训管理办法",
    "资阳市人民政府关于印发《资阳市城市供水管理办法》的通知",
    "关于进一步加强安岳县柠檬产业高质量发展的实施意见",
    "资阳市2026年度财政预算执行情况和2027年度财政预算草案的报告",
    "雁江区老旧小区改造（第二批）项目公示",
    "关于做好COVID-19疫苗接种工作的通知",
    "乐至县农村集体经济组织成员身份确认暂行办法",
]
TEXTS = [
    "各县（区）人民政府，市政府各部门：为规范中小学校外培训机构的设置和管理，现将有关事项通知如下。",
    "本办法自２０２６年１月１日起施行，有效期５年。资府规〔2026〕1号同时废止。",
    "市财政局、市教育和体育局负责组织实施；联系电话：028-26655555，邮箱zyczj@ziyang.gov.cn。",
]


def found(lexemes: set[str], query: words.SearchQuery) -> bool:
    """What `search @@ query.match` answers."""
    return bool(query) and all(g in lexemes for g in query.grams) and all(c in lexemes for c in query.chars)


def substrings(text: str, rng: random.Random, count: int):
    for _ in range(count):
        start = rng.randrange(len(text) - 1)
        yield text[start : rng.randrange(start + 2, min(len(text), start + 12) + 1)]


def test_every_substring_of_two_or_more_characters_of_titles_and_texts_is_found():
    rng = random.Random(15)
    tried = missed = 0
    for title in TITLES:
        for body in TEXTS:
            lexemes = set(words.lexemes(title=title, body=body))
            for text in (title, body):
                for part in substrings(text, rng, 60):
                    query = words.search_query(part)
                    if not query:  # punctuation only: nothing to look for
                        continue
                    tried += 1
                    missed += not found(lexemes, query)
    assert tried > 1000 and missed == 0


def test_every_two_character_substring_of_a_title_is_found():
    for title in TITLES:
        lexemes = set(words.lexemes(title=title))
        for i in range(len(title) - 1):
            query = words.search_query(title[i : i + 2])
            assert not query or found(lexemes, query), title[i : i + 2]


def test_the_issues_examples_are_found_and_words_cut_differently_too():
    row = type(
        "Row",
        (),
        dict(
            title="中小学校外培训管理办法",
            document_number="资府规〔2026〕1号",
            body=TEXTS[0],
            issuer_name="资阳市教育和体育局",
            kind="policy",
            category="rules_and_normative_documents",
            normative=True,
            year=2026,
            issuer_code="education",
        ),
    )
    lexemes = set(search.publication_lexemes(row))
    for query in (
        "校外",
        "校外培训",
        "规范性文件",
        "资府规〔2026〕1号",
        "资府规〔２０２６〕１号",
        "2026",
        "2026年",
        "教育和体育局",
        "规章",
        "政策文件",
        "外培",
    ):
        assert found(lexemes, words.search_query(query)), query
    for query in ("校内培训", "2025", "供水"):
        assert not found(lexemes, words.search_query(query)), query


def test_the_query_in_the_title_and_whole_words_are_marked_for_ranking():
    lexemes = set(words.lexemes(title="城市供水管理办法", body="中小学校外培训"))
    assert words.TITLE + "供水" in lexemes and words.TITLE + "培训" not in lexemes
    assert words.WORD + "供水" in lexemes and words.WORD + "校外" not in lexemes
    query = words.search_query("城市供水")
    assert query.title == "'^城市' & '^市供' & '^供水'" and query.words == "'~城市' & '~供水'"


def test_one_character_runs_are_characters_of_their_own_and_punctuation_alone_is_no_query():
    """A one-character run is looked up as its character (every character of a run is a lexeme), never
    as a prefix ('规':*), which the GIN index answers by reading every lexeme starting with it."""
    query = words.search_query("规〔")
    assert query.grams == [] and query.chars == ["规"] and query.match == "'规'"
    assert words.search_query("案，依法").match == "'案' & '依法'"
    assert words.search_query("安全，安").title == "'^安全' & '^安'"
    lexemes = set(words.lexemes(title="城市供水", body="依法，案"))
    assert {"城", "市", "供", "水", "依", "法", "案", "^城", "^水"} <= lexemes and "^依" not in lexemes
    assert not words.search_query("《》，。")
    assert words.search_query("ＡＢ１２").grams == ["ab", "b1", "12"]
