"""Chinese word segmentation (shared/words.py) and snippets and filters (services/disclosure/search.py)."""

from services.disclosure import search
from shared import words


def test_index_words_hold_long_words_and_the_words_inside_them():
    found = words.index_words("资阳市人民政府关于加强城市供水安全保障工作的通知。")
    assert {"资阳", "资阳市", "人民政府", "供水", "通知"} <= set(found)
    assert "。" not in found and all(w.strip() for w in found)


def test_query_is_segmented_into_distinct_words_without_punctuation():
    assert words.query_terms("  供水安全，供水！") == ["供水", "安全"]
    assert words.query_terms("《》，。") == []
    assert words.query_terms("COVID-19 疫苗") == ["covid", "19", "疫苗"]


def test_snippet_marks_the_words_around_the_first_match():
    body = "前言" * 40 + "为保障城市供水安全，市政府决定开展供水设施改造。" + "结语" * 80
    parts = search.snippet(body, ["供水", "安全"])
    assert parts[0] == search.Part("…", False) and parts[-1] == search.Part("…", False)
    marked = [p.text for p in parts if p.match]
    assert marked[:3] == ["供水", "安全", "供水"]
    assert "".join(p.text for p in parts).strip("…") in body


def test_snippet_without_a_match_is_the_start_and_never_empty_parts():
    parts = search.snippet("短文本", ["无关"])
    assert parts == [search.Part("短文本", False)]
    assert search.mark("安全安全", ["安全"]) == [search.Part("安全", True), search.Part("安全", True)]


def test_filters_are_lexemes_of_their_own_never_words():
    lexemes = search.meta_lexemes(kind="policy", category="fees", issuer_code="finance-bureau", year=2025)
    assert lexemes[0] == "zzy2025" and all(x.isalnum() for x in lexemes)
    query = search.meta_query(category="fees", issuer_code="finance-bureau", year=2025, kind=None)
    assert query == f"'{lexemes[1]}' & '{lexemes[2]}' & 'zzy2025'"
    assert search.meta_query(category=None, issuer_code="", year=0, kind=None) == ""
    # a code with quotes or spaces cannot break the query: it is hex
    assert "'" not in search.meta_query(category=None, issuer_code="x' | 'y", year=0, kind=None)[1:-1]
    assert not any(w.startswith(search.META) for w in words.index_words("资阳市财政局关于收费的通知"))


def test_common_words_are_found_newest_first_rare_or_narrowly_filtered_ones_through_gin():
    frequencies = {"通知": 0.1, "工作": 0.9, "柠檬": 0.03, "产业": 0.05, "zzy2021": 0.1, "zzi01": 0.01}
    rows = 1_000_000
    assert search.walk_newest_first(["通知"], frequencies, rows)
    # words that go together: the bound is the rarer one's frequency, not the product
    assert search.walk_newest_first(["柠檬", "产业"], frequencies, rows)
    assert not search.walk_newest_first(["通知", "古籍"], frequencies, rows)
    assert search.walk_newest_first(["工作"], frequencies, rows, ["zzy2021"])  # 90,000 may match
    assert not search.walk_newest_first(["通知"], frequencies, rows, ["zzy2021", "zzi01"])  # 100
    assert not search.walk_newest_first(["通知"], frequencies, 10_000)
    assert not search.walk_newest_first([], frequencies, rows)
    # 垃圾 in 2021: 10,000 match, the walk down that year meets 500 of them within 5,000 rows
    assert search.walk_newest_first(["垃圾"], {"垃圾": 0.1, "zzy2021": 0.1}, rows, ["zzy2021"])
