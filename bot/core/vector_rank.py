"""Ranking with numpy, for large corpora: the same scores as `SearchIndex.rank`'s loop.

Imported only when a corpus of VECTOR_THRESHOLD tips or more is loaded and numpy (the
optional `fast` extra) is installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.search import BM25_B, BM25_K1, Hit, described, mix_weights, topic_factors

if TYPE_CHECKING:
    from bot.core.search import SearchIndex, Understanding


class VectorScorer:
    """The same ranking with numpy, for large corpora (imported only when one is loaded)."""

    def __init__(self, index: SearchIndex) -> None:
        import numpy as np

        self.index = index
        dl = np.frombuffer(index.doc_len, dtype=np.float32)
        self.docs = np.frombuffer(index.post_docs, dtype=np.int32)
        self.tfs = np.frombuffer(index.post_tfs, dtype=np.float32)
        self.norm = BM25_K1 * (1 - BM25_B + BM25_B * dl / index.avgdl)
        self.topics = {
            t: (np.array([d for d, _ in p], dtype=np.int32), np.array([w for _, w in p]))
            for t, p in index.topic_postings.items()
        }

    def search(self, u: Understanding, weighted: dict[str, float], limit: int) -> list[Hit]:
        import numpy as np

        ix = self.index
        n = len(ix.tips)
        text = np.zeros(n, dtype=np.float32)
        for t, qw in weighted.items():
            span = ix.postings.get(t)
            if not span:
                continue
            docs, tf = self.docs[span[0] : span[1]], self.tfs[span[0] : span[1]]
            if u.topic_only:  # a topic request reads the text alone (SearchIndex._bm25)
                docs, tf = docs[tf >= 1], np.floor(tf[tf >= 1])
            idf = (ix.text_idf if u.topic_only else ix.idf).get(t, 0.0)
            text[docs] += idf * qw * tf * (BM25_K1 + 1) / (tf + self.norm[docs])
        text_weight, topic_weight = mix_weights(u)
        top = float(text.max()) if n else 0.0
        combined = text * (text_weight / (top or 1.0))
        for topic, factor in topic_factors(u).items():
            if topic in self.topics:
                docs, w = self.topics[topic]
                combined[docs] += topic_weight * factor * w
        if not u.topic_only:
            keep = text > 0
            for d in described(ix, u):
                keep[d] = True
            combined[~keep] = 0.0
        k = min(max(limit, 0), int((combined > 0).sum()))
        if k == 0:
            return []
        idx = np.argpartition(-combined, k - 1)[:k]
        order = sorted(idx.tolist(), key=lambda d: (-float(combined[d]), d))
        return [Hit(ix.tips[d], round(float(combined[d]), 4)) for d in order]
