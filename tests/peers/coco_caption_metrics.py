#!/usr/bin/python3
"""The Python side of the caption metric tests.

    coco_caption_metrics.py IN_TSV OUT_TXT

IN_TSV: a line per image, the hypothesis then its references, tab-separated, captions already
tokenised (words joined by single spaces) as coco-caption scores them after its PTB tokenizer.
OUT_TXT: lines "name value ...": bleu (BLEU-1..4 from NLTK's corpus_bleu, or "none" when NLTK
is missing), rouge_l, rouge_l_per_image, cider_d, cider_d_per_image (from the ports below).
Plain text, so that the C++ side needs no JSON library.

Rouge and CiderScorer are ported line for line from coco-caption
(pycocoevalcap/rouge/rouge.py and pyciderevalcap/ciderD/ciderD_scorer.py, vrama91), Python 2
idioms updated; CIDEr-D uses document frequencies from the references of the scored corpus.
"""
import math
import sys
import warnings
from collections import defaultdict

import numpy as np


# ---- pycocoevalcap/rouge/rouge.py ----

def my_lcs(string, sub):
    """Length of the longest common subsequence of two token lists."""
    if len(string) < len(sub):
        sub, string = string, sub
    lengths = [[0 for i in range(0, len(sub) + 1)] for j in range(0, len(string) + 1)]
    for j in range(1, len(sub) + 1):
        for i in range(1, len(string) + 1):
            if string[i - 1] == sub[j - 1]:
                lengths[i][j] = lengths[i - 1][j - 1] + 1
            else:
                lengths[i][j] = max(lengths[i - 1][j], lengths[i][j - 1])
    return lengths[len(string)][len(sub)]


class Rouge:
    def __init__(self):
        self.beta = 1.2

    def calc_score(self, candidate, refs):
        assert len(candidate) == 1
        assert len(refs) > 0
        prec = []
        rec = []
        token_c = candidate[0].split(" ")
        for reference in refs:
            token_r = reference.split(" ")
            lcs = my_lcs(token_r, token_c)
            prec.append(lcs / float(len(token_c)))
            rec.append(lcs / float(len(token_r)))
        prec_max = max(prec)
        rec_max = max(rec)
        if prec_max != 0 and rec_max != 0:
            score = ((1 + self.beta ** 2) * prec_max * rec_max) / float(rec_max + self.beta ** 2 * prec_max)
        else:
            score = 0.0
        return score

    def compute_score(self, gts, res):
        assert gts.keys() == res.keys()
        score = []
        for id in gts.keys():
            hypo = res[id]
            ref = gts[id]
            assert type(hypo) is list and len(hypo) == 1
            assert type(ref) is list and len(ref) > 0
            score.append(self.calc_score(hypo, ref))
        average_score = np.mean(np.array(score))
        return average_score, np.array(score)


# ---- pyciderevalcap/ciderD/ciderD_scorer.py ----

def precook(s, n=4, out=False):
    words = s.split()
    counts = defaultdict(int)
    for k in range(1, n + 1):
        for i in range(len(words) - k + 1):
            ngram = tuple(words[i:i + k])
            counts[ngram] += 1
    return counts


def cook_refs(refs, n=4):
    return [precook(ref, n) for ref in refs]


def cook_test(test, n=4):
    return precook(test, n, True)


class CiderScorer:
    def __init__(self, test=None, refs=None, n=4, sigma=6.0):
        self.n = n
        self.sigma = sigma
        self.crefs = []
        self.ctest = []
        self.document_frequency = defaultdict(float)
        self.cook_append(test, refs)
        self.ref_len = None

    def cook_append(self, test, refs):
        if refs is not None:
            self.crefs.append(cook_refs(refs))
            if test is not None:
                self.ctest.append(cook_test(test))
            else:
                self.ctest.append(None)

    def __iadd__(self, other):
        if type(other) is tuple:
            self.cook_append(other[0], other[1])
        else:
            self.ctest.extend(other.ctest)
            self.crefs.extend(other.crefs)
        return self

    def compute_doc_freq(self):
        for refs in self.crefs:
            for ngram in set([ngram for ref in refs for (ngram, count) in ref.items()]):
                self.document_frequency[ngram] += 1

    def compute_cider(self):
        def counts2vec(cnts):
            vec = [defaultdict(float) for _ in range(self.n)]
            length = 0
            norm = [0.0 for _ in range(self.n)]
            for (ngram, term_freq) in cnts.items():
                df = np.log(max(1.0, self.document_frequency[ngram]))
                n = len(ngram) - 1
                vec[n][ngram] = float(term_freq) * (self.ref_len - df)
                norm[n] += pow(vec[n][ngram], 2)
                if n == 1:
                    length += term_freq
            norm = [np.sqrt(n) for n in norm]
            return vec, norm, length

        def sim(vec_hyp, vec_ref, norm_hyp, norm_ref, length_hyp, length_ref):
            delta = float(length_hyp - length_ref)
            val = np.array([0.0 for _ in range(self.n)])
            for n in range(self.n):
                for (ngram, count) in vec_hyp[n].items():
                    val[n] += min(vec_hyp[n][ngram], vec_ref[n][ngram]) * vec_ref[n][ngram]
                if (norm_hyp[n] != 0) and (norm_ref[n] != 0):
                    val[n] /= (norm_hyp[n] * norm_ref[n])
                assert not math.isnan(val[n])
                val[n] *= np.e ** (-(delta ** 2) / (2 * self.sigma ** 2))
            return val

        self.ref_len = np.log(float(len(self.crefs)))

        scores = []
        for test, refs in zip(self.ctest, self.crefs):
            vec, norm, length = counts2vec(test)
            score = np.array([0.0 for _ in range(self.n)])
            for ref in refs:
                vec_ref, norm_ref, length_ref = counts2vec(ref)
                score += sim(vec, vec_ref, norm, norm_ref, length, length_ref)
            score_avg = np.mean(score)
            score_avg /= len(refs)
            score_avg *= 10.0
            scores.append(score_avg)
        return scores

    def compute_score(self, option=None, verbose=0):
        self.compute_doc_freq()
        assert len(self.ctest) >= max(self.document_frequency.values())
        score = self.compute_cider()
        return np.mean(np.array(score)), np.array(score)


def cider_d(gts, res):
    """pyciderevalcap/ciderD/ciderD.py's CiderD.compute_score with df='corpus'."""
    cider_scorer = CiderScorer(n=4, sigma=6.0)
    for id in res:
        hypo = res[id]
        ref = gts[id]
        assert type(hypo) is list and len(hypo) == 1
        assert type(ref) is list and len(ref) > 0
        cider_scorer += (hypo[0], ref)
    return cider_scorer.compute_score()


def nltk_bleu(hypotheses, references):
    try:
        from nltk.translate.bleu_score import corpus_bleu
    except ImportError:
        return None
    warnings.simplefilter("ignore")  # NLTK warns of zero precisions; the tests expect them
    hyps = [h.split() for h in hypotheses]
    refs = [[r.split() for r in rs] for rs in references]
    weights = [(1, 0, 0, 0), (0.5, 0.5, 0, 0), (1 / 3, 1 / 3, 1 / 3, 0), (0.25, 0.25, 0.25, 0.25)]
    return [float(corpus_bleu(refs, hyps, weights=w)) for w in weights]


def main():
    with open(sys.argv[1]) as f:
        lines = [line.rstrip("\n").split("\t") for line in f]
    hypotheses = [fields[0] for fields in lines]
    references = [fields[1:] for fields in lines]
    res = {i: [h] for i, h in enumerate(hypotheses)}
    gts = {i: list(rs) for i, rs in enumerate(references)}
    rouge, rouge_per_image = Rouge().compute_score(gts, res)
    cider, cider_per_image = cider_d(gts, res)
    bleu = nltk_bleu(hypotheses, references)
    with open(sys.argv[2], "w") as f:
        f.write("bleu " + (" ".join(repr(b) for b in bleu) if bleu is not None else "none") + "\n")
        f.write("rouge_l %r\n" % float(rouge))
        f.write("rouge_l_per_image " + " ".join(repr(float(s)) for s in rouge_per_image) + "\n")
        f.write("cider_d %r\n" % float(cider))
        f.write("cider_d_per_image " + " ".join(repr(float(s)) for s in cider_per_image) + "\n")


if __name__ == "__main__":
    main()
