"""The classifier network: a small BERT encoder over job text joined with telemetry, three heads.

Training builds it with transformers (`JobClassifier`); inference runs the same weights through
`Runtime`, a plain-torch forward pass of the same arithmetic that does not import transformers
(which costs seconds at start-up). tests/analyzers/test_classifier.py checks they agree.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from analyzers.classifier.features import NUMERIC_DIM, SIZE_CLASSES
from analyzers.records import REASONS, TASKS

if TYPE_CHECKING:
    from transformers import BertConfig

_NUMERIC_WIDTH = 32


@dataclass(frozen=True, slots=True)
class Architecture:
    """Sizes of one network: encoder width, depth, heads, feed-forward width, vocabulary."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_len: int = 48
    numeric_dim: int = NUMERIC_DIM

    def bert_config(self) -> BertConfig:
        """The transformers config of the encoder, built here (nothing is downloaded)."""
        from transformers import BertConfig

        return BertConfig(
            vocab_size=self.vocab_size, hidden_size=self.hidden, num_hidden_layers=self.layers,
            num_attention_heads=self.heads, intermediate_size=self.intermediate,
            max_position_embeddings=self.max_len, type_vocab_size=1, hidden_dropout_prob=0.1,
            attention_probs_dropout_prob=0.1, pad_token_id=0,
        )

    def to_json(self) -> dict[str, int]:
        return asdict(self)


class Logits(NamedTuple):
    """Unnormalised outputs: task (N x 13), size class (N x 12), reasons (N x 3, sigmoid)."""

    task: torch.Tensor
    size: torch.Tensor
    reasons: torch.Tensor


class Heads(nn.Module):
    """Telemetry projection, the joint layer and the three heads, shared by both forwards."""

    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        self.numeric = nn.Linear(arch.numeric_dim, _NUMERIC_WIDTH)
        self.joint = nn.Linear(2 * arch.hidden + _NUMERIC_WIDTH, 2 * arch.hidden)
        self.task = nn.Linear(2 * arch.hidden, len(TASKS))
        self.size = nn.Linear(2 * arch.hidden, len(SIZE_CLASSES))
        self.reasons = nn.Linear(2 * arch.hidden, len(REASONS))
        self.dropout = nn.Dropout(0.1)

    def forward(self, states: torch.Tensor, mask: torch.Tensor, numeric: torch.Tensor) -> Logits:
        return self.from_pooled(self.pool(states, mask), numeric)

    @staticmethod
    def pool(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The text's vector (N x 2 hidden): [CLS] state and mean of the unmasked states."""
        weights = mask.unsqueeze(-1).to(states.dtype)
        mean = (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        return torch.cat([states[:, 0], mean], dim=-1)

    def from_pooled(self, pooled: torch.Tensor, numeric: torch.Tensor) -> Logits:
        """The heads' logits from text vectors and telemetry (a text may serve many jobs)."""
        joined = torch.cat([pooled, F.gelu(self.numeric(numeric))], dim=-1)
        hidden = self.dropout(F.gelu(self.joint(self.dropout(joined))))
        return Logits(self.task(hidden), self.size(hidden), self.reasons(hidden))


class JobClassifier(nn.Module):
    """The training-time network: transformers BertModel encoder plus `Heads`."""

    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        from transformers import BertModel

        self.arch = arch
        config = arch.bert_config()
        config._attn_implementation = "sdpa"
        self.encoder = BertModel(config, add_pooling_layer=False)
        self.heads = Heads(arch)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor, numeric: torch.Tensor) -> Logits:
        states = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        return self.heads(states, mask, numeric)

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def save(self, directory: Path, extra: dict[str, object]) -> None:
        """Write model.safetensors and config.json (architecture plus `extra`) to `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().contiguous() for k, v in self.state_dict().items()
                 if not k.endswith(("position_ids", "token_type_ids"))}
        save_file(state, str(directory / "model.safetensors"))
        config = {"architecture": self.arch.to_json(), **extra}
        (directory / "config.json").write_text(json.dumps(config, indent=2) + "\n")


class Runtime(nn.Module):
    """Inference forward pass over a saved JobClassifier's weights, in plain torch."""

    def __init__(self, arch: Architecture, state: dict[str, torch.Tensor]) -> None:
        super().__init__()
        self.arch = arch
        self.w = state
        self.heads = Heads(arch)
        self.heads.load_state_dict(
            {k.removeprefix("heads."): v for k, v in state.items() if k.startswith("heads.")}
        )
        self.heads.eval()
        for i in range(arch.layers):
            p = f"encoder.encoder.layer.{i}.attention.self"
            for part in ("weight", "bias"):
                state[f"{p}.qkv.{part}"] = torch.cat(
                    [state[f"{p}.{n}.{part}"] for n in ("query", "key", "value")])

    def to_bfloat16(self) -> Runtime:
        """The same runtime with the encoder's weights in bf16 (heads stay fp32).

        On CPUs with native bf16 (AVX512-BF16, AMX) the encoder runs about twice as fast;
        tests/analyzers/test_classifier.py checks verdicts agree with fp32.
        """
        state = {k: v.to(torch.bfloat16) if k.startswith("encoder.") else v
                 for k, v in self.w.items()}
        twin = Runtime.__new__(Runtime)
        nn.Module.__init__(twin)
        twin.arch, twin.w, twin.heads = self.arch, state, self.heads
        return twin

    @classmethod
    def load(cls, directory: Path) -> Runtime:
        """The runtime of the model saved in `directory`."""
        config = json.loads((directory / "config.json").read_text())
        arch = Architecture(**config["architecture"])
        return cls(arch, load_file(str(directory / "model.safetensors")))

    def _layer_norm(self, x: torch.Tensor, prefix: str) -> torch.Tensor:
        w = self.w
        return F.layer_norm(x, (self.arch.hidden,), w[f"{prefix}.weight"], w[f"{prefix}.bias"],
                            1e-12)

    def _linear(self, x: torch.Tensor, prefix: str) -> torch.Tensor:
        return F.linear(x, self.w[f"{prefix}.weight"], self.w[f"{prefix}.bias"])

    def encode(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Last hidden states (N x L x hidden) for token ids and attention mask."""
        w, arch = self.w, self.arch
        e = "encoder.embeddings"
        length = ids.shape[1]
        x = (F.embedding(ids, w[f"{e}.word_embeddings.weight"])
             + w[f"{e}.position_embeddings.weight"][:length]
             + w[f"{e}.token_type_embeddings.weight"][0])
        x = self._layer_norm(x, f"{e}.LayerNorm")
        keep = mask.bool()[:, None, None, :]
        batch, head_dim = ids.shape[0], arch.hidden // arch.heads
        for i in range(arch.layers):
            p = f"encoder.encoder.layer.{i}"
            qkv = self._linear(x, f"{p}.attention.self.qkv")
            q, k, v = qkv.view(batch, length, 3, arch.heads, head_dim).permute(2, 0, 3, 1, 4)
            attn = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
            attn = attn.transpose(1, 2).reshape(batch, length, arch.hidden)
            x = self._layer_norm(x + self._linear(attn, f"{p}.attention.output.dense"),
                                 f"{p}.attention.output.LayerNorm")
            inner = F.gelu(self._linear(x, f"{p}.intermediate.dense"))
            x = self._layer_norm(x + self._linear(inner, f"{p}.output.dense"),
                                 f"{p}.output.LayerNorm")
        return x

    def forward(self, ids: torch.Tensor, mask: torch.Tensor, numeric: torch.Tensor) -> Logits:
        return self.heads(self.encode(ids, mask), mask, numeric)
