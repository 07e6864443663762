#!/usr/bin/env python3
"""Train the example SST-2 sentence classifier (examples/models/sst2-fnet-small) from scratch.

  /usr/bin/python3 tools/train_sst2.py [--data DIR] [--out DIR] [--threads N] [options]

Steps, all deterministic for a given seed and thread count:

1. A SentencePiece unigram vocabulary is trained on the training sentences with the spm_train binary
   (<pad>=0, <unk>=1, no BOS/EOS, control symbols [CLS] [SEP] [MASK]).
2. tokenizer_config.json is written with Hugging Face FNetTokenizer fields; model_max_length is the
   fixed padding length.
3. Every sentence is tokenized with tests/reference/fnet_tokenizer.py as [CLS] text [SEP] and padded
   with <pad> to that length (FNet has no attention mask, so training and inference use one length).
4. FNetForSequenceClassification (tests/reference/fnet_reference.py) is trained from a Hugging Face
   style initialisation with AdamW, linear warm-up then linear decay, dropout and cross-entropy. Dev
   accuracy is measured after every epoch and the best epoch's weights are kept.
5. config.json, model.safetensors (float32, Hugging Face tensor names), spiece.model,
   tokenizer_config.json and a README.md with the run's record are written to --out.

Needs Debian's /usr/bin/python3 (python3-torch, python3-numpy, python3-sentencepiece) and the
spm_train binary (package sentencepiece). torch is much faster with an optimised BLAS: see README.md of
the shipped model for the exact environment.
"""
import argparse
import json
import math
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS)
sys.path.insert(0, os.path.join(REPO, "tests", "reference"))
sys.path.insert(0, TOOLS)
import safetensors_io  # noqa: E402
from fnet_reference import Config, FNetForSequenceClassification  # noqa: E402
import eval_sst2  # noqa: E402

DEFAULT_OUT = os.path.join(REPO, "examples", "models", "sst2-fnet-small")
DEFAULT_DATA = os.path.normpath(os.path.join(REPO, "..", "shared", "data", "sst2"))
ID2LABEL = {0: "negative", 1: "positive"}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=DEFAULT_DATA, help="folder with train.tsv and dev.tsv")
    p.add_argument("--out", default=DEFAULT_OUT, help="model folder to (over)write")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--threads", type=int, default=1,
                   help="torch intra-op threads; the weights depend on it (default 1: see README.md)")
    # tokenizer
    p.add_argument("--vocab-size", type=int, default=8000)
    p.add_argument("--max-length", type=int, default=64, help="fixed padding length")
    # model
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--intermediate", type=int, default=None, help="default 4 * hidden")
    p.add_argument("--max-position", type=int, default=None, help="max_position_embeddings (default max-length)")
    p.add_argument("--type-vocab", type=int, default=4)
    p.add_argument("--dropout", type=float, default=0.1)
    # optimisation
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=300, help="warm-up steps")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--clip", type=float, default=1.0, help="gradient-norm clip (0: off)")
    # trials
    p.add_argument("--train-limit", type=int, default=0, help="use only the first N training rows (trials)")
    p.add_argument("--max-steps", type=int, default=0, help="stop each epoch after N steps (trials)")
    p.add_argument("--no-readme", action="store_true", help="do not write README.md")
    args = p.parse_args(argv)
    if args.intermediate is None:
        args.intermediate = 4 * args.hidden
    if args.max_position is None:
        args.max_position = args.max_length
    if args.max_position < args.max_length:
        p.error("--max-position must be at least --max-length")
    return args


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def normalise_for_spm(text):
    # The same whitespace and quote handling FNetTokenizer applies before SentencePiece (remove_space=True),
    # so the vocabulary is learnt on the strings it will later segment.
    return " ".join(text.split()).replace("``", '"').replace("''", '"')


def train_sentencepiece(sentences, workdir, vocab_size, seed):
    """Run spm_train in workdir; returns (spiece.model path, command line). Byte-identical across runs."""
    with open(os.path.join(workdir, "sentences.txt"), "w", encoding="utf-8") as f:
        for s in sentences:
            f.write(normalise_for_spm(s) + "\n")
    cmd = [
        shutil.which("spm_train") or "/usr/bin/spm_train",
        "--input=sentences.txt",  # relative: the path is stored in the model's trainer spec
        "--model_prefix=spiece",
        "--model_type=unigram",
        f"--vocab_size={vocab_size}",
        "--character_coverage=1.0",
        "--pad_id=0",
        "--unk_id=1",
        "--bos_id=-1",
        "--eos_id=-1",
        "--control_symbols=[CLS],[SEP],[MASK]",
        f"--random_seed={seed}",
        "--num_threads=2",
    ]
    result = subprocess.run(cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout)
        raise RuntimeError(f"spm_train failed with exit code {result.returncode}")
    return os.path.join(workdir, "spiece.model"), cmd


def tokenizer_config(max_length):
    return {
        "do_lower_case": False,
        "remove_space": True,
        "keep_accents": True,
        "model_max_length": max_length,
        "unk_token": "<unk>",
        "sep_token": "[SEP]",
        "pad_token": "<pad>",
        "cls_token": "[CLS]",
        "mask_token": "[MASK]",
        "tokenizer_class": "FNetTokenizer",
    }


def init_weights_(model, std):
    """Hugging Face FNetPreTrainedModel._init_weights: N(0, std) weights, zero biases, unit LayerNorm."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Linear):
                module.weight.normal_(0.0, std)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, torch.nn.Embedding):
                module.weight.normal_(0.0, std)
                if module.padding_idx is not None:
                    module.weight[module.padding_idx].zero_()
            elif isinstance(module, torch.nn.LayerNorm):
                module.weight.fill_(1.0)
                module.bias.zero_()


def make_optimizer(model, lr, weight_decay):
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        (no_decay if name.endswith("bias") or "LayerNorm" in name else decay).append(param)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999), eps=1e-8)


def linear_schedule(warmup, total):
    def factor(step):
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    return factor


def parameter_arrays(model):
    """Float32 numpy copies of the trainable parameters under their state-dict (HF) names; no buffers."""
    names = {name for name, _ in model.named_parameters()}
    return {name: t.detach().cpu().numpy().astype(np.float32) for name, t in model.state_dict().items() if name in names}


def spm_version():
    try:
        import sentencepiece

        return sentencepiece.__version__
    except (ImportError, AttributeError):
        return "unknown"


def blas_library():
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            libs = sorted({line.split()[-1] for line in f if "/" in line
                           and "blas" in os.path.basename(line.split()[-1]).lower()})
        return ", ".join(libs) or "unknown"
    except OSError:
        return "unknown"


def raw_lengths(tokenizer, texts):
    """Untruncated lengths in pieces, [CLS] and [SEP] included."""
    return np.array([len(tokenizer.tokenize(t)) + 2 for t in texts])


def main(argv=None):
    args = parse_args(argv)
    t_start = time.time()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)

    train_labels, train_texts = eval_sst2.read_tsv(os.path.join(args.data, "train.tsv"))
    dev_labels, dev_texts = eval_sst2.read_tsv(os.path.join(args.data, "dev.tsv"))
    if args.train_limit:
        train_labels, train_texts = train_labels[:args.train_limit], train_texts[:args.train_limit]
    log(f"{len(train_texts)} training and {len(dev_texts)} dev sentences from {args.data}")

    stage = tempfile.mkdtemp(prefix="train_sst2_")
    try:
        # 1-2. vocabulary and tokenizer configuration
        t0 = time.time()
        spm_model, spm_cmd = train_sentencepiece(train_texts, stage, args.vocab_size, args.seed)
        tok_dir = os.path.join(stage, "model")
        os.makedirs(tok_dir)
        shutil.copyfile(spm_model, os.path.join(tok_dir, "spiece.model"))
        with open(os.path.join(tok_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(tokenizer_config(args.max_length), f, indent=2)
            f.write("\n")
        t_spm = time.time() - t0
        log(f"spm_train: {t_spm:.1f} s")

        # 3. fixed-length tokenization
        t0 = time.time()
        tokenizer = eval_sst2.load_tokenizer(tok_dir)
        assert tokenizer.pad_id == 0 and tokenizer.unk_id == 1, (tokenizer.pad_id, tokenizer.unk_id)
        x_train, tt_train = eval_sst2.encode_all(tokenizer, train_texts, args.max_length)
        x_dev, tt_dev = eval_sst2.encode_all(tokenizer, dev_texts, args.max_length)
        y_train = torch.tensor(train_labels, dtype=torch.long)
        dev_raw = raw_lengths(tokenizer, dev_texts)
        train_raw = raw_lengths(tokenizer, train_texts)
        t_tok = time.time() - t0
        log(f"tokenized in {t_tok:.1f} s; dev lengths (with [CLS]/[SEP]) mean {dev_raw.mean():.1f}, "
            f"p99 {np.percentile(dev_raw, 99):.0f}, max {dev_raw.max()}; "
            f"{(dev_raw > args.max_length).sum()} dev / {(train_raw > args.max_length).sum()} train "
            f"sentences truncated to {args.max_length}")

        # 4. model and training
        config = Config(
            vocab_size=tokenizer.vocab_size,
            hidden_size=args.hidden,
            num_hidden_layers=args.layers,
            intermediate_size=args.intermediate,
            hidden_act="gelu_new",
            hidden_dropout_prob=args.dropout,
            max_position_embeddings=args.max_position,
            type_vocab_size=args.type_vocab,
            initializer_range=0.02,
            layer_norm_eps=1e-12,
            pad_token_id=tokenizer.pad_id,
            bos_token_id=tokenizer.cls_id,
            eos_token_id=tokenizer.sep_id,
            id2label=dict(ID2LABEL),
        )
        torch.manual_seed(args.seed)
        model = FNetForSequenceClassification(config)
        init_weights_(model, config.initializer_range)
        n_params = sum(p.numel() for p in model.parameters())
        log(f"model: {args.layers} layers, hidden {args.hidden}, intermediate {args.intermediate}, "
            f"{n_params:,} parameters; {args.threads} torch threads; BLAS {blas_library()}")

        n = x_train.shape[0]
        steps_per_epoch = math.ceil(n / args.batch_size)
        if args.max_steps:
            steps_per_epoch = min(steps_per_epoch, args.max_steps)
        total_steps = steps_per_epoch * args.epochs
        optimizer = make_optimizer(model, args.lr, args.weight_decay)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, linear_schedule(args.warmup, total_steps))
        order_gen = torch.Generator().manual_seed(args.seed)

        history, best = [], None
        t_train0 = time.time()
        step = 0
        for epoch in range(1, args.epochs + 1):
            t_epoch = time.time()
            model.train()
            perm = torch.randperm(n, generator=order_gen)
            loss_sum, correct, seen = 0.0, 0, 0
            for b in range(steps_per_epoch):
                idx = perm[b * args.batch_size:(b + 1) * args.batch_size]
                logits = model(x_train[idx], tt_train[idx])[2]
                loss = F.cross_entropy(logits, y_train[idx])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if args.clip > 0:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
                optimizer.step()
                scheduler.step()
                step += 1
                loss_sum += loss.item() * idx.numel()
                correct += (logits.argmax(1) == y_train[idx]).sum().item()
                seen += idx.numel()
                if not math.isfinite(loss.item()):
                    raise RuntimeError(f"loss became {loss.item()} at step {step}")
                if (b + 1) % 200 == 0:
                    log(f"  epoch {epoch} step {b + 1}/{steps_per_epoch} loss {loss_sum / seen:.4f} "
                        f"({(time.time() - t_epoch) / (b + 1) * 1000:.0f} ms/step)")
            dev_logits = eval_sst2.predict_logits(model, x_dev, tt_dev)
            dev_acc = eval_sst2.accuracy(dev_logits, dev_labels)
            record = {
                "epoch": epoch,
                "train_loss": loss_sum / seen,
                "train_acc": correct / seen,
                "dev_acc": dev_acc,
                "seconds": time.time() - t_epoch,
            }
            history.append(record)
            if best is None or dev_acc > best["dev_acc"]:
                best = dict(record, state={k: v.detach().clone() for k, v in model.state_dict().items()})
            log(f"epoch {epoch}: train loss {record['train_loss']:.4f} acc {record['train_acc']:.4f}, "
                f"dev acc {dev_acc:.4f} (best {best['dev_acc']:.4f} @ {best['epoch']}), {record['seconds']:.0f} s")
        t_train = time.time() - t_train0

        # 5. the model folder
        model.load_state_dict(best["state"])
        model_dir = os.path.join(stage, "model")
        cfg = config.to_dict()
        cfg["architectures"] = ["FNetForSequenceClassification"]
        with open(os.path.join(model_dir, "config.json"), "w", encoding="utf-8") as f:
            json.dump(cfg, f, indent=2, sort_keys=True)
            f.write("\n")
        safetensors_io.save(os.path.join(model_dir, "model.safetensors"), parameter_arrays(model),
                            metadata={"format": "pt"})

        # Reload the written folder the way tools/eval_sst2.py does, as a check of what ships.
        reloaded = eval_sst2.load_model(model_dir)
        final_acc = eval_sst2.accuracy(eval_sst2.predict_logits(reloaded, x_dev, tt_dev), dev_labels)
        if abs(final_acc - best["dev_acc"]) > 1e-9:
            raise RuntimeError(f"reloaded model scores {final_acc}, expected {best['dev_acc']}")
        t_total = time.time() - t_start

        os.makedirs(args.out, exist_ok=True)
        for name in ("config.json", "model.safetensors", "spiece.model", "tokenizer_config.json"):
            shutil.copyfile(os.path.join(model_dir, name), os.path.join(args.out, name))
        if not args.no_readme:
            write_readme(args, spm_cmd, config, n_params, history, best, final_acc, dev_raw, train_raw,
                         len(train_texts), {"spm": t_spm, "tokenize": t_tok, "train": t_train, "total": t_total})
        log(f"final dev accuracy {final_acc:.4f} (epoch {best['epoch']}); training {t_train:.0f} s, "
            f"total {t_total:.0f} s; wrote {args.out}")
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return 0


def write_readme(args, spm_cmd, config, n_params, history, best, final_acc, dev_raw, train_raw, n_train, times):
    rel_out = os.path.relpath(args.out, REPO)
    command = ["/usr/bin/python3", "tools/train_sst2.py"] + sys.argv[1:]
    sizes = {name: os.path.getsize(os.path.join(args.out, name))
             for name in ("config.json", "model.safetensors", "spiece.model", "tokenizer_config.json")}
    rows = "\n".join(
        f"| {h['epoch']} | {h['train_loss']:.4f} | {h['train_acc']:.4f} | {h['dev_acc']:.4f} | {h['seconds']:.0f} |"
        for h in history)
    ld_path = os.environ.get("LD_LIBRARY_PATH", "")
    env_prefix = f"LD_LIBRARY_PATH={ld_path} " if ld_path else ""
    text = f"""# sst2-fnet-small: an FNet sentiment classifier trained from scratch on SST-2

A small FNet encoder (Lee-Thorp et al., 2021) with a sequence-classification head, trained from random
initialisation on the GLUE SST-2 training split (binary sentiment of lower-cased English movie-review
phrases). It is the example model of this repository: small enough to ship, and a real trained model
for the C++-vs-PyTorch parity checks. It is not competitive with pre-trained models (which reach 90%+);
it exists to exercise the library.

Labels: 0 = `negative`, 1 = `positive`.

**Dev accuracy: {final_acc:.4f}** ({round(final_acc * len(dev_raw))}/{len(dev_raw)} sentences of the GLUE SST-2
validation split), epoch {best['epoch']} of {len(history)}. The epoch was chosen by this same dev
accuracy, so the figure is slightly optimistic.

## Files

| file | bytes | what |
| --- | --- | --- |
| `config.json` | {sizes['config.json']} | Hugging Face FNetConfig fields, `architectures`, labels |
| `model.safetensors` | {sizes['model.safetensors']} | float32 weights, Hugging Face tensor names (no buffers) |
| `spiece.model` | {sizes['spiece.model']} | SentencePiece unigram model, {config.vocab_size} pieces |
| `tokenizer_config.json` | {sizes['tokenizer_config.json']} | FNetTokenizer settings; `model_max_length` = padding length |

## Input format

`[CLS] sentence [SEP]`, token types 0, right-padded with `<pad>` (id {config.pad_token_id}) to exactly
**{args.max_length} tokens**; longer sentences are truncated to {args.max_length - 2} pieces plus [CLS]/[SEP].
FNet has no attention mask: the Fourier mixing sees the padding, so the model must be run at the
length it was trained with. Tokenize exactly as `tests/reference/fnet_tokenizer.py` (and the C++
`fnet::Tokenizer`) do. The text should be lower-cased and PTB-tokenised like SST-2 (`n't` split off,
`-lrb-` for parentheses); the tokenizer does not lower-case.

Token lengths with [CLS]/[SEP], before padding: dev mean {dev_raw.mean():.1f}, median {np.median(dev_raw):.0f},
99th percentile {np.percentile(dev_raw, 99):.0f}, max {dev_raw.max()} ({(dev_raw <= args.max_length).mean() * 100:.1f}% of dev
sentences fit in {args.max_length}); train mean {train_raw.mean():.1f}, max {train_raw.max()}
({(train_raw > args.max_length).sum()} of {n_train} truncated).

## Architecture

| field | value |
| --- | --- |
| layers | {config.num_hidden_layers} |
| hidden size | {config.hidden_size} |
| intermediate size | {config.intermediate_size} |
| activation | {config.hidden_act} |
| vocabulary | {config.vocab_size} |
| max_position_embeddings | {config.max_position_embeddings} |
| type_vocab_size | {config.type_vocab_size} |
| layer_norm_eps | {config.layer_norm_eps} |
| parameters | {n_params:,} |

Fourier mixing is the unscaled real part of the 2-D DFT (Hugging Face's `use_tpu_fourier_optimizations`
false path).

## How it was made

```sh
{env_prefix}{shlex.join(command)}
```

run from the repository root, with the data folder `{os.path.relpath(args.data, REPO)}` (SST-2 `train.tsv`,
`dev.tsv`; not part of this repository). The script writes `{rel_out}/`.

1. Vocabulary: `{' '.join(shlex.quote(c) for c in [os.path.basename(spm_cmd[0])] + spm_cmd[1:])}` on the
   {n_train} training sentences (whitespace collapsed and ``` `` ```/`''` turned into `"`, as the tokenizer
   does before SentencePiece). The resulting `spiece.model` is byte-identical across runs.
2. Every sentence tokenized with `tests/reference/fnet_tokenizer.py` and padded to {args.max_length}.
3. `FNetForSequenceClassification` from `tests/reference/fnet_reference.py`, initialised like Hugging
   Face (`N(0, {config.initializer_range})` weights, zero biases, unit LayerNorm, zero `<pad>` embedding).
4. Training: seed {args.seed} (`torch.manual_seed`; the epoch order is `torch.randperm` from a generator
   seeded with it), {args.epochs} epochs of batch {args.batch_size} ({math.ceil(n_train / args.batch_size)} steps per epoch),
   AdamW (lr {args.lr:g}, betas 0.9/0.999, eps 1e-8, weight decay {args.weight_decay:g} on weights, none on biases and
   LayerNorm), linear warm-up over {args.warmup} steps then linear decay to 0, gradient-norm clip
   {args.clip:g}, dropout {args.dropout:g}, cross-entropy. Dev accuracy after each epoch; the best epoch is kept
   (ties keep the earlier one).

Environment: Python {platform.python_version()}, torch {torch.__version__} (Debian python3-torch), numpy
{np.__version__}, sentencepiece {spm_version()}, {args.threads} torch thread(s), BLAS `{blas_library()}`,
{platform.machine()} CPU. Debian's torch is linked against `libblas.so.3`, by default the unoptimised
reference BLAS, with which training is about ten times slower; `tools/install-deps.sh` installs
Debian's `libopenblas0-pthread`, which takes over `libblas.so.3`. With
`torch.use_deterministic_algorithms(True)` and a fixed thread count, rerunning the command reproduces
the weights bit for bit (checked: the system OpenBLAS-pthread and an unpacked OpenBLAS-openmp 0.3.21 gave
byte-identical `model.safetensors`); another BLAS or thread count changes the rounding, hence the weights
and possibly the dev accuracy by a few tenths of a percent. One thread is the default because on this
shared 2-core machine two OpenMP threads were 3 to 5 times slower per step than one.

Wall-clock time: {times['total'] / 60:.1f} min in all ({times['train'] / 60:.1f} min of training, {times['tokenize']:.0f} s tokenizing,
{times['spm']:.0f} s spm_train), on a shared 2-core machine.

| epoch | train loss | train acc | dev acc | seconds |
| --- | --- | --- | --- | --- |
{rows}

Final (best epoch {best['epoch']}, reloaded from `model.safetensors`): dev accuracy **{final_acc:.4f}**.

Check it with

```sh
/usr/bin/python3 tools/eval_sst2.py {rel_out}
```

## Data

SST-2 (Socher et al., "Recursive Deep Models for Semantic Compositionality Over a Sentiment Treebank",
EMNLP 2013), in the GLUE split (Wang et al., 2018).
"""
    with open(os.path.join(args.out, "README.md"), "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    sys.exit(main())
