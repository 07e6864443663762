"""Python reference for the FNet tokenizer (the ground truth the C++ fnet::Tokenizer is tested against).

It reproduces the slow, SentencePiece-based ``transformers.FNetTokenizer`` (models/fnet/tokenization_fnet.py,
itself adapted from the ALBERT tokenizer) together with the parts of ``PreTrainedTokenizer`` that shape its
output: splitting special-token strings out of the text, 'longest_first' truncation and right padding to
``max_length``. Only sentencepiece and the standard library are needed, not transformers.

Pipeline, for each input text:

1. If ``do_lower_case``: lowercase everything except the special-token strings (so "<PAD>" becomes "<pad>",
   which is then a special token, as in Hugging Face).
2. Split the text on the special-token strings (unk, sep, pad, cls, mask), leftmost then longest match.
   Whitespace next to a special token is stripped on both sides for plain-string tokens and on the sides
   its AddedToken flags say for dict-valued ones (the mask token defaults to lstrip only). A special
   token string maps straight to its id; the pieces between are tokenized with steps 3-5.
3. ``remove_space``: strip, and collapse every run of whitespace to one ' ' (Python str.split(), so
   Unicode whitespace: NBSP, U+3000, ...). Then ``\u0060\u0060`` and ``''`` become ``"``. Then if not
   ``keep_accents``: NFKD and drop combining marks; if ``do_lower_case``: lowercase.
4. SentencePiece encodes the result into pieces.
5. Digit-comma rule: a piece longer than one character that ends in ',' preceded by a digit (str.isdigit,
   Unicode) is re-encoded without its '\u2581' markers and the comma, the leading '\u2581' dropped when the
   original piece had none, and the ',' appended as its own piece ("1,000," -> ... '0', ',').

Pieces become ids through ``PieceToId`` (pieces SentencePiece does not know map to <unk>), and the ids are
laid out as ``[CLS] A [SEP]`` (token types 0) or ``[CLS] A [SEP] B [SEP]`` (types 0 for CLS, A and the first
SEP; 1 for B and its SEP).

Deliberate differences from Hugging Face (all at edges a fixed-length FNet input never reaches in practice):

* Defaults when tokenizer_config.json is absent or silent: ``keep_accents`` is True (the configs shipped
  with google/fnet-base and -large set it; the FNetTokenizer class default is False), do_lower_case False,
  remove_space True.
* A single text whose special tokens alone exceed max_length is truncated to ``[CLS] [SEP]``; HF logs an
  error and returns the text untruncated (longer than max_length). A pair needs max_length >= 3; smaller
  raises ValueError (HF returns an over-long sequence).
* The special tokens must all be in the SentencePiece vocabulary (a ValueError otherwise); HF would
  silently map a missing one to <unk> or append it after the vocabulary. ``additional_special_tokens``,
  added_tokens.json and tokenizer.json are ignored.
* A ``model_max_length`` larger than 2**31-1 (HF writes 1e30 for "no limit") counts as absent.
* Whitespace stripping next to special tokens follows transformers 4.x before 4.34 (plain-string special
  tokens strip both sides). With remove_space=True, the default, the per-chunk strip makes this moot.
"""

import json
import os
import unicodedata

import sentencepiece as spm

SPIECE_UNDERLINE = "\u2581"
INT32_MAX = 2**31 - 1


class _Special:
    """A special token string and which neighbouring whitespace it swallows."""

    def __init__(self, value, default_lstrip=None, default_rstrip=None):
        if isinstance(value, dict):
            self.content = value["content"]
            self.lstrip = bool(value.get("lstrip", False))
            self.rstrip = bool(value.get("rstrip", False))
        elif isinstance(value, str):
            self.content = value
            # A plain-string special token strips whitespace on both sides (HF < 4.34), unless it is given
            # as an AddedToken by the tokenizer class itself (the mask token: lstrip only).
            self.lstrip = True if default_lstrip is None else default_lstrip
            self.rstrip = True if default_rstrip is None else default_rstrip
        else:
            raise ValueError(f"special token must be a string or an AddedToken dict, found {value!r}")


class FNetTokenizer:
    def __init__(self, model_dir):
        model_file = os.path.join(model_dir, "spiece.model")
        if not os.path.isfile(model_file):
            raise FileNotFoundError(f"{model_file}: no such file")
        self.sp = spm.SentencePieceProcessor()
        self.sp.Load(model_file)

        config = {}
        config_file = os.path.join(model_dir, "tokenizer_config.json")
        if os.path.isfile(config_file):
            with open(config_file, encoding="utf-8") as f:
                config = json.load(f)
            if not isinstance(config, dict):
                raise ValueError(f"{config_file}: expected a JSON object")

        self.do_lower_case = bool(config.get("do_lower_case", False))
        self.remove_space = bool(config.get("remove_space", True))
        self.keep_accents = bool(config.get("keep_accents", True))

        # An integer above 2**31-1 or a float is HF's "no limit" sentinel (int(1e30)).
        mml = config.get("model_max_length")
        self.model_max_length = None
        if isinstance(mml, int) and not isinstance(mml, bool) and mml <= INT32_MAX:
            if mml < 2:
                raise ValueError(f"{config_file}: model_max_length must be at least 2, found {mml}")
            self.model_max_length = mml

        self.unk = _Special(config.get("unk_token", "<unk>"))
        self.sep = _Special(config.get("sep_token", "[SEP]"))
        self.pad = _Special(config.get("pad_token", "<pad>"))
        self.cls = _Special(config.get("cls_token", "[CLS]"))
        # FNetTokenizer wraps the mask token in AddedToken(lstrip=True, rstrip=False): it behaves like a word.
        self.mask = _Special(config.get("mask_token", "[MASK]"), default_lstrip=True, default_rstrip=False)
        self.specials = [self.unk, self.sep, self.pad, self.cls, self.mask]

        self.unk_id = self.sp.unk_id()
        ids = {}
        for name, tok in zip(("unk", "sep", "pad", "cls", "mask"), self.specials):
            i = self.sp.PieceToId(tok.content)
            if i == self.unk_id and tok.content != self.sp.IdToPiece(self.unk_id):
                raise ValueError(f"{model_file}: {name}_token {tok.content!r} is not in the vocabulary")
            ids[name] = i
        self.unk_id, self.sep_id, self.pad_id = ids["unk"], ids["sep"], ids["pad"]
        self.cls_id, self.mask_id = ids["cls"], ids["mask"]

    @property
    def vocab_size(self):
        return self.sp.GetPieceSize()

    # -- text -> pieces ------------------------------------------------------------------------------

    def _preprocess(self, text):
        if self.remove_space:
            text = " ".join(text.strip().split())
        text = text.replace("``", '"').replace("''", '"')
        if not self.keep_accents:
            text = unicodedata.normalize("NFKD", text)
            text = "".join(c for c in text if not unicodedata.combining(c))
        if self.do_lower_case:
            text = text.lower()
        return text

    def _tokenize_chunk(self, text):
        pieces = self.sp.EncodeAsPieces(self._preprocess(text))
        out = []
        for piece in pieces:
            if len(piece) > 1 and piece[-1] == "," and piece[-2].isdigit():
                sub = self.sp.EncodeAsPieces(piece[:-1].replace(SPIECE_UNDERLINE, ""))
                if piece[0] != SPIECE_UNDERLINE and sub and sub[0][0] == SPIECE_UNDERLINE:
                    if len(sub[0]) == 1:
                        sub = sub[1:]
                    else:
                        sub[0] = sub[0][1:]
                sub.append(piece[-1])
                out.extend(sub)
            else:
                out.append(piece)
        return out

    def _split_specials(self, text):
        """Leftmost-longest split on the special-token strings: a list of (chunk, _Special or None)."""
        by_length = sorted(self.specials, key=lambda s: -len(s.content))
        parts, start, i = [], 0, 0
        while i < len(text):
            hit = next((s for s in by_length if s.content and text.startswith(s.content, i)), None)
            if hit is None:
                i += 1
                continue
            if i > start:
                parts.append((text[start:i], None))
            parts.append((hit.content, hit))
            i += len(hit.content)
            start = i
        if start < len(text):
            parts.append((text[start:], None))
        return parts

    def tokenize(self, text):
        if self.do_lower_case:
            text = "".join(c if s is not None else c.lower() for c, s in self._split_specials(text))
        parts = [[c, s] for c, s in self._split_specials(text)]
        for k, (chunk, special) in enumerate(parts):
            if special is None:
                continue
            if special.rstrip and k + 1 < len(parts) and parts[k + 1][1] is None:
                parts[k + 1][0] = parts[k + 1][0].lstrip()
            if special.lstrip and k > 0 and parts[k - 1][1] is None:
                parts[k - 1][0] = parts[k - 1][0].rstrip()
        pieces = []
        for chunk, special in parts:
            if not chunk:
                continue
            pieces.extend([chunk] if special is not None else self._tokenize_chunk(chunk))
        return pieces

    def convert_tokens_to_ids(self, pieces):
        return [self.sp.PieceToId(p) for p in pieces]

    # -- pieces -> model input -----------------------------------------------------------------------

    def encode(self, text, text_pair=None, max_length=None, pad=True):
        if max_length is None:
            max_length = self.model_max_length
        a = self.convert_tokens_to_ids(self.tokenize(text))
        b = None if text_pair is None else self.convert_tokens_to_ids(self.tokenize(text_pair))
        if max_length is not None:
            if max_length < 2:
                raise ValueError(f"max_length must be at least 2 ([CLS] and [SEP]), got {max_length}")
            if b is None:
                a = a[: max_length - 2]
            else:
                if max_length < 3:
                    raise ValueError(f"max_length must be at least 3 for a pair, got {max_length}")
                # 'longest_first': drop the last token of the longer segment, the second one on ties.
                excess = len(a) + len(b) + 3 - max_length
                for _ in range(max(0, excess)):
                    if len(a) > len(b):
                        a = a[:-1]
                    else:
                        b = b[:-1]
        ids = [self.cls_id] + a + [self.sep_id]
        types = [0] * len(ids)
        if b is not None:
            ids += b + [self.sep_id]
            types += [1] * (len(b) + 1)
        if pad and max_length is not None:
            n = max_length - len(ids)
            ids += [self.pad_id] * n
            types += [0] * n
        return ids, types


def _windows(tokens, keep, stride):
    """transformers' fast-tokenizer overflow: windows of `keep` tokens advancing by keep - stride until one
    reaches the end (the whole list when it fits)."""
    if keep >= len(tokens):
        return [tokens]
    if stride < 0 or stride >= keep:
        raise ValueError(f"stride {stride} must be below the {keep} tokens a window holds")
    out, start = [], 0
    while True:
        out.append(tokens[start:start + keep])
        if start + keep >= len(tokens):
            return out
        start += keep - stride


def encode_windows(tok, text, text_pair=None, max_length=None, truncation="longest_first", stride=0, pad=True):
    """Every row of transformers' return_overflowing_tokens=True (fast tokenizers), each [CLS] .. [SEP] and
    padded: a list of (ids, types). Truncation 'longest_first' (single text: its end; pair: the shorter text
    keeps what it can up to half of the room), 'only_first', 'only_second'."""
    if max_length is None:
        max_length = tok.model_max_length
    a = tok.convert_tokens_to_ids(tok.tokenize(text))
    b = None if text_pair is None else tok.convert_tokens_to_ids(tok.tokenize(text_pair))
    room = max_length - (2 if b is None else 3)
    excess = len(a) + (len(b) if b is not None else 0) - room
    keep_a, keep_b = len(a), (len(b) if b is not None else 0)
    if excess > 0:
        if truncation == "only_first" or (b is None and truncation == "longest_first"):
            if b is not None and excess >= len(a):
                raise ValueError("only_first: the first text is too short")
            keep_a = len(a) - excess
        elif truncation == "only_second":
            if b is None or excess >= len(b):
                raise ValueError("only_second: the second text is too short")
            keep_b = len(b) - excess
        else:
            n1, n2 = min(len(a), len(b)), max(len(a), len(b))
            n2 = n1 if n1 > room else max(n1, room - n1)
            if n1 + n2 > room:
                n1, n2 = room // 2, room // 2 + room % 2
            a_shorter = len(a) <= len(b)
            keep_a = min(len(a), n1 if a_shorter else n2)
            keep_b = min(len(b), n2 if a_shorter else n1)
    aw = _windows(a, keep_a, stride)
    bw = _windows(b, keep_b, stride) if b is not None else [None]

    def row(x, y):
        ids = [tok.cls_id] + x + [tok.sep_id]
        types = [0] * len(ids)
        if y is not None:
            ids += y + [tok.sep_id]
            types += [1] * (len(y) + 1)
        if pad:
            ids += [tok.pad_id] * (max_length - len(ids))
            types += [0] * (max_length - len(types))
        return ids, types

    rows = [row(aw[0], bw[0])]
    for x in aw[1:]:
        rows.append(row(x, bw[0]))
        rows.extend(row(x, y) for y in bw[1:])
    rows.extend(row(aw[0], y) for y in bw[1:])
    return rows
