"""Writes the expected tokenizations that tests/test_tokenizer.cpp compares fnet::Tokenizer against.

Run by CTest as the 'tokenizer_reference' fixture. It

1. trains a small SentencePiece model with spm_train on the SST-2 dev sentences (plus a few lines of
   comma-grouped numbers, with --split_by_number=false, so that pieces such as "2," exist and the
   digit-comma rule is exercised), with the FNet special pieces: <pad>=0, <unk>=1, [CLS], [SEP], [MASK];
2. lays it out as model directories with different tokenizer_config.json files;
3. encodes the SST-2 dev set and a hand-written hard set with the Python reference
   (fnet_tokenizer.FNetTokenizer) for each directory, and for the shipped example model when it exists;
4. writes OUT/manifest.json listing them, plus Python's own str.isspace()/str.isdigit() tables so the C++
   character classes can be checked code point by code point.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnet_tokenizer import SPIECE_UNDERLINE, FNetTokenizer, encode_windows  # noqa: E402

NUMBER_LINES = [
    "it sold 1,000,000 copies , 2,500 fans and 30,000 people paid 10, 20, 3, or 45,000,000 dollars",
    "in 1999, 2001, 2002, and 2,003 the film made 12,345,678 from 7, 8, 9, screens",
    "numbers like 1,000 and 2,000, 3, 10, 25,000, 100,000,000 or 7, and 4,",
] * 8


def read_sst2(path):
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        column = header.index("content") if "content" in header else header.index("sentence")
        return [line.rstrip("\n").split("\t")[column] for line in f if line.strip()]


def train(spm_train, sentences, prefix):
    text_file = prefix + ".train.txt"
    with open(text_file, "w", encoding="utf-8") as f:
        f.write("\n".join(sentences + NUMBER_LINES) + "\n")
    flags = [
        f"--input={text_file}", f"--model_prefix={prefix}", "--vocab_size=2000", "--model_type=unigram",
        "--pad_id=0", "--unk_id=1", "--bos_id=-1", "--eos_id=-1", "--control_symbols=[CLS],[SEP],[MASK]",
        "--split_by_number=false", "--num_threads=1", "--minloglevel=1",
    ]
    if spm_train:
        subprocess.run([spm_train] + flags, check=True, stdout=subprocess.DEVNULL)
    else:  # the same library through its Python binding
        import sentencepiece as spm
        spm.SentencePieceTrainer.Train(" ".join(flags))
    return prefix + ".model"


def hard_cases(sentences):
    long_text = " ".join(sentences[:12])
    single = [
        ("accents", "Café naïve résumé Ångström Zoë façade"),
        ("combining", "e\u0301te\u0301 n\u0303 a\u0308"),
        ("quotes", "``Hello,'' she said. '''triple''' `` '' ` ' \"plain\""),
        ("ptb_quotes", "`` it 's '' a `` great '' film"),
        ("digits_commas", "It cost 1,000,000 dollars, not 2,500 or 30,000."),
        ("digit_comma_short", "3,"),
        ("digit_comma_list", "3, 4, 5, 10, 20,"),
        ("digit_comma_nospace", "a2,b 12,345,678,9 x1999,2001,"),
        ("digit_comma_unicode", "\u0661\u0662, \u00b2, \u2460, \uff11,\uff10\uff10\uff10, \u0967,"),
        ("underline_char", "a\u2581b \u25811,000, 1\u25812,"),
        ("emoji", "😀 emoji 👍🏽 family 👨\u200d👩\u200d👧 ok"),
        ("cjk", "日本語のテキスト 中文 한국어"),
        ("empty", ""),
        ("spaces", "   "),
        ("ascii_whitespace", "\t\n\r\x0b\x0c \x1c\x1d\x1e\x1f"),
        ("tabs_newlines", "a\tb\nc\r\nd  \t e"),
        ("unicode_spaces", "x\u00a0y\u3000z\u2003w\u200bv\u202fu\u205ft\u1680s\u0085r\u2028q\u2029p\ufeffo"),
        ("leading_trailing", "  \u00a0 leading and trailing \u3000 "),
        ("nul_and_controls", "a\x00b\x07c\x7fd"),
        ("controls_only", "\x01\x02\x7f"),
        ("specials", "[CLS] hello [SEP] world <pad><pad> [MASK] end <unk>"),
        ("special_alone", "[CLS]"),
        ("special_glued", "x[MASK]y<pad>z[SEP]"),
        ("special_nested", "[[CLS]] <<pad>> [CLS"),
        ("special_lowercase", "[cls] <PAD> [Mask]"),
        ("special_spaces", "  a  [MASK]   b \u3000[SEP]\u3000 c  "),
        ("mixed", "The film 's 2,000 ``best'' moments \u2013 naïve , 😀 [SEP] 日本"),
        # A Unicode sample for lower-casing and accent stripping (Python's str.lower and unicodedata).
        ("latin", "ÀÉÎÕÜ àéîõü Ÿ Œuvre ŁÓDŹ Ćma Ŝ ǅ Ǆ ÆØÅ ĲSSEL ﬁne ½"),
        ("greek_sigma", "ΟΔΥΣΣΕΥΣ ΣΊΣΥΦΟΣ Σ ΣΑ. Σ' ΑΣ, ὈΔΥΣΣΕΎΣ ΜΆΣ-ΣΑ"),
        ("turkish", "İSTANBUL İi Iı İ̇"),
        ("german", "STRAẞE Straße MAẞ"),
        ("cyrillic", "ПРИВЕТ Мир ЁЖИК Ѐ"),
        ("cased_mix", "The QUICK Brown FOX [MASK] Émile ZOË"),
        ("long", long_text),
        ("very_long", "word " * 2000),
    ]
    cases = []
    for name, text in single:
        cases.append(dict(name=name, text=text, max_length=64))
        cases.append(dict(name=name + "/default_length", text=text, max_length=None))
    cases += [
        dict(name="long/16", text=long_text, max_length=16),
        dict(name="long/unpadded", text=long_text, max_length=24, pad=False),
        dict(name="short/unpadded", text="a good film", max_length=24, pad=False),
        dict(name="minimum_length", text="a good film", max_length=2),
        dict(name="empty/minimum_length", text="", max_length=2),
        dict(name="pair", text="a good film .", pair="it is great", max_length=32),
        dict(name="pair/empty", text="", pair="", max_length=8),
        dict(name="pair/controls_only", text="\x01", pair="", max_length=8),
        dict(name="pair/empty_first", text="", pair="second only", max_length=8),
        dict(name="pair/long_short", text=long_text, pair="short one", max_length=20),
        dict(name="pair/short_long", text="short one", pair=long_text, max_length=20),
        dict(name="pair/long_long", text=long_text, pair=sentences[20] + " " + sentences[21], max_length=33),
        dict(name="pair/odd_budget", text=sentences[3], pair=sentences[4], max_length=10),
        dict(name="pair/minimum_length", text="abc", pair="def", max_length=3),
        dict(name="pair/specials", text="[CLS] x [SEP]", pair="<pad> [MASK] y", max_length=16),
        dict(name="pair/unpadded", text="a", pair="b c", max_length=16, pad=False),
        dict(name="pair/default_length", text=sentences[5], pair=sentences[6], max_length=None),
    ]
    return cases


def window_cases(sentences):
    """Overflow windows (transformers' return_overflowing_tokens with a fast tokenizer)."""
    long_text = " ".join(sentences[30:40])
    return [
        dict(name="windows/single", text=long_text, max_length=24, truncation="longest_first", stride=5),
        dict(name="windows/single_no_stride", text=long_text, max_length=20, truncation="only_first", stride=0),
        dict(name="windows/fits", text="a short text", max_length=24, truncation="longest_first", stride=4),
        dict(name="windows/only_second", text="what is it about ?", pair=long_text, max_length=32,
             truncation="only_second", stride=8),
        dict(name="windows/only_first", text=long_text, pair="is it good ?", max_length=28, truncation="only_first",
             stride=3),
        dict(name="windows/longest_first", text=long_text, pair=" ".join(sentences[50:54]), max_length=30,
             truncation="longest_first", stride=2),
        dict(name="windows/longest_first_short_pair", text=long_text, pair="ok", max_length=26,
             truncation="longest_first", stride=6),
    ]


def expected_windows(tok, cases):
    out = []
    for case in cases:
        rows = encode_windows(tok, case["text"], case.get("pair"), case["max_length"], case["truncation"], case["stride"])
        out.append(dict(case, pair=case.get("pair"), rows=[dict(input_ids=i, token_type_ids=t) for i, t in rows]))
    return out


def sst2_cases(sentences):
    cases = [dict(name=f"sst2/{i}", text=s, max_length=128, group="sst2") for i, s in enumerate(sentences)]
    cases += [
        dict(name=f"sst2_pair/{i}", text=sentences[i], pair=sentences[i + 1], max_length=40)
        for i in range(0, len(sentences) - 1, 7)
    ]
    return cases


def expected(tok, cases):
    out = []
    for case in cases:
        text, pair = case["text"], case.get("pair")
        pad = case.get("pad", True)
        ids, types = tok.encode(text, pair, max_length=case["max_length"], pad=pad)
        row = dict(case, pad=pad, pair=pair, tokens=tok.tokenize(text), input_ids=ids, token_type_ids=types)
        if pair is not None:
            row["pair_tokens"] = tok.tokenize(pair)
        out.append(row)
    return out


def digit_comma_rule_fired(tok, cases):
    """How often the rule changed the pieces, with and without a leading word marker: proof it is tested."""
    with_marker = without_marker = 0
    for case in cases:
        for piece in tok.sp.EncodeAsPieces(tok._preprocess(case["text"])):
            if len(piece) > 1 and piece[-1] == "," and piece[-2].isdigit():
                if piece[0] == SPIECE_UNDERLINE:
                    with_marker += 1
                else:
                    without_marker += 1
    return with_marker, without_marker


def write_model_dir(path, model_file, config):
    os.makedirs(path, exist_ok=True)
    shutil.copyfile(model_file, os.path.join(path, "spiece.model"))
    config_file = os.path.join(path, "tokenizer_config.json")
    if config is None:
        if os.path.exists(config_file):
            os.remove(config_file)
    else:
        with open(config_file, "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sst2", required=True, help="SST-2 dev.tsv")
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--spm-train", default="", help="spm_train executable (else the Python trainer)")
    ap.add_argument("--shipped", default="", help="shipped model directory, tested when it has spiece.model")
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    sentences = read_sst2(args.sst2)
    windows = window_cases(sentences)
    model_file = train(args.spm_train, sentences, os.path.join(args.out, "spiece"))

    mask = {"content": "[MASK]", "single_word": False, "lstrip": True, "rstrip": False, "normalized": False,
            "__type": "AddedToken"}
    dirs = {
        # The FNet defaults, as google/fnet-base ships them.
        "default": write_model_dir(os.path.join(args.out, "model"), model_file, {
            "do_lower_case": False, "remove_space": True, "keep_accents": True, "unk_token": "<unk>",
            "sep_token": "[SEP]", "pad_token": "<pad>", "cls_token": "[CLS]", "mask_token": mask,
            "model_max_length": 64, "tokenizer_class": "FNetTokenizer"}),
        # No tokenizer_config.json at all: built-in defaults, no model_max_length.
        "no_config": write_model_dir(os.path.join(args.out, "model_no_config"), model_file, None),
        # Whitespace kept: exercises the strip flags of special tokens and raw whitespace into SentencePiece.
        "keep_space": write_model_dir(os.path.join(args.out, "model_keep_space"), model_file, {
            "remove_space": False, "model_max_length": 1000000000000000019884624838656,
            "sep_token": {"content": "[SEP]", "lstrip": False, "rstrip": True}}),
        # The two options that need Unicode tables (ICU in C++, str.lower/unicodedata in Python).
        "lower": write_model_dir(os.path.join(args.out, "model_lower"), model_file, {
            "do_lower_case": True, "model_max_length": 64}),
        "strip_accents": write_model_dir(os.path.join(args.out, "model_strip_accents"), model_file, {
            "keep_accents": False, "model_max_length": 64}),
        "lower_strip_accents": write_model_dir(os.path.join(args.out, "model_lower_strip_accents"), model_file, {
            "do_lower_case": True, "keep_accents": False, "model_max_length": 64}),
    }
    hard = hard_cases(sentences)
    entries = []
    for key, model_dir in dirs.items():
        tok = FNetTokenizer(model_dir)
        cases = hard + (sst2_cases(sentences) if key in ("default", "lower", "lower_strip_accents") else [])
        if key == "default":
            fired = digit_comma_rule_fired(tok, hard)
            if min(fired) == 0:
                sys.exit(f"tokenizer_parity: the digit-comma rule never fired (with/without marker: {fired})")
        entries.append(write_expected(args.out, key, model_dir, tok, cases, windows))

    shipped = args.shipped
    if shipped and os.path.isfile(os.path.join(shipped, "spiece.model")):
        tok = FNetTokenizer(shipped)
        entries.append(write_expected(args.out, "shipped", shipped, tok, hard + sst2_cases(sentences), windows))
    else:
        print(f"tokenizer_parity: no shipped model at {shipped or '(not given)'}; testing trained models only")

    manifest = dict(
        models=entries,
        python_space=[c for c in range(0x110000) if chr(c).isspace()],
        python_digit=[c for c in range(0x110000) if chr(c).isdigit()],
    )
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f)
    print(f"tokenizer_parity: wrote {len(entries)} model(s) to {args.out}")


def write_expected(out_dir, key, model_dir, tok, cases, windows):
    path = os.path.join(out_dir, f"expected_{key}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(dict(
            model_dir=os.path.abspath(model_dir), vocab_size=tok.vocab_size, pad_id=tok.pad_id, unk_id=tok.unk_id,
            cls_id=tok.cls_id, sep_id=tok.sep_id, mask_id=tok.mask_id, model_max_length=tok.model_max_length or 0,
            cases=expected(tok, cases), windows=expected_windows(tok, windows)), f)
    return dict(name=key, expected=path)


if __name__ == "__main__":
    main()
