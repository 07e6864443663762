"""Python reference for the fnet pipelines' post-processing: what each task makes of a model's outputs.

A numpy port of Hugging Face transformers' pipeline post-processing (pipelines/text_classification.py,
token_classification.py, question_answering.py, fill_mask.py, zero_shot_classification.py), following the
semantics of docs/pipelines.md, which the C++ pipelines (include/fnet/pipelines/) implement too. Every function is pure:
it takes logits, pieces, offsets and ids, never a model or a tokenizer, so the same code checks both the
model-run fixtures and hand-made logits.

Deliberate differences from transformers (docs/pipelines.md lists them all):

* "word" / "answer" is the input text sliced at [start, end) (transformers decodes the pieces, which
  re-normalises the text).
* A token starts a word when its piece begins with U+2581 or it is the first token of its text
  (transformers' fallback for SentencePiece looks at the characters around the token's offsets).
* Question answering aligns an answer to whole words over the entire context, also where a word is
  split across windows (transformers' Encoding.word_to_chars only sees the window's tokens).
* Ties in every sort are broken by the original index, ascending (transformers uses argpartition,
  argsort or torch.topk, whose tie order is unspecified).
* Results are always lists (transformers returns a bare dict for a single result).
* Fill-mask with several masks fills the text of each mask's own prediction only, leaving the others.
"""
import numpy as np

SPIECE_UNDERLINE = "\u2581"


def softmax(x, axis=-1):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def order_descending(scores):
    """Indices by score descending; ties by index ascending (a stable sort)."""
    return [int(i) for i in np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")]


def _label(id2label, i):
    return id2label[str(i)] if str(i) in id2label else id2label[i]


def starts_word(piece, first):
    return first or piece.startswith(SPIECE_UNDERLINE)


# -- text-classification ---------------------------------------------------------------------------------

def resolve_function(function_to_apply, problem_type, num_labels):
    """The score function; null follows the config (transformers' default, keyed on problem_type)."""
    if function_to_apply is not None:
        if function_to_apply not in ("softmax", "sigmoid", "none"):
            raise ValueError(f"unknown function_to_apply {function_to_apply!r}")
        return function_to_apply
    # transformers tests multi-label or a single label before single-label; an explicit regression
    # problem type gives the raw score (docs/pipelines.md: a deliberate difference).
    if problem_type == "regression":
        return "none"
    if problem_type == "multi_label_classification" or num_labels == 1:
        return "sigmoid"
    return "softmax"


def text_classification(row_logits, id2label, problem_type=None, function_to_apply=None, top_k=1):
    """row_logits: one logits vector per model row (several for long_text "windows", averaged)."""
    logits = np.mean(np.asarray(row_logits, dtype=np.float64), axis=0)
    function = resolve_function(function_to_apply, problem_type, logits.shape[0])
    if function == "softmax":
        scores = softmax(logits)
    elif function == "sigmoid":
        scores = sigmoid(logits)
    else:
        scores = logits
    order = order_descending(scores)
    if top_k is not None:
        order = order[:top_k]
    return [{"label": _label(id2label, i), "score": float(scores[i])} for i in order]


# -- token-classification --------------------------------------------------------------------------------

def get_tag(label):
    if label.startswith("B-"):
        return "B", label[2:]
    if label.startswith("I-"):
        return "I", label[2:]
    return "I", label  # no B-/I- prefix: a continuation


def group_entities(entities, text):
    """Adjacent entities of one tag become one group, except that a "B-" entity always opens a new one."""
    groups, current = [], []

    def close():
        groups.append({"entity_group": current[0]["entity"].split("-", 1)[-1],
                       "score": float(np.mean([e["score"] for e in current])),
                       "word": text[current[0]["start"]:current[-1]["end"]],
                       "start": current[0]["start"], "end": current[-1]["end"]})

    for entity in entities:
        bi, tag = get_tag(entity["entity"])
        if current and tag == get_tag(current[-1]["entity"])[1] and bi != "B":
            current.append(entity)
        else:
            if current:
                close()
            current = [entity]
    if current:
        close()
    return groups


def pre_entities(tokens, logits):
    """tokens: [{"piece", "start", "end", "special"}] for every row position; logits: (positions, labels)."""
    scores = softmax(logits, axis=-1)
    out, first = [], True
    for index, token in enumerate(tokens):
        if token["special"]:
            continue
        out.append({"piece": token["piece"], "scores": scores[index], "start": token["start"], "end": token["end"],
                    "index": index, "is_subword": not starts_word(token["piece"], first)})
        first = False
    return out


def aggregate_word(word, strategy, id2label, text):
    if strategy == "first":
        scores = word[0]["scores"]
    elif strategy == "max":
        scores = max(word, key=lambda e: e["scores"].max())["scores"]  # max() keeps the first of equals
    elif strategy == "average":
        scores = np.mean(np.stack([e["scores"] for e in word]), axis=0)
    else:
        raise ValueError(f"unknown aggregation_strategy {strategy!r}")
    label = int(np.argmax(scores))
    start, end = word[0]["start"], word[-1]["end"]
    return {"entity": _label(id2label, label), "score": float(scores[label]), "word": text[start:end],
            "start": start, "end": end}


def token_classification(text, tokens, logits, id2label, aggregation_strategy="none", ignore_labels=("O",)):
    pre = pre_entities(tokens, logits)
    if aggregation_strategy in ("none", "simple"):
        entities = []
        for p in pre:
            label = int(np.argmax(p["scores"]))
            entities.append({"entity": _label(id2label, label), "score": float(p["scores"][label]),
                             "index": p["index"], "word": text[p["start"]:p["end"]],
                             "start": p["start"], "end": p["end"]})
        if aggregation_strategy == "simple":
            entities = group_entities(entities, text)
    else:
        words = []
        for p in pre:
            if words and p["is_subword"]:
                words[-1].append(p)
            else:
                words.append([p])
        entities = group_entities([aggregate_word(w, aggregation_strategy, id2label, text) for w in words], text)
    return [e for e in entities if e.get("entity") not in ignore_labels and e.get("entity_group") not in ignore_labels]


# -- question-answering ----------------------------------------------------------------------------------

def decode_spans(start, end, top_k, max_answer_len):
    """The top_k (start, end) token pairs by start[s] * end[e] over s <= e <= s + max_answer_len - 1 (the
    others score 0 and still compete), row-major index ascending on ties."""
    outer = np.outer(start, end)
    candidates = np.tril(np.triu(outer), max_answer_len - 1)
    flat = candidates.ravel()
    picked = np.argsort(-flat, kind="stable")[:top_k]
    return [(int(k) // candidates.shape[1], int(k) % candidates.shape[1], float(flat[k])) for k in picked]


def question_answering(context, windows, word_spans, top_k=1, max_answer_len=15, handle_impossible_answer=False,
                       align_to_words=True):
    """windows: per model row {"start_logits", "end_logits", "sequence_ids" (-1 special/pad, 0 question,
    1 context), "offsets" ([s, e] code points; context tokens into the context), "word_ids" (-1 off the
    context, else the word's index over the whole context)}; word_spans: per context word [start, end)."""
    if top_k < 1 or max_answer_len < 1:
        raise ValueError("top_k and max_answer_len must be at least 1")
    answers, min_null = [], 1000000.0  # transformers' "large and positive" start
    for w in windows:
        desired = np.asarray(w["sequence_ids"]) == 1
        desired[0] = True  # [CLS] stands for "no answer"
        start = softmax(np.where(desired, np.asarray(w["start_logits"], dtype=np.float64), -10000.0))
        end = softmax(np.where(desired, np.asarray(w["end_logits"], dtype=np.float64), -10000.0))
        if handle_impossible_answer:
            min_null = min(min_null, float(start[0] * end[0]))
        start[0] = end[0] = 0.0
        # top_k first, then the filter: a row may give fewer than top_k answers (as transformers).
        for s, e, score in decode_spans(start, end, top_k, max_answer_len):
            if not (desired[s] and desired[e]):
                continue
            s_char, e_char = w["offsets"][s][0], w["offsets"][e][1]
            if align_to_words:
                if w["word_ids"][s] >= 0:
                    s_char = word_spans[w["word_ids"][s]][0]
                if w["word_ids"][e] >= 0:
                    e_char = word_spans[w["word_ids"][e]][1]
            answers.append({"score": score, "start": s_char, "end": e_char, "answer": context[s_char:e_char]})
    if handle_impossible_answer:
        answers.append({"score": min_null, "start": 0, "end": 0, "answer": ""})
    return [answers[i] for i in order_descending([a["score"] for a in answers])][:top_k]


def context_words(pieces, offsets):
    """Word index per context token and each word's [start, end): a new word at each token that starts one."""
    word_ids, spans = [], []
    for k, (piece, (s, e)) in enumerate(zip(pieces, offsets)):
        if starts_word(piece, k == 0):
            spans.append([s, e])
        else:
            spans[-1][1] = e
        word_ids.append(len(spans) - 1)
    return word_ids, spans


# -- fill-mask -------------------------------------------------------------------------------------------

def resolve_targets(targets, vocab, tokenize):
    """Target ids: a vocabulary piece maps to its id, anything else to its first piece's id (skipped when it
    has none); duplicates dropped, first kept. vocab: piece -> id; tokenize: text -> pieces."""
    ids = []
    for target in targets:
        if target in vocab:
            i = vocab[target]
        else:
            pieces = tokenize(target)
            if not pieces:
                continue
            i = vocab.get(pieces[0], vocab.get("<unk>"))
        if i not in ids:
            ids.append(i)
    if not ids:
        raise ValueError("fill-mask: none of the targets is in the vocabulary")
    return ids


def token_str(piece):
    return piece.replace(SPIECE_UNDERLINE, " ").strip()


def fill_mask(text, ids, logits, mask_id, pieces, top_k=5, target_ids=None, mask_token="[MASK]"):
    """ids: the row's ids; logits: (positions, vocab); pieces: id -> piece. The k-th mask in the row fills
    the k-th mask_token of the text."""
    positions = [t for t, i in enumerate(ids) if i == mask_id]
    if not positions:
        raise ValueError("fill-mask: no mask token in the input")
    marks, at = [], text.find(mask_token)
    while at >= 0:
        marks.append(at)
        at = text.find(mask_token, at + len(mask_token))
    results = []
    for k, position in enumerate(positions):
        probs = softmax(logits[position])
        candidates = list(range(len(probs))) if target_ids is None else list(target_ids)
        chosen = [candidates[j] for j in order_descending(probs[candidates])[:min(top_k, len(candidates))]]
        mask_result = []
        for i in chosen:
            s = token_str(pieces[i])
            mask_result.append({"score": float(probs[i]), "token": int(i), "token_str": s,
                                "sequence": text[:marks[k]] + s + text[marks[k] + len(mask_token):]})
        results.append(mask_result)
    return results[0] if len(results) == 1 else results


# -- feature-extraction ----------------------------------------------------------------------------------

def feature_extraction(hidden, pooled, n, pooling="none"):
    """hidden: (L, hidden) of the row; pooled: (hidden,); n: non-padding tokens ([CLS] .. [SEP])."""
    hidden = np.asarray(hidden, dtype=np.float64)
    if pooling == "none":
        return hidden[:n].tolist()
    if pooling == "cls":
        return hidden[0].tolist()
    if pooling == "pooler":
        return np.asarray(pooled, dtype=np.float64).tolist()
    if pooling == "mean":
        return np.mean(hidden[:n], axis=0).tolist()
    raise ValueError(f"unknown pooling {pooling!r}")


# -- zero-shot-classification ----------------------------------------------------------------------------

def nli_ids(id2label):
    """(entailment id, contradiction id) of an NLI model's labels."""
    labels = sorted((int(k), v.lower()) for k, v in id2label.items())
    entail = next((i for i, v in labels if v.startswith("entail")), labels[-1][0])
    fallback = len(labels) - 1 if entail == 0 else 0
    contradict = next((i for i, v in labels if v.startswith("contradict")), fallback)
    return entail, contradict


def zero_shot_classification(sequence, candidate_labels, logits, id2label, multi_label=False):
    """logits: one NLI logits row per candidate label (its pair (sequence, hypothesis))."""
    logits = np.asarray(logits, dtype=np.float64)
    entail, contradict = nli_ids(id2label)
    if multi_label or len(candidate_labels) == 1:
        scores = softmax(logits[:, [contradict, entail]], axis=-1)[:, 1]
    else:
        scores = softmax(logits[:, entail])
    order = order_descending(scores)
    return {"sequence": sequence, "labels": [candidate_labels[i] for i in order],
            "scores": [float(scores[i]) for i in order]}


# -- multiple-choice -------------------------------------------------------------------------------------

def multiple_choice(logits):
    logits = np.asarray(logits, dtype=np.float64)
    return {"scores": softmax(logits).tolist(), "logits": logits.tolist(), "best": int(np.argmax(logits))}
