"""Writes the fixtures of the pipeline tests: small random FNet checkpoints for every task, the pipelines'
expected outputs on them (the PyTorch reference in float64, then pipelines_reference.py), and hand-made
logits cases for the post-processing alone.

  <out>/models/<name>/{config.json, model.safetensors (F32), spiece.model, tokenizer_config.json}
  <out>/cases.json              [{"name", "task", "model", "input", "options", "expected"}, ...]
  <out>/postprocess_cases.json  [{"name", "task", "input", "options", "expected"}, ...]

Every row is padded to L = 24 (tokenizer_config.json's model_max_length), so long inputs need windows.
Offsets are found here independently of the tokenizer: each piece's surface (the piece without its leading
"\u2581") is looked up in the text from the previous token's end. The inputs are chosen so that this is
exact (lower-case ASCII, single spaces, no lone "\u2581" pieces, no <unk>), and so that no result hangs on
a near-tie a float32 forward pass could flip (check_margins).
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fnet_reference as ref  # noqa: E402
import pipelines_reference as pipe  # noqa: E402
import safetensors_io  # noqa: E402
from fnet_tokenizer import FNetTokenizer, _windows, encode_windows  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SPIECE_DIR = os.path.join(HERE, "..", "..", "examples", "models", "sst2-fnet-small")
L = 24
MARGIN = 1e-3  # relative gap every decision of a model case must clear

SIZES = dict(vocab_size=8000, hidden_size=32, num_hidden_layers=2, intermediate_size=64, max_position_embeddings=32,
             type_vocab_size=4, hidden_act="gelu_new", layer_norm_eps=1e-12, pad_token_id=0, bos_token_id=2,
             eos_token_id=3)
SENTIMENT = {0: "negative", 1: "neutral", 2: "positive"}
NLI = {0: "contradiction", 1: "neutral", 2: "entailment"}
NER = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}

# name: (reference class, architecture, extra config fields)
MODELS = {
    "text_classification": (ref.FNetForSequenceClassification, "FNetForSequenceClassification",
                            {"id2label": SENTIMENT}),
    "text_classification_multi": (ref.FNetForSequenceClassification, "FNetForSequenceClassification",
                                  {"id2label": SENTIMENT, "problem_type": "multi_label_classification"}),
    "regression": (ref.FNetForSequenceClassification, "FNetForSequenceClassification",
                   {"id2label": {0: "score"}, "problem_type": "regression"}),
    "nli": (ref.FNetForSequenceClassification, "FNetForSequenceClassification", {"id2label": NLI}),
    "token_classification": (ref.FNetForTokenClassification, "FNetForTokenClassification", {"id2label": NER}),
    "question_answering": (ref.FNetForQuestionAnswering, "FNetForQuestionAnswering", {}),
    "masked_lm": (ref.FNetForMaskedLM, "FNetForMaskedLM", {}),
    "multiple_choice": (ref.FNetForMultipleChoice, "FNetForMultipleChoice", {}),
    "encoder": (ref.FNetModel, "FNetModel", {}),
}

LONG_REVIEW = ("the plot is thin and the acting is wooden, yet the soundtrack somehow carries the whole thing along "
               "with surprising charm and a few genuinely funny moments that made me laugh long after the credits "
               "rolled, even though the ending felt rushed and the villain never made much sense to anyone in the "
               "audience.")
NER_TEXT = "anna smithson moved from berlin to paris last summer with her brother."
QA_QUESTION = "what did the critics praise?"
QA_SHORT = "critics praised the score by a young composer."
QA_LONG = ("the film opened in paris in june. critics praised the score by a young composer from lisbon, but the "
           "director was criticised for the pacing of the second half.")
QA_VERY_LONG = QA_LONG + " many found it slow and confusing, and the studio cut ten minutes before the release."


# -- inputs: pieces, offsets, rows -----------------------------------------------------------------------

def locate(text, pieces):
    """[start, end) of each piece's surface in text, searched from the previous token's end."""
    offsets, at = [], 0
    for piece in pieces:
        surface = piece[1:] if piece.startswith(pipe.SPIECE_UNDERLINE) else piece
        assert surface, f"lone \u2581 piece in {text!r}: its offsets would be ambiguous"
        found = text.find(surface, at)
        assert found >= 0 and not text[at:found].strip(), f"{piece!r} not found at {at} in {text!r}"
        offsets.append([found, found + len(surface)])
        at = found + len(surface)
    return offsets


def pieces_of(tok, text):
    pieces = tok.tokenize(text)
    assert tok.unk_id not in tok.convert_tokens_to_ids(pieces), f"<unk> in {text!r}"
    return pieces, locate(text, pieces)


def row_tokens(tok, ids, pieces, offsets):
    """Per row position {"piece", "start", "end", "special"}; the row is [CLS] pieces... [SEP] <pad>..."""
    special = {tok.cls_id, tok.sep_id, tok.pad_id, tok.mask_id}
    out, k = [], 0
    for i in ids:
        if i in special:
            out.append({"piece": tok.sp.IdToPiece(i), "start": 0, "end": 0, "special": True})
        else:
            assert tok.sp.PieceToId(pieces[k]) == i
            out.append({"piece": pieces[k], "start": offsets[k][0], "end": offsets[k][1], "special": False})
            k += 1
    return out


class Runner:
    """The float64 reference models, each on exactly the F32 weights it was saved with."""

    def __init__(self, out, seed):
        self.tok = None
        self.models, self.configs = {}, {}
        for index, (name, (cls, architecture, extra)) in enumerate(MODELS.items()):
            directory = os.path.join(out, "models", name)
            os.makedirs(directory, exist_ok=True)
            shutil.copy(os.path.join(SPIECE_DIR, "spiece.model"), directory)
            with open(os.path.join(SPIECE_DIR, "tokenizer_config.json")) as f:
                tokenizer_config = json.load(f)
            tokenizer_config["model_max_length"] = L
            with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
                json.dump(tokenizer_config, f, indent=2)
            config = ref.Config(**SIZES, architectures=[architecture], **extra)
            # Larger weights than randomize_'s default, so that scores spread out instead of all being near-equal.
            model = ref.randomize_(cls(config), torch.Generator().manual_seed(seed + index), weight_std=0.3).eval()
            skip = {"cls.predictions.decoder.weight", "cls.predictions.decoder.bias"}  # tied, as HF saves them
            weights = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items() if k not in skip}
            safetensors_io.save(os.path.join(directory, "model.safetensors"), weights)
            with open(os.path.join(directory, "config.json"), "w") as f:
                json.dump(config.to_dict(), f, indent=2)
            self.models[name] = model.double()  # the weights are float32 values: exact in float64
            self.configs[name] = config
            if self.tok is None:
                self.tok = FNetTokenizer(directory)
                assert self.tok.model_max_length == L

    def __call__(self, name, rows):
        """rows: [(ids, types)], all of length L. Multiple choice takes them as the choices of one question."""
        ids = torch.tensor([r[0] for r in rows])
        types = torch.tensor([r[1] for r in rows])
        assert ids.shape[1] == L
        model = self.models[name]
        with torch.inference_mode():
            if isinstance(model, ref.FNetForMultipleChoice):
                return model(ids[None], types[None])["logits"][0].numpy()
            out = model(ids, types)
        if isinstance(out, dict):
            return {k: v.numpy() for k, v in out.items()}
        return [v.numpy() for v in out]


# -- model cases -----------------------------------------------------------------------------------------

def text_classification_case(run, name, model, text, text_pair=None, **options):
    tok, config = run.tok, run.configs[model]
    if options.get("long_text") == "windows":
        stride = options.get("stride")
        rows = encode_windows(tok, text, max_length=L, stride=L // 4 if stride is None else stride)
    else:
        rows = [tok.encode(text, text_pair, max_length=L)]
    logits = run(model, rows)[2]
    expected = pipe.text_classification(logits, config.id2label, getattr(config, "problem_type", None),
                                        options.get("function_to_apply"), options.get("top_k", 1))
    function = pipe.resolve_function(options.get("function_to_apply"), getattr(config, "problem_type", None),
                                     config.num_labels)
    mean = logits.mean(axis=0)
    scores = {"softmax": pipe.softmax, "sigmoid": pipe.sigmoid, "none": lambda x: x}[function](mean)
    top_k = options.get("top_k", 1)
    check_order(name, scores, len(scores) if top_k is None else top_k)
    inputs = {"text": text} if text_pair is None else {"text": text, "text_pair": text_pair}
    return case(name, "text-classification", model, inputs, options, expected, rows=len(rows))


def token_classification_case(run, name, text, **options):
    tok, config = run.tok, run.configs["token_classification"]
    pieces, offsets = pieces_of(tok, text)
    ids, types = tok.encode(text, max_length=L)
    tokens = row_tokens(tok, ids, pieces, offsets)
    logits = run("token_classification", [(ids, types)])["logits"][0]
    strategy = options.get("aggregation_strategy", "none")
    expected = pipe.token_classification(text, tokens, logits, config.id2label, strategy,
                                         options.get("ignore_labels", ["O"]))
    for t, token in enumerate(tokens):
        if not token["special"]:
            check_order(f"{name} token {t}", pipe.softmax(logits[t]), 1)
    if strategy in ("average", "max"):
        pre = pipe.pre_entities(tokens, logits)
        words = []
        for p in pre:
            words.append([p]) if not words or not p["is_subword"] else words[-1].append(p)
        for w in words:
            check_order(f"{name} word average", np.mean([p["scores"] for p in w], axis=0), 1)
            check_order(f"{name} word max", [p["scores"].max() for p in w], 1)
    return case(name, "token-classification", "token_classification", {"text": text}, options, expected)


def qa_windows(tok, question, context, stride):
    """The rows of question answering and their post-processing inputs (spec: "Post-processing inputs")."""
    q_pieces, q_offsets = pieces_of(tok, question)
    c_pieces, c_offsets = pieces_of(tok, context)
    word_ids, word_spans = pipe.context_words(c_pieces, c_offsets)
    rows = encode_windows(tok, question, context, max_length=L, truncation="only_second", stride=stride)
    keep = min(len(c_pieces), L - 3 - len(q_pieces))
    spans = _windows(list(range(len(c_pieces))), keep, stride)
    assert len(spans) == len(rows)
    q_ids, c_ids = tok.convert_tokens_to_ids(q_pieces), tok.convert_tokens_to_ids(c_pieces)
    windows = []
    for (ids, types), span in zip(rows, spans):
        expect = [tok.cls_id] + q_ids + [tok.sep_id] + [c_ids[k] for k in span] + [tok.sep_id]
        assert ids == expect + [tok.pad_id] * (L - len(expect)), "window layout differs from the tokenizer's"
        pad = L - len(expect)
        windows.append({
            "sequence_ids": [-1] + [0] * len(q_ids) + [-1] + [1] * len(span) + [-1] + [-1] * pad,
            "offsets": [[0, 0]] + q_offsets + [[0, 0]] + [c_offsets[k] for k in span] + [[0, 0]] * (1 + pad),
            "word_ids": [-1] * (len(q_ids) + 2) + [word_ids[k] for k in span] + [-1] * (1 + pad),
        })
    return rows, windows, word_spans


def question_answering_case(run, name, question, context, **options):
    stride = options.get("doc_stride")
    if stride is None:
        # The default, min(L/2, 128), shrinks when a long question leaves a window less room.
        room = L - 3 - len(run.tok.tokenize(question))
        stride = min(L // 2, 128, room - 1)
    rows, windows, word_spans = qa_windows(run.tok, question, context, stride)
    out = run("question_answering", rows)
    for w, s, e in zip(windows, out["start_logits"], out["end_logits"]):
        w["start_logits"], w["end_logits"] = s.tolist(), e.tolist()
    qa_options = {k: options[k] for k in ("top_k", "max_answer_len", "handle_impossible_answer", "align_to_words")
                  if k in options}
    expected = pipe.question_answering(context, windows, word_spans, **qa_options)
    check_qa_margins(name, windows, **qa_options)
    return case(name, "question-answering", "question_answering", {"question": question, "context": context},
                options, expected, rows=len(rows))


def fill_mask_case(run, name, text, **options):
    tok = run.tok
    ids, types = tok.encode(text, max_length=L)
    logits = run("masked_lm", [(ids, types)])[2][0]
    pieces = [tok.sp.IdToPiece(i) for i in range(tok.vocab_size)]
    targets = None
    if options.get("targets") is not None:
        vocab = {p: i for i, p in enumerate(pieces)}
        targets = pipe.resolve_targets(options["targets"], vocab, tok.tokenize)
    top_k = options.get("top_k", 5)
    expected = pipe.fill_mask(text, ids, logits, tok.mask_id, pieces, top_k, targets)
    for t in (t for t, i in enumerate(ids) if i == tok.mask_id):
        probs = pipe.softmax(logits[t])
        check_order(f"{name} mask {t}", probs if targets is None else probs[targets], top_k)
    return case(name, "fill-mask", "masked_lm", {"text": text}, options, expected)


def feature_extraction_case(run, name, text, pooling):
    ids, types = run.tok.encode(text, max_length=L)
    hidden, pooled = run("encoder", [(ids, types)])
    n = sum(1 for i in ids if i != run.tok.pad_id)
    expected = pipe.feature_extraction(hidden[0], pooled[0], n, pooling)
    return case(name, "feature-extraction", "encoder", {"text": text}, {"pooling": pooling}, expected)


def zero_shot_case(run, name, sequence, candidate_labels, **options):
    template = options.get("hypothesis_template", "This example is {}.")
    rows = [encode_windows(run.tok, sequence, template.replace("{}", label), max_length=L, truncation="only_first")[0]
            for label in candidate_labels]
    logits = run("nli", rows)[2]
    multi = options.get("multi_label", False)
    expected = pipe.zero_shot_classification(sequence, candidate_labels, logits, run.configs["nli"].id2label, multi)
    check_order(name, expected["scores"], len(candidate_labels))
    return case(name, "zero-shot-classification", "nli", {"sequences": sequence},
                dict(options, candidate_labels=candidate_labels), expected)


def multiple_choice_case(run, name, question, choices):
    rows = [run.tok.encode(question, choice, max_length=L) for choice in choices]
    logits = run("multiple_choice", rows)
    check_order(name, logits, 1)
    return case(name, "multiple-choice", "multiple_choice", {"question": question, "choices": choices}, {},
                pipe.multiple_choice(logits))


def case(name, task, model, inputs, options, expected, rows=1):
    out = {"name": name, "task": task}
    if model is not None:
        out["model"] = model
    out.update({"input": inputs, "options": options, "expected": expected})
    out["_rows"] = rows  # dropped before writing; lets the script check that windows happened
    return out


def model_cases(run):
    tc, tk, qa = text_classification_case, token_classification_case, question_answering_case
    good = "it is a truly wonderful film, full of warmth and humour."
    cases = [
        tc(run, "text_classification_default", "text_classification", good),
        tc(run, "text_classification_top_k_null", "text_classification", good, top_k=None),
        tc(run, "text_classification_sigmoid_top_k_2", "text_classification", "a dull and lifeless story.",
           function_to_apply="sigmoid", top_k=2),
        tc(run, "text_classification_none_all", "text_classification", "a dull and lifeless story.",
           function_to_apply="none", top_k=None),
        tc(run, "text_classification_softmax_top_k_1", "text_classification", "the cast is fine but the script is not.",
           function_to_apply="softmax", top_k=1),
        tc(run, "text_classification_function_null", "text_classification", "the cast is fine but the script is not.",
           function_to_apply=None, top_k=None),
        tc(run, "text_classification_pair", "text_classification", "the acting is wooden.", "the soundtrack is lovely.",
           top_k=None),
        tc(run, "text_classification_truncate", "text_classification", LONG_REVIEW, long_text="truncate", top_k=None),
        tc(run, "text_classification_windows", "text_classification", LONG_REVIEW, long_text="windows", stride=None,
           top_k=None),
        tc(run, "text_classification_windows_stride_2", "text_classification", LONG_REVIEW, long_text="windows",
           stride=2, top_k=2),
        tc(run, "text_classification_multi_label", "text_classification_multi", good, top_k=None),
        tc(run, "text_classification_multi_label_softmax", "text_classification_multi", good,
           function_to_apply="softmax", top_k=2),
        tc(run, "regression_default", "regression", good),
        tc(run, "regression_sigmoid", "regression", good, function_to_apply="sigmoid", top_k=None),
    ]
    for strategy in ("none", "simple", "first", "average", "max"):
        cases.append(tk(run, f"token_classification_{strategy}", NER_TEXT, aggregation_strategy=strategy))
    cases += [
        tk(run, "token_classification_default", NER_TEXT),
        tk(run, "token_classification_keep_o", NER_TEXT, aggregation_strategy="simple", ignore_labels=[]),
        tk(run, "token_classification_ignore_loc", NER_TEXT, aggregation_strategy="first", ignore_labels=["O", "LOC"]),
        tk(run, "token_classification_truncated", LONG_REVIEW, aggregation_strategy="average"),
        qa(run, "question_answering_default", QA_QUESTION, QA_SHORT),
        qa(run, "question_answering_top_k_3", QA_QUESTION, QA_SHORT, top_k=3),
        qa(run, "question_answering_impossible", QA_QUESTION, QA_SHORT, top_k=2, handle_impossible_answer=True),
        qa(run, "question_answering_possible_only", QA_QUESTION, QA_SHORT, top_k=2, handle_impossible_answer=False),
        qa(run, "question_answering_windows_stride_4", QA_QUESTION, QA_LONG, top_k=3, doc_stride=4,
           handle_impossible_answer=True),
        qa(run, "question_answering_windows_default_stride", QA_QUESTION, QA_VERY_LONG, doc_stride=None, top_k=2),
        # A question long enough that the default stride (L/2 = 12) must shrink to fit the window's room.
        qa(run, "question_answering_long_question", "who was the young composer who lived in the old house by the river ?",
           QA_LONG, top_k=2),
        qa(run, "question_answering_no_word_alignment", QA_QUESTION, QA_LONG, top_k=3, doc_stride=4,
           max_answer_len=3, align_to_words=False),
        fill_mask_case(run, "fill_mask_one", "the movie was [MASK] and the cast was great."),
        fill_mask_case(run, "fill_mask_two_top_k_2", "a [MASK], witty and [MASK] film.", top_k=2),
        fill_mask_case(run, "fill_mask_targets", "the movie was [MASK] and the cast was great.",
                       targets=["\u2581good", "wonderfully", "goodness"]),
        fill_mask_case(run, "fill_mask_top_k_1", "the ending was [MASK].", top_k=1, targets=None),
    ]
    for pooling in ("none", "cls", "pooler", "mean"):
        cases.append(feature_extraction_case(run, f"feature_extraction_{pooling}", good, pooling))
    cases += [
        feature_extraction_case(run, "feature_extraction_mean_truncated", LONG_REVIEW, "mean"),
        zero_shot_case(run, "zero_shot", good, ["cinema", "politics", "sports"]),
        zero_shot_case(run, "zero_shot_multi_label", good, ["cinema", "politics", "sports"], multi_label=True),
        zero_shot_case(run, "zero_shot_single_label", good, ["cinema"]),
        zero_shot_case(run, "zero_shot_template", good, ["cinema", "music"], hypothesis_template="the topic is {}.",
                       multi_label=False),
        zero_shot_case(run, "zero_shot_truncated", LONG_REVIEW, ["cinema", "music"]),
        multiple_choice_case(run, "multiple_choice", "where did the film open?",
                             ["in paris.", "in a small town near the sea.", "nowhere at all."]),
        multiple_choice_case(run, "multiple_choice_truncated", LONG_REVIEW, ["it was good.", "it was bad."]),
    ]
    return cases


# -- hand-made post-processing cases ---------------------------------------------------------------------

def token_classification_post_cases():
    text = "anna smithson visited paris today"
    pieces = ["\u2581anna", "\u2581smith", "son", "\u2581visited", "\u2581par", "is", "\u2581today"]
    offsets = locate(text, pieces)
    tokens = ([{"piece": "[CLS]", "start": 0, "end": 0, "special": True}]
              + [{"piece": p, "start": s, "end": e, "special": False} for p, (s, e) in zip(pieces, offsets)]
              + [{"piece": "[SEP]", "start": 0, "end": 0, "special": True},
                 {"piece": "<pad>", "start": 0, "end": 0, "special": True}])
    # Probabilities per label (O, B-PER, I-PER, B-LOC, I-LOC); the logits are their logs. "smithson" is where
    # the strategies part: first says I-PER, max B-LOC ("son"), average I-LOC; "today" is a B- after a LOC.
    probs = [[0.2, 0.2, 0.2, 0.2, 0.2],          # [CLS]
             [0.05, 0.8, 0.05, 0.05, 0.05],      # anna
             [0.02, 0.02, 0.55, 0.01, 0.40],     # smith
             [0.005, 0.003, 0.002, 0.60, 0.39],  # son
             [0.9, 0.025, 0.025, 0.025, 0.025],  # visited
             [0.05, 0.03, 0.02, 0.7, 0.2],       # par
             [0.1, 0.03, 0.02, 0.05, 0.8],       # is
             [0.45, 0.02, 0.01, 0.5, 0.02],      # today
             [0.2, 0.2, 0.2, 0.2, 0.2],          # [SEP]
             [0.96, 0.01, 0.01, 0.01, 0.01]]     # <pad>
    logits = np.log(np.array(probs)).tolist()
    id2label = {str(k): v for k, v in NER.items()}
    inputs = {"text": text, "tokens": tokens, "logits": logits, "id2label": id2label}
    cases, results = [], []
    for strategy in ("none", "simple", "first", "average", "max"):
        expected = pipe.token_classification(text, tokens, logits, id2label, strategy)
        results.append(json.dumps(expected))
        cases.append(case(f"token_classification_{strategy}", "token-classification", None, inputs,
                          {"aggregation_strategy": strategy}, expected))
    assert len(set(results)) == 5, "each strategy must give its own result on this input"
    grouped = [e["entity_group"] for e in json.loads(results[1])]
    assert grouped == ["PER", "LOC", "LOC", "LOC"], grouped  # B-LOC "today" does not join "paris"
    keep_all = pipe.token_classification(text, tokens, logits, id2label, "simple", [])
    assert any(e["entity_group"] == "O" for e in keep_all)
    cases.append(case("token_classification_keep_o", "token-classification", None, inputs,
                      {"aggregation_strategy": "simple", "ignore_labels": []}, keep_all))
    return cases


def hand_qa(question_pieces, question, context_pieces, context, windows, logits, rng):
    """Post-processing input from hand-chosen pieces. windows: the context token range of each row (rows are
    [CLS] question [SEP] context [SEP], padded to the longest); logits: per window {("start"|"end", token):
    value}, where token is "cls" or a context token index; other positions get low noise."""
    q_offsets, c_offsets = locate(question, question_pieces), locate(context, context_pieces)
    word_ids, word_spans = pipe.context_words(context_pieces, c_offsets)
    length = len(question_pieces) + 3 + max(len(w) for w in windows)
    out = []
    for span, chosen in zip(windows, logits):
        n = len(question_pieces) + 2
        pad = length - n - len(span) - 1
        w = {"sequence_ids": [-1] + [0] * len(question_pieces) + [-1] + [1] * len(span) + [-1] * (1 + pad),
             "offsets": [[0, 0]] + q_offsets + [[0, 0]] + [c_offsets[k] for k in span] + [[0, 0]] * (1 + pad),
             "word_ids": [-1] * n + [word_ids[k] for k in span] + [-1] * (1 + pad)}
        for side in ("start", "end"):
            values = rng.uniform(-2.0, -1.0, size=length)
            for (which, token), value in chosen.items():
                if which == side:
                    values[0 if token == "cls" else n + list(span).index(token)] = value
            w[f"{side}_logits"] = values.tolist()
        out.append(w)
    return {"context": context, "windows": out, "word_spans": word_spans}


def question_answering_post_cases(rng):
    u = pipe.SPIECE_UNDERLINE
    question, q_pieces = "where is the cat?", [u + "where", u + "is", u + "the", u + "cat", "?"]
    context = "the cat sat on the mat near the red door of the old house"
    c_pieces = [u + w for w in "the cat sat on the mat near the red".split()] + [u + "do", "or"] + \
               [u + w for w in "of the old house".split()]
    windows = [range(0, 8), range(5, 13), range(10, 15)]  # 8 context tokens a row, sharing 3
    # The best span ("red door", tokens 8-10) exists only in the second window; the third starts inside "door".
    logits = [{("start", 5): 2.0, ("end", 5): 2.0},
              {("start", 8): 6.0, ("end", 9): 3.0, ("end", 10): 6.0},
              {("start", 10): 3.0, ("end", 10): 3.0}]
    second = hand_qa(q_pieces, question, c_pieces, context, windows, logits, rng)
    best = pipe.question_answering(context, second["windows"], second["word_spans"], top_k=3)
    assert best[0]["answer"] == "red door" and best[1]["answer"] == "door", best
    cases = [case("question_answering_best_in_second_window", "question-answering", None, second, {"top_k": 3}, best)]

    # Two context tokens and max_answer_len 1: two spans score > 0, then zeros in row-major order. top_k 4
    # takes (0, 0) (kept: [CLS], the empty answer) and (0, 1) (dropped: a question token) before filtering.
    tiny = hand_qa([u + "who", "?"], "who?", [u + "yes", u + "no"], "yes no", [range(0, 2)],
                   [{("start", 0): 1.0, ("end", 0): 1.0, ("start", 1): 2.0, ("end", 1): 0.5}], rng)
    dropped = pipe.question_answering("yes no", tiny["windows"], tiny["word_spans"], top_k=4, max_answer_len=1)
    assert len(dropped) == 3 and dropped[2] == {"score": 0.0, "start": 0, "end": 0, "answer": ""}, dropped
    cases.append(case("question_answering_top_k_before_filter", "question-answering", None, tiny,
                      {"top_k": 4, "max_answer_len": 1}, dropped))

    # [CLS] dominates both windows: the impossible answer (the smaller of the two windows' [CLS] scores) wins.
    null = [{("start", "cls"): 5.0, ("end", "cls"): 5.0, ("start", 5): 2.0, ("end", 6): 2.0},
            {("start", "cls"): 4.0, ("end", "cls"): 4.5, ("start", 8): 2.5, ("end", 10): 2.5},
            {("start", "cls"): 6.0, ("end", "cls"): 6.0}]
    impossible = hand_qa(q_pieces, question, c_pieces, context, windows, null, rng)
    for handle in (True, False):
        expected = pipe.question_answering(context, impossible["windows"], impossible["word_spans"], top_k=2,
                                           handle_impossible_answer=handle)
        assert (expected[0]["answer"] == "") == handle, expected
        cases.append(case(f"question_answering_impossible_{'wins' if handle else 'ignored'}", "question-answering",
                          None, impossible, {"top_k": 2, "handle_impossible_answer": handle}, expected))
    unaligned = pipe.question_answering(context, second["windows"], second["word_spans"], top_k=3, align_to_words=False)
    assert unaligned[1]["answer"] == "or", unaligned  # the third window's span, not widened to "door"
    cases.append(case("question_answering_no_word_alignment", "question-answering", None, second,
                      {"top_k": 3, "align_to_words": False}, unaligned))
    return cases


def zero_shot_post_cases():
    sequence, labels = "the match went to extra time.", ["cinema", "sports", "politics"]
    # (contradiction, neutral, entailment) per label: the entailment logits order cinema > sports > politics,
    # entailment - contradiction orders sports > cinema > politics.
    logits = [[2.5, 0.0, 3.0], [-2.0, 0.5, 1.0], [0.0, 1.0, 0.0]]
    nli = {str(k): v for k, v in NLI.items()}
    cases, orders = [], []
    for multi in (False, True):
        expected = pipe.zero_shot_classification(sequence, labels, logits, nli, multi)
        orders.append(expected["labels"])
        cases.append(case(f"zero_shot_multi_label_{str(multi).lower()}", "zero-shot-classification", None,
                          {"sequence": sequence, "candidate_labels": labels, "logits": logits, "id2label": nli},
                          {"multi_label": multi}, expected))
    assert orders[0] != orders[1], orders
    # Entailment at id 0 and contradiction found by name; and labels naming neither (the last id is entailment).
    for suffix, id2label in (("entailment_first", {"0": "ENTAILMENT", "1": "neutral", "2": "Contradiction"}),
                             ("unnamed_labels", {"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"})):
        expected = pipe.zero_shot_classification(sequence, labels, logits, id2label, True)
        cases.append(case(f"zero_shot_{suffix}", "zero-shot-classification", None,
                          {"sequence": sequence, "candidate_labels": labels, "logits": logits, "id2label": id2label},
                          {"multi_label": True}, expected))
    assert pipe.nli_ids({"0": "ENTAILMENT", "1": "neutral", "2": "Contradiction"}) == (0, 2)
    assert pipe.nli_ids({"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"}) == (2, 0)
    return cases


# -- checks ----------------------------------------------------------------------------------------------

def check_order(name, scores, top_k):
    """The first top_k + 1 scores (sorted) are apart by MARGIN (relative), so a float32 run ranks them alike."""
    s = sorted((float(x) for x in scores), reverse=True)[:top_k + 1]
    for a, b in zip(s, s[1:]):
        assert a - b >= MARGIN * max(abs(a), abs(b), 1e-12), f"{name}: near-tie {a} vs {b}; pick other inputs or --seed"


def check_qa_margins(name, windows, top_k=1, max_answer_len=15, handle_impossible_answer=False, **_):
    """Each window's top_k cut and the final ranking, over the positive span scores (the zeros of masked
    tokens are exact in float32 too)."""
    finalists, min_null = [], 1000000.0
    for w in windows:
        desired = np.asarray(w["sequence_ids"]) == 1
        desired[0] = True
        start = pipe.softmax(np.where(desired, w["start_logits"], -10000.0))
        end = pipe.softmax(np.where(desired, w["end_logits"], -10000.0))
        min_null = min(min_null, start[0] * end[0])
        start[0] = end[0] = 0.0
        flat = np.tril(np.triu(np.outer(start, end)), max_answer_len - 1).ravel()
        flat = flat[flat > 0]
        check_order(f"{name} window", flat, top_k)
        finalists += sorted(flat, reverse=True)[:top_k]
    check_order(f"{name} answers", finalists + ([min_null] if handle_impossible_answer else []), top_k)


def self_test():
    """The reference against behaviour stated outside it: transformers' aggregation_strategy docs example,
    and span decoding against brute force."""
    text = "a b c d e"
    tags = ["B-TAG", "I-TAG", "I-TAG", "B-TAG2", "B-TAG2"]
    entities = [{"entity": t, "score": 0.5, "start": 2 * k, "end": 2 * k + 1} for k, t in enumerate(tags)]
    assert [(g["entity_group"], g["word"]) for g in pipe.group_entities(entities, text)] == \
        [("TAG", "a b c"), ("TAG2", "d"), ("TAG2", "e")]
    rng = np.random.default_rng(0)
    start, end = rng.random(9), rng.random(9)
    start[3] = start[5]  # a tie, broken row-major
    brute = sorted(((start[s] * end[e] if s <= e <= s + 3 else 0.0, s * 9 + e) for s in range(9) for e in range(9)),
                   key=lambda x: (-x[0], x[1]))[:6]
    assert [(s * 9 + e, score) for s, e, score in pipe.decode_spans(start, end, 6, 4)] == [(k, v) for v, k in brute]


def check_invariants(c):
    task, exp, opt, inp = c["task"], c["expected"], c["options"], c["input"]

    def descending(scores):
        assert all(a >= b for a, b in zip(scores, scores[1:])), (c["name"], scores)

    if task == "text-classification":
        top_k, labels = opt.get("top_k", 1), 1 if c["model"] == "regression" else 3
        assert len(exp) == (labels if top_k is None else min(top_k, labels))
        descending([e["score"] for e in exp])
        if top_k is None and c["model"] == "text_classification" and opt.get("function_to_apply") in (None, "softmax"):
            assert abs(sum(e["score"] for e in exp) - 1.0) < 1e-12
    elif task == "token-classification":
        text, last_end = inp["text"], 0
        for e in exp:
            assert e["word"] == text[e["start"]:e["end"]] and e["start"] < e["end"], (c["name"], e)
            assert e["start"] >= last_end and 0.0 < e["score"] <= 1.0
            last_end = e["end"]
            label = e.get("entity", e.get("entity_group"))
            assert label not in opt.get("ignore_labels", ["O"])
            keys = ["entity", "score", "index", "word", "start", "end"] if opt.get("aggregation_strategy", "none") == \
                "none" else ["entity_group", "score", "word", "start", "end"]
            assert list(e) == keys, (c["name"], list(e))
    elif task == "question-answering":
        assert 0 < len(exp) <= opt.get("top_k", 1)
        descending([a["score"] for a in exp])
        for a in exp:
            assert a["answer"] == inp["context"][a["start"]:a["end"]] and a["start"] <= a["end"], (c["name"], a)
            assert a["answer"] == "" or (a["answer"] == a["answer"].strip() and a["score"] > 0)
        if not opt.get("handle_impossible_answer", False):
            assert all(a["answer"] for a in exp if a["score"] > 0)
    elif task == "fill-mask":
        lists = exp if isinstance(exp[0], list) else [exp]
        assert len(lists) == inp["text"].count("[MASK]")
        for k, results in enumerate(lists):
            descending([r["score"] for r in results])
            for r in results:
                # the k-th mask filled, the others left as they are
                filled = inp["text"].replace("[MASK]", "\0", k).replace("[MASK]", r["token_str"], 1)
                assert r["sequence"] == filled.replace("\0", "[MASK]"), (c["name"], r)
    elif task == "feature-extraction":
        pooling = opt["pooling"]
        assert (len(exp[0]) == SIZES["hidden_size"] and 2 < len(exp) <= L) if pooling == "none" else \
            len(exp) == SIZES["hidden_size"]
    elif task == "zero-shot-classification":
        labels = opt.get("candidate_labels") or inp.get("candidate_labels")
        assert sorted(exp["labels"]) == sorted(labels)
        descending(exp["scores"])
        if not opt.get("multi_label", False) and len(labels) > 1:
            assert abs(sum(exp["scores"]) - 1.0) < 1e-12
    elif task == "multiple-choice":
        assert len(exp["scores"]) == len(inp["choices"]) and abs(sum(exp["scores"]) - 1.0) < 1e-12
        assert exp["best"] == int(np.argmax(exp["scores"]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    torch.set_num_threads(1)
    self_test()
    run = Runner(args.out, args.seed)
    cases = model_cases(run)
    rows = {c["name"]: c.pop("_rows") for c in cases}
    assert rows["text_classification_windows"] >= 3 and rows["text_classification_truncate"] == 1
    assert rows["question_answering_windows_stride_4"] >= 3 and rows["question_answering_default"] == 1
    assert len({c["name"] for c in cases}) == len(cases)

    post = token_classification_post_cases() + question_answering_post_cases(np.random.default_rng(args.seed)) \
        + zero_shot_post_cases()
    for c in post:
        c.pop("_rows")
    for c in cases + post:
        check_invariants(c)
    with open(os.path.join(args.out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
    with open(os.path.join(args.out, "postprocess_cases.json"), "w") as f:
        json.dump(post, f, indent=1)
    print(f"wrote {len(MODELS)} models, {len(cases)} cases and {len(post)} post-processing cases to {args.out}")


if __name__ == "__main__":
    main()
