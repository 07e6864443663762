"""Independent PyTorch reference of the FNet encoder.

It mirrors Hugging Face transformers' `models/fnet/modeling_fnet.py` module structure and parameter
names (so its state dict loads into HF's FNetForSequenceClassification / FNetForMaskedLM unchanged),
but it is written from the paper and HF's documented behaviour, not copied. It is the oracle the C++
library is tested against, and the model the example classifier is trained with.

`mutation` deliberately breaks one step; the parity tests use it to show they would notice such a bug.
"""
import math

import torch
from torch import nn

HF_DEFAULTS = {
    "vocab_size": 32000,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "intermediate_size": 3072,
    "hidden_act": "gelu_new",
    "hidden_dropout_prob": 0.1,
    "max_position_embeddings": 512,
    "type_vocab_size": 4,
    "initializer_range": 0.02,
    "layer_norm_eps": 1e-12,
    "use_tpu_fourier_optimizations": False,
    "tpu_short_seq_length": 512,
    "pad_token_id": 3,
    "bos_token_id": 1,
    "eos_token_id": 2,
}

MUTATIONS = ("drop_projection", "ln_before_residual", "exact_gelu", "no_token_type")


class Config:
    def __init__(self, **fields):
        merged = dict(HF_DEFAULTS)
        merged.update(fields)
        for key, value in merged.items():
            setattr(self, key, value)
        if not hasattr(self, "id2label"):
            self.id2label = {0: "LABEL_0", 1: "LABEL_1"}
        self.num_labels = len(self.id2label)

    def to_dict(self):
        out = {k: getattr(self, k) for k in HF_DEFAULTS}
        out["id2label"] = {str(k): v for k, v in self.id2label.items()}
        out["label2id"] = {v: int(k) for k, v in self.id2label.items()}
        out["model_type"] = "fnet"
        for optional in ("architectures", "problem_type"):
            if getattr(self, optional, None) is not None:
                out[optional] = getattr(self, optional)
        return out


def activation(name):
    if name == "gelu_new":  # tanh approximation
        return lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))
    if name == "gelu":  # exact, erf based
        return lambda x: 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    if name == "relu":
        return torch.relu
    raise ValueError(f"unknown hidden_act {name!r}")


class FNetEmbeddings(nn.Module):
    def __init__(self, config, mutation=None):
        super().__init__()
        self.mutation = mutation
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.projection = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids, token_type_ids):
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions)[None]
        if self.mutation != "no_token_type":
            x = x + self.token_type_embeddings(token_type_ids)
        x = self.LayerNorm(x)
        if self.mutation != "drop_projection":
            x = self.projection(x)
        return self.dropout(x)


class FNetBasicFourierTransform(nn.Module):
    def forward(self, x):
        # Re(DFT over sequence and hidden), unscaled: torch's default norm="backward" on the forward transform.
        return torch.fft.fftn(x, dim=(1, 2)).real


class FNetBasicOutput(nn.Module):
    def __init__(self, config, mutation=None):
        super().__init__()
        self.mutation = mutation
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, mixed, residual):
        if self.mutation == "ln_before_residual":  # pre-LN instead of post-LN
            return residual + self.LayerNorm(mixed)
        return self.LayerNorm(residual + mixed)


class FNetFourierTransform(nn.Module):
    def __init__(self, config, mutation=None):
        super().__init__()
        self.self = FNetBasicFourierTransform()
        self.output = FNetBasicOutput(config, mutation)

    def forward(self, x):
        return self.output(self.self(x), x)


class FNetIntermediate(nn.Module):
    def __init__(self, config, mutation=None):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        act = config.hidden_act
        if mutation == "exact_gelu":
            act = "gelu" if act == "gelu_new" else "gelu_new"
        self.intermediate_act_fn = activation(act)

    def forward(self, x):
        return self.intermediate_act_fn(self.dense(x))


class FNetOutput(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class FNetLayer(nn.Module):
    def __init__(self, config, mutation=None):
        super().__init__()
        self.fourier = FNetFourierTransform(config, mutation)
        self.intermediate = FNetIntermediate(config, mutation)
        self.output = FNetOutput(config)

    def forward(self, x):
        h = self.fourier(x)
        return self.output(self.intermediate(h), h)


class FNetEncoder(nn.Module):
    def __init__(self, config, mutation=None):
        super().__init__()
        self.layer = nn.ModuleList([FNetLayer(config, mutation) for _ in range(config.num_hidden_layers)])

    def forward(self, x):
        for layer in self.layer:
            x = layer(x)
        return x


class FNetPooler(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = nn.Tanh()

    def forward(self, hidden_states):
        return self.activation(self.dense(hidden_states[:, 0]))


class FNetModel(nn.Module):
    def __init__(self, config, mutation=None):
        super().__init__()
        assert mutation is None or mutation in MUTATIONS, mutation
        self.config = config
        self.embeddings = FNetEmbeddings(config, mutation)
        self.encoder = FNetEncoder(config, mutation)
        self.pooler = FNetPooler(config)

    def forward(self, input_ids, token_type_ids=None):
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        hidden = self.encoder(self.embeddings(input_ids, token_type_ids))
        return hidden, self.pooler(hidden)


class FNetForSequenceClassification(nn.Module):
    def __init__(self, config, mutation=None):
        super().__init__()
        self.fnet = FNetModel(config, mutation)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, input_ids, token_type_ids=None):
        hidden, pooled = self.fnet(input_ids, token_type_ids)
        return hidden, pooled, self.classifier(self.dropout(pooled))


class FNetPredictionHeadTransform(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.transform_act_fn = activation(config.hidden_act)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, x):
        return self.LayerNorm(self.transform_act_fn(self.dense(x)))


class FNetLMPredictionHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.transform = FNetPredictionHeadTransform(config)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias = self.bias

    def forward(self, hidden):
        return self.decoder(self.transform(hidden))


class FNetOnlyMLMHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.predictions = FNetLMPredictionHead(config)

    def forward(self, hidden):
        return self.predictions(hidden)


class FNetForMaskedLM(nn.Module):
    def __init__(self, config, mutation=None):
        super().__init__()
        self.fnet = FNetModel(config, mutation)
        self.cls = FNetOnlyMLMHead(config)
        self.cls.predictions.decoder.weight = self.fnet.embeddings.word_embeddings.weight  # tied, as in HF

    def forward(self, input_ids, token_type_ids=None):
        hidden, pooled = self.fnet(input_ids, token_type_ids)
        return hidden, pooled, self.cls(hidden)


def randomize_(model, generator, weight_std=0.05):
    """Non-trivial random weights: LayerNorm gains and biases away from 1 and 0."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm.weight" in name:
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=generator, dtype=p.dtype))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=generator, dtype=p.dtype))
            else:
                p.copy_(weight_std * torch.randn(p.shape, generator=generator, dtype=p.dtype))
    return model


# ---- the other Hugging Face FNet heads (modeling_fnet.py's module and parameter names) ----------------
#
# `head_mutation="wrong_source"` makes a head read the other encoder output (pooled output instead of the
# sequence output, or the first token's hidden state instead of the pooled output): the head parity test
# must notice that mistake.

def _source(hidden, pooled, wants_sequence, head_mutation):
    if head_mutation == "wrong_source":
        return pooled[:, None, :].expand_as(hidden) if wants_sequence else hidden[:, 0]
    return hidden if wants_sequence else pooled


class FNetForTokenClassification(nn.Module):
    def __init__(self, config, head_mutation=None):
        super().__init__()
        self.fnet = FNetModel(config)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.head_mutation = head_mutation

    def forward(self, input_ids, token_type_ids=None):
        hidden, pooled = self.fnet(input_ids, token_type_ids)
        return {"logits": self.classifier(self.dropout(_source(hidden, pooled, True, self.head_mutation)))}


class FNetForQuestionAnswering(nn.Module):
    def __init__(self, config, head_mutation=None):
        super().__init__()
        self.fnet = FNetModel(config)
        self.qa_outputs = nn.Linear(config.hidden_size, 2)
        self.head_mutation = head_mutation

    def forward(self, input_ids, token_type_ids=None):
        hidden, pooled = self.fnet(input_ids, token_type_ids)
        logits = self.qa_outputs(_source(hidden, pooled, True, self.head_mutation))
        return {"start_logits": logits[..., 0], "end_logits": logits[..., 1]}


class FNetForMultipleChoice(nn.Module):
    """Inputs (batch, num_choices, seq), flattened to rows of the encoder; logits (batch, num_choices)."""

    def __init__(self, config, head_mutation=None):
        super().__init__()
        self.fnet = FNetModel(config)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, 1)
        self.head_mutation = head_mutation

    def forward(self, input_ids, token_type_ids=None):
        choices = input_ids.shape[1]
        flat_ids = input_ids.reshape(-1, input_ids.shape[-1])
        flat_types = None if token_type_ids is None else token_type_ids.reshape(-1, token_type_ids.shape[-1])
        hidden, pooled = self.fnet(flat_ids, flat_types)
        scores = self.classifier(self.dropout(_source(hidden, pooled, False, self.head_mutation)))
        return {"logits": scores.reshape(-1, choices)}


class FNetOnlyNSPHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.seq_relationship = nn.Linear(config.hidden_size, 2)

    def forward(self, pooled):
        return self.seq_relationship(pooled)


class FNetForNextSentencePrediction(nn.Module):
    def __init__(self, config, head_mutation=None):
        super().__init__()
        self.fnet = FNetModel(config)
        self.cls = FNetOnlyNSPHead(config)
        self.head_mutation = head_mutation

    def forward(self, input_ids, token_type_ids=None):
        hidden, pooled = self.fnet(input_ids, token_type_ids)
        return {"logits": self.cls(_source(hidden, pooled, False, self.head_mutation))}


class FNetPreTrainingHeads(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.predictions = FNetLMPredictionHead(config)
        self.seq_relationship = nn.Linear(config.hidden_size, 2)


class FNetForPreTraining(nn.Module):
    def __init__(self, config, head_mutation=None):
        super().__init__()
        self.fnet = FNetModel(config)
        self.cls = FNetPreTrainingHeads(config)
        self.cls.predictions.decoder.weight = self.fnet.embeddings.word_embeddings.weight  # tied, as in HF
        self.head_mutation = head_mutation

    def forward(self, input_ids, token_type_ids=None):
        hidden, pooled = self.fnet(input_ids, token_type_ids)
        return {"prediction_logits": self.cls.predictions(_source(hidden, pooled, True, self.head_mutation)),
                "seq_relationship_logits": self.cls.seq_relationship(pooled)}


class FNetForSequenceClassificationHead(FNetForSequenceClassification):
    """FNetForSequenceClassification with dict outputs and the scores of transformers' text-classification
    pipeline for the config's problem type (softmax, sigmoid, or the raw logit for regression)."""

    def __init__(self, config, head_mutation=None):
        super().__init__(config)
        self.head_mutation = head_mutation

    def forward(self, input_ids, token_type_ids=None):
        hidden, pooled = self.fnet(input_ids, token_type_ids)
        logits = self.classifier(self.dropout(_source(hidden, pooled, False, self.head_mutation)))
        problem = getattr(self.config if hasattr(self, "config") else self.fnet.config, "problem_type", None)
        num_labels = logits.shape[-1]
        if problem is None:
            problem = "regression" if num_labels == 1 else "single_label_classification"
        if problem == "regression":
            scores = logits
        elif problem == "multi_label_classification":
            scores = torch.sigmoid(logits)
        else:
            scores = torch.softmax(logits, dim=-1)
        return {"logits": logits, "scores": scores}


HEADS = {
    "FNetForTokenClassification": FNetForTokenClassification,
    "FNetForQuestionAnswering": FNetForQuestionAnswering,
    "FNetForMultipleChoice": FNetForMultipleChoice,
    "FNetForNextSentencePrediction": FNetForNextSentencePrediction,
    "FNetForPreTraining": FNetForPreTraining,
    "FNetForSequenceClassification": FNetForSequenceClassificationHead,
}
