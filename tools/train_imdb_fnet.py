#!/usr/bin/env python3
"""Pretrain an FNet masked LM on IMDB reviews, then fine-tune it into the example sentiment classifier.

  /usr/bin/python3 tools/train_imdb_fnet.py [--work DIR] [--stages vocab,mlm,nsp,sst2,export] [options]

The defaults make the 4 x 128 pair (examples/models/imdb-fnet-mlm and examples/models/sst2-fnet-imdb;
that classifier predates the float16 hand-off below, so the command now gives slightly different weights
for it); fnet-classify's default, the 4 x 256 pair (imdb-fnet-mlm-256 and
sst2-fnet-imdb-256), is made by --hidden 256 --sst2-epochs 2 --sst2-evals-per-epoch 4 with its two
folders as --mlm-out and --classifier-out. (They were made in two steps, which their READMEs give:
pretraining only, then --pretrained-from examples/models/imdb-fnet-mlm-256; a full run fine-tunes its
pretraining rounded to float16, what --pretrained-from loads, so the two routes give the same classifier.)
Stages, each deterministic for a given seed and thread count, each writing its result into --work
(default build-train/) so that a later stage can be rerun alone:

1. vocab  IMDB's labelled reviews are split (seeded, per label) into a training part and a held-out part
          of --heldout reviews that no stage ever sees (tools/imdb_data.py; the IMDB accuracy target is
          measured on it). A SentencePiece unigram vocabulary is trained on lower-cased text: the IMDB
          training part, the 50,000 unlabelled reviews and SST-2's training phrases in both forms below.
          tokenizer_config.json sets do_lower_case=true, so users' cased text works.
2. mlm    FNetForMaskedLM (tests/reference/fnet_reference.py: Hugging Face's layout and names) on the IMDB
          review text (training part + unlabelled): each review tokenized, cut into rows of --length
          tokens ([CLS] ... [SEP], the last piece padded), BERT masking (15% of the text tokens; of those
          80% [MASK], 10% a random token, 10% unchanged), cross-entropy on the masked positions only.
3. nsp    Continued pretraining with masked LM + next-sentence prediction (FNetForPreTraining), which
          trains the [CLS] position and pooler that sequence classification reads.
   imdb   (optional, not in the default stages) Intermediate sentiment training on the IMDB training part,
          a random window of --length tokens per review per epoch; --sst2-from imdb starts SST-2 from it.
4. sst2   Fine-tuning on SST-2 train at the same padded length, from the pretrained encoder, with
          --sst2-imdb-rows random windows of IMDB training reviews added to every batch (so that the
          classifier also learns whole reviews). Every phrase is used in its SST form
          (lower-cased, PTB-tokenised) and in a detokenised natural form ("did n't" -> "didn't", "-lrb-" ->
          "(", punctuation attached, first letter capitalised), so that natural text and SST-style text
          get the same labels. The epoch with the best SST-2 dev accuracy is kept (dev selects; say so).
   refine (optional, not in the default stages) A second, gentler SST-2 pass from the sst2 stage's best
          classifier (or, with --refine-from DIR, from a saved classifier folder such as the shipped one): a
          fresh AdamW at --refine-lr over --refine-epochs; the starting classifier, each evaluation and the
          uniform average of the evaluated states compete on dev, and export ships the best.
5. export F16 safetensors in Hugging Face layout with a README each (data, command, seed, time, machine,
          accuracy) into examples/models/. A pretraining-only run (--stages vocab,mlm,nsp,export, e.g.
          with --mlm-out examples/models/imdb-fnet-mlm-256) exports the masked LM alone: a classifier is
          exported only when the work folder's sst2.pt was made after its pretraining.

--pretrained-from DIR skips vocab, mlm and nsp: the classification stages start from a saved masked-LM
folder (its float16 encoder and its vocabulary; e.g. the shipped examples/models/imdb-fnet-mlm), export
writes the classifier only and leaves DIR as it is. Fine-tuning the shipped masked LM then takes the
SST-2 stage's time alone.

Needs Debian's /usr/bin/python3 (python3-torch, numpy, sentencepiece), spm_train, and ../shared/data
(imdb/, sst2/).

What the defaults give (4 layers x 128 hidden, vocabulary 16,000, length 128; AMD EPYC Zen 4, AVX-512,
2 torch threads with OPENBLAS_NUM_THREADS=2; the shipped models): SST-2 dev 0.8521, held-out IMDB with
windows 0.884, natural/SST-style pairs agree 100% (96% correct), fill-mask "this movie is [MASK] ." top 5:
good, great, bad, terrible, excellent. About 2 h 20 min: vocabulary 1.5, tokenizing 2, MLM 42 (loss 4.86
after 5000 steps, 8.5k tokens/s), MLM+NSP 13.5, SST-2 4 epochs 79 (20 per epoch), export and evaluation 5.
Findings behind the recipe (SST-2 dev / held-out IMDB; the 2 x 128 trials on a Xeon with 1 torch thread,
where the 2 x 128 model, shipped before the 4 x 128 one, took about 90 min in all):
- MLM alone never trains the [CLS] position that the pooler and the classification heads read (with
  FNet's Fourier mixing, position 0 carries the sequence's DC component and varies little across inputs):
  fine-tuned from the MLM alone, 0.7844 / 0.6068, and a separate IMDB sentiment stage does not learn
  (loss stays at ln 2). The nsp stage fixes it: 0.8394 / 0.7016 with SST-2 only (lr 2e-4, 2 epochs).
- The optional imdb stage (--stages ...,imdb,... --sst2-from imdb; lr 1e-3 x 3 epochs) then SST-2:
  0.8188 / 0.8496; with IMDB windows also mixed into the SST-2 batches (8 per batch, lr 3e-4): 0.8165
  after 2 of 3 epochs (stopped).
- SST-2 straight from the pretrained encoder with 16 IMDB windows in every batch, lr 5e-4: 3 epochs
  0.8349 / 0.8728 (dev per epoch 0.8314, 0.8245, 0.8349); 4 epochs (the default) 0.8394 / 0.8772 (dev
  per epoch 0.8165, 0.8383, 0.8383, 0.8394). A uniform weight average of the two: 0.8383. SST-2 dev
  stays below the issue's 0.86 at this size: every recipe of this 2 x 128 model lands at 0.82-0.84.
- Deeper: --layers 4 (the default since; Zen 4, 2 threads): SST-2 dev per epoch 0.8280, 0.8417, 0.8498,
  0.8521 (+1.3 points over 2 x 128), held-out IMDB 0.884, natural pairs 96% correct (2 x 128: 94%).
  Train loss falls to about 0.1 in the last epoch: the phrases are learnt, dev is what lags.
- From that pretrained 4 x 128 encoder, SST-2 at lr 3e-4 over 3 epochs, dev evaluated 4 times per
  epoch (--sst2-evals-per-epoch 4): 0.7431, 0.8222, 0.8303, 0.8383 | 0.8234, 0.8337, 0.8337, 0.8326 |
  0.8372, 0.8406, 0.8303 (stopped before the last evaluation). Lower lr does not help; lr 5e-4 x 4
  epochs stays. That run used torch's fused tanh-GELU instead of the reference's elementwise form:
  about 0.50 s per step against 0.51 for the elementwise form (the 4-epoch run's first epoch), so the
  fused form was not kept.
- SST-2 dev stays below the issue's 0.86 at 128 hidden; the next step is width (4 x 256). A one-off timing
  of a training step (batch 48 x 128, random tokens, 2 threads) took 1.2 s for 4 x 256 against 0.53 s
  for 4 x 128: about 45 min per SST-2 epoch and over twice the pretraining time, more than one session
  on 2 cores.
- The optional refine stage (--stages refine --refine-from examples/models/sst2-fnet-imdb, 2 epochs at lr
  1e-4, 4 evaluations per epoch; Zen 4, 2 threads, 48 min) from the shipped classifier (dev 0.8521): dev
  0.8486, 0.8463, 0.8372, 0.8452 | 0.8440, 0.8463, 0.8394, 0.8475, the average of those 8 states 0.8463.
  More fine-tuning of this model only forgets: the shipped classifier stays, and refine stays optional
  (it keeps the starting classifier when nothing beats it). tests/cli/test_training_tool.py runs every
  stage, refine included, at toy size.
- From the shipped float16 masked LM (--pretrained-from examples/models/imdb-fnet-mlm --sst2-epochs 3
  --sst2-evals-per-epoch 4; lr 5e-4; Zen 4, 2 threads, 59 min): 0.7959, 0.8177, 0.8234, 0.8475 | 0.8417,
  0.8394, 0.8383, 0.8486 | 0.8555, 0.8383, 0.8326, 0.8383. Its best evaluation is 3 sentences above the
  shipped 0.8521, but late evaluations swing by 2 points: the best of 12 is dev selection, not a better
  model, so the shipped classifier stays. MLM throughput (300 steps, --limit 3000, same machine): 4 x 128
  9.3k tokens/s, 4 x 256 4.5k tokens/s, so the 4 x 256 recipe (same pretraining tokens, SST-2 at about
  twice the 4 x 128 time) needs about 4 h: more than one 3-hour session on 2 cores.
- 4 x 256, pretraining only (--hidden 256 --stages vocab,mlm,nsp,export --mlm-out
  examples/models/imdb-fnet-mlm-256; Zen 4, 2 threads, 4.2k tokens/s): MLM loss 4.58 after the same 5000
  steps (4 x 128: 4.86; 4 x 256 passed 4.86 by step 2600), MLM 80 min, MLM+NSP 25 min, 1 h 50 min with
  vocabulary and tokenizing. Fill-mask "this movie is [MASK] ." top 5: ".", that, bad, great, good.
- SST-2 from it (--hidden 256 --pretrained-from examples/models/imdb-fnet-mlm-256 --sst2-epochs 2
  --sst2-evals-per-epoch 4, lr 5e-4, 16 IMDB windows per batch; Zen 4, 2 threads, 87.8 min with the
  evaluations, about 1.2 s per step of 48 rows): 0.7580, 0.8073, 0.8222, 0.8463 | 0.8452, 0.8394, 0.8567,
  0.8601. The best evaluation is the last one, after the learning rate has decayed to 0, so no mid-run
  checkpoint was picked; but late evaluations still move by 2 points, so the pass of the issue's 0.86 is
  narrow (750 of 872; 749 would be 0.8589; 4 x 128: 0.8521). Shipped as examples/models/sst2-fnet-imdb-256,
  fnet-classify's default: held-out IMDB 0.8928 (4 x 128: 0.8840), natural pairs 100% agree, 96% correct.
- Torch needs OpenBLAS (libopenblas0-pthread, installed by tools/install-deps.sh): with Debian's
  default netlib BLAS the 4 x 128 MLM stage ran at 1.15k tokens/s instead of 7.7k (first 100 steps).
"""
import argparse
import json
import math
import os
import platform
import random
import re
import shlex
import shutil
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS)
sys.path.insert(0, os.path.join(REPO, "tests", "reference"))
sys.path.insert(0, TOOLS)
import safetensors_io  # noqa: E402
import imdb_data  # noqa: E402
import eval_sst2  # noqa: E402
from fnet_reference import Config, FNetForMaskedLM, FNetForSequenceClassification  # noqa: E402
from fnet_tokenizer import FNetTokenizer  # noqa: E402
from train_sst2 import init_weights_, make_optimizer, linear_schedule, blas_library, spm_version  # noqa: E402

DEFAULT_SHARED = os.path.normpath(os.path.join(REPO, "..", "shared", "data"))
MLM_OUT = os.path.join(REPO, "examples", "models", "imdb-fnet-mlm")
CLS_OUT = os.path.join(REPO, "examples", "models", "sst2-fnet-imdb")
# fnet-classify's compiled-in model (examples/CMakeLists.txt): the 4 x 256 classifier made with
# --hidden 256 --pretrained-from examples/models/imdb-fnet-mlm-256 (see the findings above).
CLASSIFY_DEFAULT = os.path.join(REPO, "examples", "models", "sst2-fnet-imdb-256")
ID2LABEL = {0: "negative", 1: "positive"}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=DEFAULT_SHARED, help="folder with imdb/ and sst2/")
    p.add_argument("--work", default=os.path.join(REPO, "build-train"), help="stage results")
    p.add_argument("--stages", default="vocab,mlm,nsp,sst2,export")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--threads", type=int, default=2, help="torch threads; the weights depend on it")
    p.add_argument("--heldout", type=int, default=2500, help="IMDB labelled reviews held out of every stage")
    p.add_argument("--vocab-size", type=int, default=16000)
    p.add_argument("--length", type=int, default=128, help="padded length of every row, all stages")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--intermediate", type=int, default=None, help="default 4 * hidden")
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--mlm-steps", type=int, default=5000)
    p.add_argument("--mlm-batch", type=int, default=32)
    p.add_argument("--mlm-lr", type=float, default=1e-3)
    p.add_argument("--nsp-steps", type=int, default=1500, help="stage nsp: continued MLM + next-sentence steps")
    p.add_argument("--nsp-lr", type=float, default=5e-4)
    p.add_argument("--imdb-epochs", type=int, default=3)
    p.add_argument("--imdb-lr", type=float, default=1e-3)
    p.add_argument("--sst2-epochs", type=int, default=4)
    p.add_argument("--sst2-lr", type=float, default=5e-4)
    p.add_argument("--refine-epochs", type=int, default=2)
    p.add_argument("--refine-lr", type=float, default=1e-4)
    p.add_argument("--refine-from", default=None,
                   help="start the refine stage from this classifier folder (its weights and tokenizer) instead of "
                        "the sst2 stage's result")
    p.add_argument("--pretrained-from", default=None,
                   help="skip the vocab, mlm and nsp stages: the classification stages start from this masked-LM "
                        "folder's encoder and tokenizer (e.g. examples/models/imdb-fnet-mlm), which export leaves "
                        "as it is")
    p.add_argument("--sst2-from", choices=("imdb", "pretrain"), default="pretrain",
                   help="stage sst2 starts from the imdb stage's classifier or from the pretrained encoder")
    p.add_argument("--sst2-imdb-rows", type=int, default=16,
                   help="IMDB review windows added to every SST-2 batch, so the IMDB skill is kept")
    p.add_argument("--batch", type=int, default=32, help="batch of the classification stages")
    p.add_argument("--sst2-evals-per-epoch", type=int, default=1,
                   help="stage sst2: evaluate SST-2 dev this many times per epoch; the best evaluation is kept")
    p.add_argument("--limit", type=int, default=0, help="trials: use only the first N texts of each source")
    p.add_argument("--mlm-out", default=MLM_OUT, help="the masked-LM model folder to (over)write")
    p.add_argument("--classifier-out", default=CLS_OUT, help="the classifier model folder to (over)write")
    args = p.parse_args(argv)
    args.intermediate = args.intermediate or 4 * args.hidden
    args.stages = args.stages.split(",")
    if args.pretrained_from:
        args.stages = [s for s in args.stages if s not in ("vocab", "mlm", "nsp")]
    return args


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---- data ---------------------------------------------------------------------------------------------

_DETOK = [
    (r"-lrb-", "("), (r"-rrb-", ")"), (r"-lsb-", "["), (r"-rsb-", "]"),
    (r" n't\b", "n't"), (r" '(s|re|ve|ll|d|m)\b", r"'\1"),
    (r"`` ?", '"'), (r" ?''", '"'),
    (r"\( ", "("), (r" \)", ")"),
    (r" ([,.!?;:%])", r"\1"),
    (r"\$ ", "$"),
]


def detokenize(sst):
    """An SST-2 phrase (lower-case, PTB tokens) as natural text: contractions and punctuation attached,
    brackets restored, the first letter capitalised."""
    s = sst.strip()
    for pattern, repl in _DETOK:
        s = re.sub(pattern, repl, s)
    s = re.sub(r"\bi\b", "I", s)
    return s[:1].upper() + s[1:]


def read_sst2(data):
    train = eval_sst2.read_tsv(os.path.join(data, "sst2", "train.tsv"))
    dev = eval_sst2.read_tsv(os.path.join(data, "sst2", "dev.tsv"))
    return train, dev


def write_tokenizer(model_dir, spm_model, length):
    os.makedirs(model_dir, exist_ok=True)
    shutil.copyfile(spm_model, os.path.join(model_dir, "spiece.model"))
    config = {"do_lower_case": True, "remove_space": True, "keep_accents": True, "model_max_length": length,
              "unk_token": "<unk>", "sep_token": "[SEP]", "pad_token": "<pad>", "cls_token": "[CLS]",
              "mask_token": "[MASK]", "tokenizer_class": "FNetTokenizer"}
    with open(os.path.join(model_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


def stage_vocab(args, work):
    imdb_train, _ = imdb_data.split(args.data, args.heldout, args.seed)
    unsup = imdb_data.unlabelled(args.data)
    (_, sst_train), _ = read_sst2(args.data)
    if args.limit:
        imdb_train, unsup, sst_train = imdb_train[:args.limit], unsup[:args.limit], sst_train[:args.limit]
    path = os.path.join(work, "vocab_text.txt")
    with open(path, "w", encoding="utf-8") as f:
        for text in [t for _, t in imdb_train] + unsup + sst_train + [detokenize(s) for s in sst_train]:
            f.write(" ".join(text.lower().split()).replace("``", '"').replace("''", '"') + "\n")
    cmd = [shutil.which("spm_train") or "/usr/bin/spm_train", "--input=vocab_text.txt", "--model_prefix=spiece",
           "--model_type=unigram", f"--vocab_size={args.vocab_size}", "--character_coverage=0.9995",
           "--pad_id=0", "--unk_id=1", "--bos_id=-1", "--eos_id=-1", "--control_symbols=[CLS],[SEP],[MASK]",
           f"--random_seed={args.seed}", "--num_threads=2", "--input_sentence_size=2000000",
           "--shuffle_input_sentence=true", "--max_sentence_length=32768"]
    subprocess.run(cmd, cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    write_tokenizer(os.path.join(work, "tokenizer"), os.path.join(work, "spiece.model"), args.length)
    return cmd


def tokenize_all(tok, texts):
    return [tok.convert_tokens_to_ids(tok.tokenize(t)) for t in texts]


def rows_of(ids, length, pad, cls, sep):
    """[CLS] piece [SEP] rows of `length` covering the ids (the last padded)."""
    room = length - 2
    out = []
    for start in range(0, max(len(ids), 1), room):
        chunk = ids[start:start + room]
        out.append([cls] + chunk + [sep] + [pad] * (room - len(chunk)))
    return out


def row(ids, length, tok):
    ids = ids[:length - 2]
    return [tok.cls_id] + ids + [tok.sep_id] + [tok.pad_id] * (length - 2 - len(ids))


# ---- models -------------------------------------------------------------------------------------------

def make_config(args, tok, **extra):
    return Config(vocab_size=tok.vocab_size, hidden_size=args.hidden, num_hidden_layers=args.layers,
                  intermediate_size=args.intermediate, hidden_act="gelu_new", hidden_dropout_prob=args.dropout,
                  max_position_embeddings=args.length, type_vocab_size=4, initializer_range=0.02,
                  layer_norm_eps=1e-12, pad_token_id=tok.pad_id, bos_token_id=tok.cls_id,
                  eos_token_id=tok.sep_id, **extra)


def train_loop(model, batches, steps, lr, warmup, log_every, loss_fn, name):
    optimizer = make_optimizer(model, lr, 0.01)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, linear_schedule(warmup, steps))
    model.train()
    t0, total, seen, since = time.time(), 0.0, 0, 0
    for step in range(steps):
        loss, tokens = loss_fn(model, next(batches))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        if not math.isfinite(loss.item()):
            raise RuntimeError(f"{name}: loss became {loss.item()} at step {step}")
        total += loss.item()
        since += 1
        seen += tokens
        if (step + 1) % log_every == 0 or step + 1 == steps:
            elapsed = time.time() - t0
            log(f"{name} step {step + 1}/{steps}: loss {total / since:.4f}, {seen / elapsed:.0f} tokens/s, "
                f"{elapsed / 60:.1f} min")
            total, since = 0.0, 0
    return time.time() - t0


def stage_mlm(args, work, tok):
    imdb_train, _ = imdb_data.split(args.data, args.heldout, args.seed)
    texts = [t for _, t in imdb_train] + imdb_data.unlabelled(args.data)
    if args.limit:
        texts = texts[:args.limit]
    t0 = time.time()
    rows = []
    for ids in tokenize_all(tok, texts):
        rows.extend(rows_of(ids, args.length, tok.pad_id, tok.cls_id, tok.sep_id))
    data = torch.tensor(rows, dtype=torch.long)
    log(f"mlm: {len(texts)} reviews -> {data.shape[0]} rows of {args.length} "
        f"({int((data != tok.pad_id).sum())} tokens) in {time.time() - t0:.0f} s")
    config = make_config(args, tok)
    torch.manual_seed(args.seed)
    model = FNetForMaskedLM(config)
    init_weights_(model, config.initializer_range)
    gen = torch.Generator().manual_seed(args.seed + 1)
    special = torch.tensor([tok.pad_id, tok.cls_id, tok.sep_id])

    def batches():
        while True:
            perm = torch.randperm(data.shape[0], generator=gen)
            for b in range(0, len(perm) - args.mlm_batch + 1, args.mlm_batch):
                yield data[perm[b:b + args.mlm_batch]]

    def loss_fn(model, ids):
        candidates = ~torch.isin(ids, special)
        chosen = (torch.rand(ids.shape, generator=gen) < 0.15) & candidates
        action = torch.rand(ids.shape, generator=gen)
        inputs = ids.clone()
        inputs[chosen & (action < 0.8)] = tok.mask_id
        random_tokens = torch.randint(5, tok.vocab_size, ids.shape, generator=gen)
        swap = chosen & (action >= 0.8) & (action < 0.9)
        inputs[swap] = random_tokens[swap]
        hidden, _ = model.fnet(inputs, torch.zeros_like(inputs))
        logits = model.cls(hidden[chosen])
        return F.cross_entropy(logits, ids[chosen]), int(ids.numel())

    seconds = train_loop(model, batches(), args.mlm_steps, args.mlm_lr, max(1, args.mlm_steps // 20), 100, loss_fn, "mlm")
    torch.save({"state": model.state_dict(), "config": config.to_dict(), "seconds": seconds, "rows": int(data.shape[0]),
                "tokens": int((data != tok.pad_id).sum())}, os.path.join(work, "mlm.pt"))
    return model, config


def stage_nsp(args, work, tok):
    """Continued pretraining as FNetForPreTraining: the masked LM plus next-sentence prediction on pairs of
    review spans ([CLS] a [SEP] b [SEP]; b follows a in the same review, or half the time comes from another
    review), which trains the [CLS] position and the pooler that sequence classification reads."""
    from fnet_reference import FNetForPreTraining
    imdb_train, _ = imdb_data.split(args.data, args.heldout, args.seed)
    texts = [t for _, t in imdb_train] + imdb_data.unlabelled(args.data)
    if args.limit:
        texts = texts[:args.limit]
    reviews = [ids for ids in tokenize_all(tok, texts) if len(ids) >= 8]
    mlm = torch.load(os.path.join(work, "mlm.pt"))
    config = make_config(args, tok)
    model = FNetForPreTraining(config)
    init_weights_(model, config.initializer_range)
    missing, unexpected = model.load_state_dict(mlm["state"], strict=False)
    assert not unexpected and set(missing) <= {"cls.seq_relationship.weight", "cls.seq_relationship.bias"}, (missing, unexpected)
    gen = torch.Generator().manual_seed(args.seed + 5)
    half_a = (args.length - 3) // 2
    half_b = args.length - 3 - half_a
    special = torch.tensor([tok.pad_id, tok.cls_id, tok.sep_id])

    def rnd(n):
        return int(torch.randint(0, max(1, n), (1,), generator=gen))

    def batches():
        while True:
            rows, types, labels = [], [], []
            for _ in range(args.mlm_batch):
                ids = reviews[rnd(len(reviews))]
                p = rnd(len(ids) - 1)
                a = ids[p:p + half_a]
                is_next = rnd(2) == 1 and p + len(a) < len(ids)
                if is_next:
                    b = ids[p + len(a):p + len(a) + half_b]
                else:
                    other = reviews[rnd(len(reviews))]
                    q = rnd(len(other) - 1)
                    b = other[q:q + half_b]
                row_ids = [tok.cls_id] + a + [tok.sep_id] + b + [tok.sep_id]
                row_types = [0] * (len(a) + 2) + [1] * (len(b) + 1)
                pad = args.length - len(row_ids)
                rows.append(row_ids + [tok.pad_id] * pad)
                types.append(row_types + [0] * pad)
                labels.append(0 if is_next else 1)  # BERT: 0 = B follows A
            yield torch.tensor(rows), torch.tensor(types), torch.tensor(labels)

    def loss_fn(model, batch):
        ids, types, labels = batch
        chosen = (torch.rand(ids.shape, generator=gen) < 0.15) & ~torch.isin(ids, special)
        action = torch.rand(ids.shape, generator=gen)
        inputs = ids.clone()
        inputs[chosen & (action < 0.8)] = tok.mask_id
        swap = chosen & (action >= 0.8) & (action < 0.9)
        inputs[swap] = torch.randint(5, tok.vocab_size, ids.shape, generator=gen)[swap]
        hidden, pooled = model.fnet(inputs, types)
        mlm_loss = F.cross_entropy(model.cls.predictions(hidden[chosen]), ids[chosen])
        nsp_loss = F.cross_entropy(model.cls.seq_relationship(pooled), labels)
        return mlm_loss + nsp_loss, int(ids.numel())

    seconds = train_loop(model, batches(), args.nsp_steps, args.nsp_lr, max(1, args.nsp_steps // 20), 100, loss_fn, "nsp")
    state = {k: v for k, v in model.state_dict().items()}
    torch.save({"state": state, "config": config.to_dict(), "seconds": seconds + mlm["seconds"], "rows": mlm["rows"],
                "tokens": mlm["tokens"], "nsp_seconds": seconds}, os.path.join(work, "pretrain.pt"))


def load_folder_state(folder):
    """A model folder's float16 (or float32) safetensors as a float32 state dict."""
    return {k: torch.from_numpy(v.astype(np.float32))
            for k, v in safetensors_io.load(os.path.join(folder, "model.safetensors")).items()}


def pretrained_state(args, work):
    """The encoder to start classification from: --pretrained-from's, else the MLM+NSP stage's if it ran,
    else the MLM stage's, rounded to float16 as export writes it. So a run of every stage fine-tunes the
    very weights that a --pretrained-from run loads from the exported masked LM, and both give the same
    classifier (tests/cli/test_training_tool.py compares them)."""
    if args.pretrained_from:
        return {"state": load_folder_state(args.pretrained_from)}
    path = os.path.join(work, "pretrain.pt")
    saved = torch.load(path if os.path.exists(path) else os.path.join(work, "mlm.pt"))
    saved["state"] = {k: v.to(torch.float16).to(v.dtype) if v.is_floating_point() else v
                      for k, v in saved["state"].items()}
    return saved


def check_pretrained_folder(args, tok):
    """--pretrained-from must hold the encoder the options describe (sizes, vocabulary, padded length)."""
    with open(os.path.join(args.pretrained_from, "config.json"), encoding="utf-8") as f:
        found = json.load(f)
    expected = {"hidden_size": args.hidden, "num_hidden_layers": args.layers, "intermediate_size": args.intermediate,
                "max_position_embeddings": args.length, "vocab_size": tok.vocab_size}
    wrong = [f"{k}: expected {v} (from the options), found {found.get(k)}" for k, v in expected.items() if found.get(k) != v]
    if wrong:
        raise SystemExit(f"--pretrained-from {args.pretrained_from}: config.json does not match; " + "; ".join(wrong))


def classifier_from(args, tok, encoder_state):
    config = make_config(args, tok, id2label=dict(ID2LABEL))
    torch.manual_seed(args.seed + 2)
    model = FNetForSequenceClassification(config)
    init_weights_(model, config.initializer_range)
    own = model.state_dict()
    loaded = {k: v for k, v in encoder_state.items() if k.startswith("fnet.") and k in own}
    own.update(loaded)
    model.load_state_dict(own)
    return model


def classification_loss(model, batch):
    ids, labels = batch
    logits = model(ids, torch.zeros_like(ids))[2]
    return F.cross_entropy(logits, labels), int(ids.numel())


def imdb_training_reviews(args, tok):
    imdb_train, _ = imdb_data.split(args.data, args.heldout, args.seed)
    if args.limit:
        imdb_train = imdb_train[:args.limit]
    tokenized = tokenize_all(tok, [t for _, t in imdb_train])
    labels = torch.tensor([1 if label == "positive" else 0 for label, _ in imdb_train])
    return tokenized, labels


def imdb_windows(args, tok, tokenized, labels, batch, gen):
    """Endless batches of (rows, labels): each review once per pass, as a random window of --length tokens."""
    room = args.length - 2
    while True:
        perm = torch.randperm(len(tokenized), generator=gen).tolist()
        for b in range(0, len(perm) - batch + 1, batch):
            rows = []
            for i in perm[b:b + batch]:
                ids = tokenized[i]
                start = int(torch.randint(0, max(1, len(ids) - room + 1), (1,), generator=gen))
                rows.append(row(ids[start:start + room], args.length, tok))
            yield torch.tensor(rows), labels[perm[b:b + batch]]


def stage_imdb(args, work, tok):
    tokenized, labels = imdb_training_reviews(args, tok)
    model = classifier_from(args, tok, pretrained_state(args, work)["state"])
    gen = torch.Generator().manual_seed(args.seed + 3)

    steps = args.imdb_epochs * (len(tokenized) // args.batch)
    batches = imdb_windows(args, tok, tokenized, labels, args.batch, gen)
    seconds = train_loop(model, batches, steps, args.imdb_lr, max(1, steps // 10), 100, classification_loss, "imdb")
    torch.save({"state": model.state_dict(), "seconds": seconds}, os.path.join(work, "imdb.pt"))


def sst2_data(args, tok):
    """SST-2 train as two aligned halves (SST form, natural form) of padded rows, and dev."""
    (train_labels, train_texts), (dev_labels, dev_texts) = read_sst2(args.data)
    if args.limit:
        train_labels, train_texts = train_labels[:args.limit], train_texts[:args.limit]
    sst_form = [row(ids, args.length, tok) for ids in tokenize_all(tok, train_texts)]
    natural = [row(ids, args.length, tok) for ids in tokenize_all(tok, [detokenize(t) for t in train_texts])]
    x = torch.tensor(sst_form + natural)
    y = torch.tensor(train_labels + train_labels)
    x_dev = torch.tensor([row(ids, args.length, tok) for ids in tokenize_all(tok, dev_texts)])
    return x, y, x_dev, dev_labels


def fine_tune_sst2(args, work, tok, model, name, epochs, lr, warmup, seed, average):
    """Fine-tunes `model` on SST-2 (plus IMDB windows), evaluating dev --sst2-evals-per-epoch times per
    epoch; the best state (dev selects) is saved to work/<name>.pt after every improvement. With
    `average`, the starting state and, at the end, the uniform average of the states at the evaluations
    are evaluated too and compete with them."""
    x, y, x_dev, dev_labels = sst2_data(args, tok)
    gen = torch.Generator().manual_seed(seed)
    replay = None
    if args.sst2_imdb_rows:
        replay = imdb_windows(args, tok, *imdb_training_reviews(args, tok), args.sst2_imdb_rows,
                              torch.Generator().manual_seed(seed + 1))
    half = x.shape[0] // 2
    history, best, summed, n_summed = [], None, None, 0

    def epoch_batches():
        # Each phrase once per epoch, in one of its two forms chosen at random.
        form = torch.randint(0, 2, (half,), generator=gen)
        perm = torch.randperm(half, generator=gen)
        for b in range(0, half - args.batch + 1, args.batch):
            idx = perm[b:b + args.batch] + half * form[perm[b:b + args.batch]]
            yield x[idx], y[idx]

    steps_per_epoch = half // args.batch
    optimizer = make_optimizer(model, lr, 0.01)
    total = steps_per_epoch * epochs
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, linear_schedule(max(1, int(total * warmup)), total))
    t_all = time.time()
    evals = max(1, args.sst2_evals_per_epoch)
    eval_at = {round(steps_per_epoch * (i + 1) / evals) for i in range(evals)}

    def dev_accuracy():
        return eval_sst2.accuracy(eval_sst2.predict_logits(model, x_dev, torch.zeros_like(x_dev)), dev_labels)

    def record(epoch, step, dev, t0):
        nonlocal best
        history.append({"epoch": epoch, "step": step, "dev_acc": dev, "seconds": time.time() - t0})
        if best is None or dev > best["dev_acc"]:
            best = dict(history[-1], state={k: v.detach().clone() for k, v in model.state_dict().items()})
            save()
        log(f"{name} epoch {epoch} step {step}: dev accuracy {dev:.4f} (best {best['dev_acc']:.4f} "
            f"@ epoch {best['epoch']} step {best['step']})")

    def save():
        # After every improvement, so that a stopped run keeps its best classifier.
        torch.save({"state": best["state"], "history": history, "best_epoch": best["epoch"],
                    "best_step": best["step"], "dev_acc": best["dev_acc"], "seconds": time.time() - t_all},
                   os.path.join(work, f"{name}.pt"))

    if average:
        # The starting classifier competes too: a second pass must not ship a worse model.
        record(0, 0, dev_accuracy(), time.time())
    for epoch in range(1, epochs + 1):
        t0 = time.time()
        model.train()
        for step, batch in enumerate(epoch_batches()):
            if replay is not None:
                extra = next(replay)
                batch = (torch.cat([batch[0], extra[0]]), torch.cat([batch[1], extra[1]]))
            loss, _ = classification_loss(model, batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            if (step + 1) % 200 == 0:
                log(f"{name} epoch {epoch} step {step + 1}/{steps_per_epoch}: loss {loss.item():.4f}, "
                    f"{(time.time() - t0) / 60:.1f} min")
            if step + 1 in eval_at:
                dev = dev_accuracy()
                model.train()
                if average:
                    state = model.state_dict()
                    summed = ({k: v.detach().clone().double() for k, v in state.items()} if summed is None
                              else {k: summed[k] + v.detach().double() for k, v in state.items()})
                    n_summed += 1
                record(epoch, step + 1, dev, t0)
    if average and n_summed > 1:
        t0 = time.time()
        model.load_state_dict({k: (v / n_summed).to(model.state_dict()[k].dtype) for k, v in summed.items()})
        record("average", n_summed, dev_accuracy(), t0)
    save()


def stage_sst2(args, work, tok):
    if args.sst2_from == "imdb":
        model = classifier_from(args, tok, {})
        model.load_state_dict(torch.load(os.path.join(work, "imdb.pt"))["state"])
    else:
        model = classifier_from(args, tok, pretrained_state(args, work)["state"])
    fine_tune_sst2(args, work, tok, model, "sst2", args.sst2_epochs, args.sst2_lr, 0.1, args.seed + 4, average=False)


def stage_refine(args, work, tok):
    """A second, gentler SST-2 pass from the sst2 stage's best classifier: a fresh AdamW at --refine-lr,
    5% warm-up then linear decay over --refine-epochs, and the average of the states it evaluates."""
    model = classifier_from(args, tok, {})
    if args.refine_from:
        state = load_folder_state(args.refine_from)
    else:
        state = torch.load(os.path.join(work, "sst2.pt"))["state"]
    model.load_state_dict(state)
    fine_tune_sst2(args, work, tok, model, "refine", args.refine_epochs, args.refine_lr, 0.05, args.seed + 6,
                   average=True)


# ---- export -------------------------------------------------------------------------------------------

def save_model(out, state, config, architecture, tok_dir, keep):
    os.makedirs(out, exist_ok=True)
    cfg = config.to_dict() if hasattr(config, "to_dict") else dict(config)
    cfg["architectures"] = [architecture]
    with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    tensors = {k: v.detach().cpu().numpy().astype(np.float16) for k, v in state.items() if keep(k)}
    safetensors_io.save(os.path.join(out, "model.safetensors"), tensors, metadata={"format": "pt"})
    for name in ("spiece.model", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(tok_dir, name), os.path.join(out, name))


def refine_is_current(work):
    """The refine stage's classifier is exported when it was made after the sst2 stage's."""
    refine, sst2 = os.path.join(work, "refine.pt"), os.path.join(work, "sst2.pt")
    return os.path.exists(refine) and os.path.getmtime(refine) >= os.path.getmtime(sst2)


def classifier_is_current(args, work):
    """The sst2 stage's classifier is exported when it was made from the current pretraining (or from
    --pretrained-from); a pretraining-only run (--stages vocab,mlm,nsp,export) exports the masked LM alone."""
    sst2 = os.path.join(work, "sst2.pt")
    if not os.path.exists(sst2):
        return False
    pretrained = [os.path.join(work, f) for f in ("pretrain.pt", "mlm.pt") if os.path.exists(os.path.join(work, f))]
    return bool(args.pretrained_from) or all(os.path.getmtime(sst2) >= os.path.getmtime(f) for f in pretrained)


def stage_export(args, work, tok, spm_cmd, times):
    tok_dir = os.path.join(work, "tokenizer")
    mlm = pretrained_state(args, work)
    mlm_dir = args.pretrained_from or args.mlm_out
    with_classifier = classifier_is_current(args, work)
    if args.pretrained_from and not with_classifier:
        raise SystemExit(f"export: {work} holds no sst2.pt to export (with --pretrained-from only the classifier "
                         f"is exported; run the sst2 stage first)")
    if not args.pretrained_from:
        # The tied decoder is the word-embedding matrix: not stored (as Hugging Face saves it); the
        # next-sentence head of the nsp stage is not part of FNetForMaskedLM.
        save_model(args.mlm_out, mlm["state"], mlm["config"], "FNetForMaskedLM", tok_dir,
                   lambda k: k not in ("cls.predictions.decoder.weight", "cls.predictions.decoder.bias")
                   and not k.startswith("cls.seq_relationship."))
    sst2 = torch.load(os.path.join(work, "sst2.pt")) if with_classifier else None
    refine = torch.load(os.path.join(work, "refine.pt")) if with_classifier and refine_is_current(work) else None
    if with_classifier:
        config = make_config(args, tok, id2label=dict(ID2LABEL))
        save_model(args.classifier_out, (refine or sst2)["state"], config, "FNetForSequenceClassification", tok_dir,
                   lambda k: True)
    record = {"args": {k: v for k, v in vars(args).items()}, "argv": sys.argv[1:], "spm": spm_cmd,
              "mlm_seconds": mlm.get("seconds"), "nsp_seconds": mlm.get("nsp_seconds", 0.0),
              "mlm_rows": mlm.get("rows"), "mlm_tokens": mlm.get("tokens"), "with_classifier": with_classifier,
              "imdb_seconds": (torch.load(os.path.join(work, "imdb.pt"))["seconds"]
                               if with_classifier and args.sst2_from == "imdb" else None),
              "sst2_seconds": sst2 and sst2["seconds"], "sst2_history": sst2 and sst2["history"],
              "sst2_dev_acc": sst2 and sst2["dev_acc"],
              "refine_seconds": refine and refine["seconds"], "refine_history": refine and refine["history"],
              "refine_dev_acc": refine and refine["dev_acc"],
              "python": platform.python_version(), "torch": torch.__version__, "blas": blas_library(),
              "sentencepiece": spm_version(), "machine": platform.machine(), "times": times}
    with open(os.path.join(work, "record.json"), "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2)
    import eval_example_models
    record["results"] = (eval_example_models.evaluate(args.classifier_out, mlm_dir, args.data) if with_classifier
                         else eval_example_models.evaluate_mlm(mlm_dir))
    with open(os.path.join(work, "record.json"), "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2)
    write_readmes(args, record, tok)
    written = ([] if args.pretrained_from else [args.mlm_out]) + ([args.classifier_out] if with_classifier else [])
    log(f"exported {' and '.join(written)}; record in {work}/record.json: {json.dumps(record['results'])}")


def write_readmes(args, record, tok):
    r = record["results"]
    with_classifier = record["with_classifier"]
    mlm_name, cls_name = shown_path(args.mlm_out), shown_path(args.classifier_out)
    start_name = shown_path(args.pretrained_from) if args.pretrained_from else mlm_name
    # The command that reproduces both models: the options that differ from the defaults, less where the
    # stages' files and the models were put; a pretraining-only run names its stages and its folder.
    defaults = vars(parse_args([]))
    changed = [f"--{k.replace('_', '-')}={v}" for k, v in vars(args).items()
               if k not in ("work", "stages", "mlm_out", "classifier_out", "data") and v != defaults[k]]
    # The folders written are named when they are not the defaults, so that the command never overwrites
    # another shipped model.
    writes_mlm = not args.pretrained_from
    if not with_classifier:
        changed += ["--stages=vocab,mlm,nsp,export"]
    if writes_mlm and mlm_name != shown_path(MLM_OUT):
        changed += [f"--mlm-out={mlm_name}"]
    if with_classifier and cls_name != shown_path(CLS_OUT):
        changed += [f"--classifier-out={cls_name}"]
    # Torch's GEMMs run on OpenBLAS, which takes its thread count from the environment, not from torch.
    command = (f"OPENBLAS_NUM_THREADS={args.threads} /usr/bin/python3 tools/train_imdb_fnet.py"
               + "".join(" " + shlex.quote(a) for a in changed))
    arch = f"""| field | value |
| --- | --- |
| layers | {args.layers} |
| hidden size | {args.hidden} |
| intermediate size | {args.intermediate} |
| activation | gelu_new |
| vocabulary | {tok.vocab_size} (SentencePiece unigram, lower-cased) |
| max_position_embeddings = padded length | {args.length} |
| weights | float16 (`model.safetensors`) |"""
    machine = (f"{platform.machine()} CPU ({cpu_name()}, {cpu_isa()}), {args.threads} torch "
               f"thread{'s' if args.threads != 1 else ''}, Python {record['python']}, torch "
               f"{record['torch']} (Debian python3-torch), BLAS `{record['blas']}`, sentencepiece {record['sentencepiece']}")
    refined = record.get("refine_history") is not None
    refine_time = f", refinement {record['refine_seconds'] / 60:.0f} min" if refined else ""
    imdb_time = (f"IMDB sentiment {record['imdb_seconds'] / 60:.0f} min, " if record["imdb_seconds"] is not None else "")
    sst2_time = f"SST-2 fine-tuning {record['sst2_seconds'] / 60:.0f} min" if with_classifier else ""
    if args.pretrained_from:
        what = (f"It skips pretraining: the sentiment stages start from `{args.pretrained_from}` (made by the\n"
                f"command in its README), then export and evaluation write `{cls_name}/`.")
        pretraining_time = ""
    elif with_classifier:
        what = ("The one command runs every stage (vocabulary, masked-LM pretraining, sentiment\n"
                f"fine-tuning, export and evaluation) and writes both `{mlm_name}/` and\n"
                f"`{cls_name}/`.")
        pretraining_time = (f"pretraining {record['mlm_seconds'] / 60:.0f} min (of which masked LM + next\n"
                            f"sentence {record['nsp_seconds'] / 60:.0f} min), ")
    else:
        what = ("The command runs the pretraining stages (vocabulary, masked LM, masked LM + next\n"
                f"sentence), export and evaluation, and writes `{mlm_name}/` alone.")
        pretraining_time = (f"pretraining {record['mlm_seconds'] / 60:.0f} min (of which masked LM + next\n"
                            f"sentence {record['nsp_seconds'] / 60:.0f} min)")
    how = f"""```sh
{command}
```

from the repository root, with `../shared/data/imdb/` and `../shared/data/sst2/` beside it (not part of this
repository). {what} Seed {args.seed}; every stage is seeded and runs with
`torch.use_deterministic_algorithms(True)`, so the same thread count and BLAS should give the same weights.

Machine: {machine}. Times: {pretraining_time}{imdb_time}{sst2_time}{refine_time}."""
    top = ", ".join(f"`{piece.replace(chr(0x2581), '')}` {p:.3f}" for _, piece, p in r["fill_mask"])
    use = (f"It is the fill-mask example of this\nrepository and the starting point of `{cls_name}`." if with_classifier
           else f"No classifier starts from it yet:\n`--pretrained-from {mlm_name}` with the sizes below fine-tunes one.")
    # (not evaluated with --pretrained-from: no pretraining record)
    mlm = "" if args.pretrained_from else f"""# {os.path.basename(os.path.normpath(args.mlm_out))}: an FNet masked language model pretrained on IMDB reviews

`FNetForMaskedLM` in Hugging Face's layout and tensor names (the decoder is tied to the word embeddings,
as Hugging Face saves it), pretrained from scratch on the text of {record['mlm_rows']:,} rows of
{args.length} tokens ({record['mlm_tokens']:,} tokens): the 50,000 unlabelled IMDB reviews and the
22,500 labelled training reviews not held out (tools/imdb_data.py). {use}

```sh
./build/examples/fnet-pipeline fill-mask --model {mlm_name} "this movie is [MASK] ."
```

Top 5 for `this movie is [MASK] .`: {top}.

## Training

BERT masking: 15% of the text tokens of each row, of which 80% become `[MASK]`, 10% a random token and 10%
stay; cross-entropy on the masked positions only. {args.mlm_steps} steps of batch {args.mlm_batch} (about
{args.mlm_steps * args.mlm_batch / record['mlm_rows']:.2f} epochs), AdamW lr {args.mlm_lr:g} with linear
warm-up over 5% of the steps and linear decay, weight decay 0.01, gradient clip 1.0, dropout {args.dropout:g}.
Text: `<br />` removed, whitespace collapsed; tokenizer `do_lower_case=true`, so cased text works. Each
review is cut into rows of [CLS] + {args.length - 2} tokens + [SEP], the last row of a review padded
(FNet has no attention mask: the model is trained, and must be run, at {args.length} tokens).

Then {args.nsp_steps} steps of masked LM + next-sentence prediction (as `FNetForPreTraining`, batch
{args.mlm_batch}, lr {args.nsp_lr:g}): `[CLS] a [SEP] b [SEP]` with two spans of reviews, b following a in
the same review or, half the time, taken from another review. Masked LM alone never trains the [CLS]
position that the pooler and the classification heads read (in FNet it carries the sequence's DC
component); this stage does. The next-sentence head is not part of this `FNetForMaskedLM`.

## Architecture

{arch}

## How it was made

{how}

## Data

IMDB Large Movie Review Dataset (Maas et al., ACL 2011).
"""

    def classifier_readme():
        imdb_stage = (f"IMDB sentiment: one random window of {args.length} tokens per labelled training review per "
                      f"epoch,\n   {args.imdb_epochs} epoch(s), batch {args.batch}, AdamW lr {args.imdb_lr:g} (10% warm-up, "
                      f"linear decay), from the pretrained encoder.")
        replay = (f", plus {args.sst2_imdb_rows} windows of IMDB's labelled training reviews (a random\n   "
                  f"{args.length}-token window of each) in every batch, so that long reviews are learnt too" if args.sst2_imdb_rows else "")
        evals = max(1, args.sst2_evals_per_epoch)
        per_eval = ", ".join(f"{h['dev_acc']:.4f}" for h in record["sst2_history"])
        if evals == 1:
            dev_history = f"dev accuracy per epoch: {per_eval}"
        else:
            dev_history = f"dev accuracy at each of {evals} evaluations per epoch: {per_eval}"
        sst2_stage = (f"SST-2: {args.sst2_epochs} epochs over the 67,349 training phrases, each phrase once per epoch in "
                      f"its\n   SST form or its natural form (chosen at random), batch {args.batch}{replay}, AdamW lr "
                      f"{args.sst2_lr:g}\n   (10% warm-up, linear decay), dropout {args.dropout:g}, from "
                      f"{'the IMDB stage' if args.sst2_from == 'imdb' else 'the pretrained encoder'}; {dev_history}.\n")
        stage_list = ([imdb_stage + "\n"] if args.sst2_from == "imdb" else []) + [sst2_stage]
        n_evals = args.sst2_epochs * evals
        if refined:
            history = record["refine_history"]
            averaged = [h for h in history if h["epoch"] == "average"]
            start = [h for h in history if h["epoch"] == 0]
            per_eval = ", ".join(f"{h['dev_acc']:.4f}" for h in history if h["epoch"] not in (0, "average"))
            stage_list.append(
                f"Refinement: {args.refine_epochs} more epoch(s) of the same data (new shuffles) from the best SST-2 "
                f"checkpoint"
                + (f" (dev {start[0]['dev_acc']:.4f} at the start)" if start else "")
                + f",\n   a fresh AdamW at lr {args.refine_lr:g} (5% warm-up, linear decay); dev accuracy at each "
                f"of {evals} evaluations\n   per epoch: {per_eval}"
                + (f"; the uniform average of those {averaged[0]['step']} states: {averaged[0]['dev_acc']:.4f}"
                   if averaged else "")
                + f".\n   The best of all these is the shipped model (dev {record['refine_dev_acc']:.4f}).\n")
            n_evals += len(history)
        stages = "".join(f"{i}. {text}" for i, text in enumerate(stage_list, 1))
        recipe = ("trained on IMDB's labelled reviews for sentiment, then fine-tuned on SST-2" if args.sst2_from == "imdb"
                  else "fine-tuned on SST-2")
        if args.sst2_imdb_rows:
            recipe += " with windows of IMDB's labelled training reviews in every batch"
        default_note = "The default model of `fnet-classify`. " if cls_name == shown_path(CLASSIFY_DEFAULT) else ""
        return f"""# {os.path.basename(os.path.normpath(args.classifier_out))}: an FNet sentiment classifier, pretrained on IMDB and fine-tuned on SST-2

{default_note}`FNetForSequenceClassification` (labels 0 = `negative`, 1 =
`positive`) initialised from `{start_name}`'s encoder, {recipe}. Cased, natural text works: the tokenizer lower-cases
(`do_lower_case=true`) and fine-tuning saw every SST-2 phrase also in a detokenised form ("I didn't like
it." as well as "i did n't like it .").

| measure | value |
| --- | --- |
| SST-2 dev accuracy (872 sentences) | **{r['sst2_dev']:.4f}** |
| IMDB held-out reviews ({r['imdb_reviews']:,}, whole reviews, `--long-text windows`) | **{r['imdb_heldout']:.4f}** |
| natural vs SST-style form, same label (tests/data/natural_sentences.tsv, 50 pairs) | {r['natural_agreement']:.0%} |
| natural sentences correct | {r['natural_accuracy']:.0%} |

The SST-2 dev figure selected the {'epoch' if evals == 1 and not refined else 'checkpoint'} (the best of {n_evals} evaluations on dev during fine-tuning), so it is slightly optimistic.
The IMDB held-out reviews were drawn (seeded, 1,250 per label) from IMDB's labelled training reviews and
left out of every stage: pretraining, vocabulary and sentiment training never saw them. Figures from the
PyTorch reference; the C++ gives the same labels (tests/cli/test_example_models.py).

```sh
./build/examples/fnet-classify --model {cls_name} "I didn't like it at all." "Not bad at all."
./build/examples/fnet-pipeline text-classification --model {cls_name} --long-text windows "a whole review ..."
```

## Training

{stages}
Input: `[CLS] text [SEP]` padded with `<pad>` to exactly {args.length} tokens (FNet has no attention mask;
the length is part of the model). Long texts: truncated by default; `--long-text windows` averages the
logits of overlapping {args.length}-token windows.

## Architecture

{arch}

## How it was made

{how}

## Data

SST-2 (Socher et al., EMNLP 2013) in the GLUE split; IMDB Large Movie Review Dataset (Maas et al., ACL 2011).
"""
    # With --pretrained-from the masked LM was not made here: its folder and README stay as they are.
    for out, text in (([] if args.pretrained_from else [(args.mlm_out, mlm)])
                      + ([(args.classifier_out, classifier_readme())] if with_classifier else [])):
        with open(os.path.join(out, "README.md"), "w", encoding="utf-8") as f:
            f.write(text)


def shown_path(path):
    """A model folder as the READMEs name it: relative to the repository root when inside it."""
    rel = os.path.relpath(os.path.abspath(path), REPO)
    return path if rel.startswith("..") else rel


def cpuinfo_field(name):
    """The first value of a /proc/cpuinfo field ("" when unreadable)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith(name)), "")
    except OSError:
        return ""


def cpu_isa():
    """The widest x86-64 vector extension the CPU has (the figures depend on it)."""
    flags = cpuinfo_field("flags").split()
    return "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"


def cpu_name():
    return cpuinfo_field("model name") or "unknown"


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    random.seed(args.seed)
    times = {}
    spm_cmd = None
    if "vocab" in args.stages:
        t0 = time.time()
        spm_cmd = stage_vocab(args, args.work)
        times["vocab"] = time.time() - t0
        log(f"vocab: {times['vocab']:.0f} s")
    # A starting folder brings its vocabulary (--pretrained-from always: the encoder's ids must be its own).
    source = args.pretrained_from or args.refine_from
    if args.pretrained_from or (source and not os.path.exists(os.path.join(args.work, "tokenizer"))):
        write_tokenizer(os.path.join(args.work, "tokenizer"), os.path.join(source, "spiece.model"),
                        args.length)
    tok = FNetTokenizer(os.path.join(args.work, "tokenizer"))
    assert tok.pad_id == 0 and tok.do_lower_case
    if args.pretrained_from:
        check_pretrained_folder(args, tok)
    for name, fn in (("mlm", stage_mlm), ("nsp", stage_nsp), ("imdb", stage_imdb), ("sst2", stage_sst2),
                     ("refine", stage_refine)):
        if name in args.stages:
            t0 = time.time()
            fn(args, args.work, tok)
            times[name] = time.time() - t0
            log(f"{name}: {times[name] / 60:.1f} min")
    if "export" in args.stages:
        stage_export(args, args.work, tok, spm_cmd, times)
    return 0


if __name__ == "__main__":
    sys.exit(main())
