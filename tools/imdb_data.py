"""The IMDB reviews of ../shared/data/imdb/ as the example models use them.

split() is the one place the held-out reviews are chosen: the training stages and the held-out accuracy
check (tools/eval_imdb.py) both call it, so no stage can see a held-out review.
"""
import lzma
import os
import random

_cache = {}


def clean(text):
    """HTML line breaks to spaces, whitespace collapsed (the reviews are otherwise raw, cased text)."""
    return " ".join(text.replace("<br />", " ").replace("<br/>", " ").split())


def labelled(data):
    """[(label, text)] of train.tsv.xz in file order; label is 'positive' or 'negative'."""
    key = ("labelled", data)
    if key not in _cache:
        rows = []
        with lzma.open(os.path.join(data, "imdb", "train.tsv.xz"), "rt", encoding="utf-8") as f:
            header = f.readline().rstrip("\n").split("\t")
            if header != ["label", "rating", "text"]:
                raise ValueError(f"imdb/train.tsv.xz: unexpected header {header}")
            for line in f:
                label, _, text = line.rstrip("\n").split("\t", 2)
                rows.append((label, clean(text)))
        _cache[key] = rows
    return _cache[key]


def unlabelled(data):
    key = ("unlabelled", data)
    if key not in _cache:
        with lzma.open(os.path.join(data, "imdb", "unsup.txt.xz"), "rt", encoding="utf-8") as f:
            _cache[key] = [clean(line) for line in f if line.strip()]
    return _cache[key]


def split(data, heldout, seed):
    """(training rows, held-out rows): `heldout` labelled reviews, half of each label, drawn with `seed`;
    the training rows in a seeded random order."""
    rows = labelled(data)
    rng = random.Random(seed)
    by_label = {}
    for i, (label, _) in enumerate(rows):
        by_label.setdefault(label, []).append(i)
    held = set()
    for label in sorted(by_label):
        held.update(rng.sample(by_label[label], heldout // len(by_label)))
    train = [rows[i] for i in range(len(rows)) if i not in held]
    rng.shuffle(train)
    return train, [rows[i] for i in sorted(held)]
