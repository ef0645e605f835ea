"""The benchmarks' own helpers: what decides a printed verdict must be right."""
from benchmarks.common import same


def _report(*documents):
    return {"documents": [{"pairs": {"a | b": {"kendall_tau_b": x}}, "faithfulness": {"a": {"aopc": y}}}
                          for x, y in documents]}


def test_reports_are_the_same_only_document_for_document():
    one = _report((0.5, 1.0), (0.25, None))
    assert same(one, _report((0.5, 1.0), (0.25 + 1e-9, None)))
    assert not same(one, _report((0.5, 1.0)))                      # a missing document is a difference
    assert not same(_report((0.5, 1.0)), one)
    assert not same(one, _report((0.5, 1.0), (0.25, 2.0)))        # None against a number
    assert not same(one, _report((0.5, 1.1), (0.25, None)))
