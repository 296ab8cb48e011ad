"""A model's size read from a job's text, as the contract says.

job-records.md, "Reading a model's size and the task": a catalog model it names (shipped or
imported by the user), else a size it writes out; total parameters; no size without evidence.

- Mixture of experts counts all experts; `8x22b` is the card's total when known (141 B).
  `30b-a3b` is 30 B total (the `a3b` active part is not the size); an active part written
  alone (`Kimi-VL-A3B`) reads as a floor, three times the active part.
- Quantization (`-AWQ`, `Q4_K_M`, `int4`) and adapters (`lora`) do not change the count.
- Kubernetes names write `0.6b` as `0-6b`; `qwen2-5-1-5b` is Qwen2.5 1.5 B, `llama-3-1-8b` 8 B.
- Hashes, and run, sweep, checkpoint and step ids (`sweep-12b`, `6655b`) are not sizes.
- Fused sizes count: `vit7b16`, `gemma2b`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from analyzers.classifier.catalog import CatalogModel, known_models, user_catalog_path
from analyzers.records import TASKS
from domain.mentions import model_name

# Runs of letters and digits; a dot between digits stays ("1.3b" is not "13b").
_PIECES = re.compile(r"[a-z0-9]+(?:\.[0-9][a-z0-9]*)*")
_MAX_PIECES = 12
# Pieces that make the size-like piece after them an id, not a size.
ID_WORDS = frozenset({
    "sweep", "sweeps", "run", "runs", "ckpt", "ckpts", "checkpoint", "checkpoints", "step",
    "steps", "trial", "trials", "exp", "epoch", "epochs", "iter", "seed", "attempt", "job",
    "jobs", "id", "rev", "build", "commit", "sha", "pr", "bs", "batch", "shard", "replica",
    "rank", "node", "port", "lr", "round", "fold", "pod", "raysubmit",
})
# What a size written just before them counts: data, not parameters.
DATA_UNITS = frozenset({
    "tokens", "toks", "samples", "rows", "records", "docs", "documents", "files", "partitions",
    "shards", "images", "pairs", "examples", "words", "pages", "queries", "sentences", "lines",
    "events", "items", "users", "frames", "clips", "videos", "hours", "scans", "crops",
})
# Mixtures of experts written as experts x size, by their cards' totals.
MOE_TOTALS_B = {(8, 7.0): 46.7, (8, 22.0): 141.0, (16, 3.8): 41.9, (8, 3.0): 13.9}
# Total over active parameters, at least, of a mixture of experts written by its active part.
MOE_ACTIVE_FACTOR = 3.0
# Decimal sizes as Kubernetes writes them (`1-5b`); others (`3-1-8b`) are versions then a size.
# (2.7 and 6.7 are left out: `llama-2-7b` is 7 B; the catalog knows phi-2 and opt-6.7b.)
_DECIMALS = frozenset({"1.1", "1.2", "1.3", "1.5", "1.6", "1.7", "1.8", "2.6"})
# Words of deployments that say nothing of a model (`api-123b` is an id).
GENERIC = frozenset({"api", "svc", "app", "server", "service", "serve", "deploy", "deployment",
                     "predictor", "backend", "frontend", "prod", "dev", "staging", "test"})
_SIZE_PIECE = re.compile(r"(?:(\d{1,2})x)?(\d{1,3}(?:\.\d+)?)b|(\d{1,4}(?:\.\d+)?)m")
_TENTHS = re.compile(r"(\d{1,2})b(\d)")
_HEX_ID = re.compile(r"[0-9a-f]*\d[0-9a-f]*")
_FUSED = re.compile(r"([a-z]*[aeiouy][a-z]*)(\d{1,3}(?:\.\d+)?)b(\d{0,3})")
# A generated id: letters and two digits or more mixed (`7d9f8b6c4`, `5d7b9`), long hex or digits;
# not a name with its version (`qwen3`, `llama31`, `qwen25vl`, `wav2vec2`).
_HEX_LETTERS = re.compile(r"[a-f]+")
_HEXISH = re.compile(r"(?![a-z]+\d+$)(?![a-z]{3,}\d{1,3}[a-z]{2,}$)(?![a-z]{2,}\d[a-z]{2,}\d{1,2}$)"
                     r"(?=(?:.*\d){2})(?=.*[a-z])[a-z0-9]{5,}|[0-9a-f]{8,}|\d{5,}")


@dataclass(frozen=True, slots=True)
class CatalogIndex:
    """Catalog names as keys of their pieces (see `key`) to the models they name."""

    models: dict[str, tuple[CatalogModel, ...]]
    starts: frozenset[str]
    longest: int
    prefixes: frozenset[str]  # every key's keys of its first pieces: a search stops early
    # A family line's key (the first pieces of its members' names, before their size:
    # `qwen3-coder`, `llama-4`) to its members' smallest size, how many members it has and
    # the tasks every member is made for.
    lines: dict[str, tuple[float, int, tuple[str, ...]]] = field(default_factory=dict)
    orgs: frozenset[str] = frozenset()  # hub organisations (`meta-llama`): never a model's name
    # Keys that need a look at what follows them: a runner's name, or ids that write no size.
    look: frozenset[str] = frozenset()


def key(pieces: Sequence[str]) -> str:
    """Pieces joined; `|` between two digits only (`llama-3.1-8b` and `llama3.1:8b` alike)."""
    out = ""
    for piece in pieces:
        if out and out[-1].isdigit() and piece[0].isdigit():
            out += "|"
        out += piece
    return out


def _forms(model: CatalogModel) -> list[str]:
    """How a job may write a model: hub id, short id, stem, `family7b`, `name:7b`, k8s form."""
    forms = [model.model_id, model.short, model.stem]
    size = model.size_token
    if size:
        family = model.stem.split("-")[0]
        bare = model.stem.replace(size, "").strip("-_.").replace("-", "")
        forms.append(f"{bare}:{size}")
        # `gemma7b` for gemma-7b-it, `llama7b` for Llama-2-7b; not where words stand between
        # the family and the size (`typhoon7b` is not typhoon-ocr-7b, `hunyuan7b` not
        # Hunyuan-MT-7B), nor after a digit (`qwen3` + `2b` would write Qwen's 32 B)
        between = model.stem[len(family):model.stem.lower().find(size.lower())]
        if not family[-1].isdigit() and _VERSIONS_ONLY.fullmatch(between):
            forms.append(f"{family}{size}")
    # A dotted version written with or without its `v` (`NuExtract-v1.5`, `NuExtract-1.5`)
    forms += [_VERSION_V.sub(_toggle_v, f) for f in forms if _VERSION_V.search(f)]
    forms += [f.replace(".", "-") for f in forms if "." in f]
    return forms + [_dotless(f, size) for f in forms if "." in f]


_VERSIONS_ONLY = re.compile(r"(?i)[-_.]*(?:v?\d+(?:\.\d+)*[-_.]+)*")
_VERSION_V = re.compile(r"(?i)(?<=[-_])(v?)(?=\d+\.\d+(?![\d.]*[bm](?![a-z])))")


def _toggle_v(found: re.Match[str]) -> str:
    return "" if found.group(1) else "v"


_VERSION_DOT = re.compile(r"(?<=\d)\.(?=\d)")


def _dotless(form: str, size: str | None) -> str:
    """A form with its version's dots dropped, its size's kept.

    Job names write `phi35_moe`, `llama31_70b`, `qwen25-7b`, `qwen25-0.5b`.
    """
    at = form.lower().find(size.lower()) if size else -1
    if at < 0:
        return _VERSION_DOT.sub("", form)
    return _VERSION_DOT.sub("", form[:at]) + form[at:]


def _index(models: tuple[CatalogModel, ...]) -> CatalogIndex:
    found: dict[str, list[CatalogModel]] = {}
    starts: set[str] = set()
    prefixes: set[str] = set()
    longest = 1
    for m in models:
        for form in _forms(m):
            pieces = _PIECES.findall(form.lower())
            if not pieces or len(pieces) > _MAX_PIECES:
                continue
            k = key(pieces)
            if len(k) < 4 or (len(pieces) == 1 and not any(c.isdigit() for c in k)):
                continue  # a bare word ("bloom") names a family or a thing, not one model
            bucket = found.setdefault(k, [])
            if m not in bucket:
                bucket.append(m)
            starts.add(pieces[0])
            longest = max(longest, len(pieces))
            prefixes.update(key(pieces[:w]) for w in range(1, len(pieces) + 1))
    return CatalogIndex({k: tuple(v) for k, v in found.items()}, frozenset(starts), longest,
                        frozenset(prefixes), _lines(models),
                        frozenset(key(_PIECES.findall(m.model_id.lower().split("/")[0]))
                                  for m in models if "/" in m.model_id),
                        frozenset(k for k, v in found.items()
                                  if any(m.runner_alias or not m.size_token for m in v)))


_SIZED_PIECE = re.compile(r"(?:[ae])?(?:\d{1,2}x)?\d{1,4}(?:\.\d+)?[bm]")


def _lines(models: tuple[CatalogModel, ...]
           ) -> dict[str, tuple[float, int, tuple[str, ...]]]:
    """Family lines to their smallest size, number of members and tasks all are made for.

    A line is a run of first pieces of a model's name before its size (`qwen3`, `qwen3-coder`);
    its members are the models (of distinct ids) whose names start with it.
    """
    members: dict[str, dict[str, CatalogModel]] = {}
    chains: list[list[str]] = []
    for m in models:
        if m.runner_alias:
            continue
        pieces = _PIECES.findall(m.stem)
        first = 2  # a name that writes no size: its brand alone (`qwen` of Qwen-Image) is no line
        for i, piece in enumerate(pieces):
            if _SIZED_PIECE.fullmatch(piece):
                pieces, first = pieces[:i], 1
                break
        chain = [key(pieces[:w]) for w in range(first, len(pieces) + 1)]
        chain = [k for k in chain if len(k) >= 4]  # `nv`, `glm`: too short for a family
        for k in chain:
            members.setdefault(k, {})[m.model_id.lower()] = m
        chains.append(chain)
    # A line whose every member goes on the same way is that longer line only: `typhoon`, of
    # typhoon-ocr-3b and -7b alone, is `typhoon-ocr` (a new typhoon-7b continues neither).
    same = {a for chain in chains for a, b in zip(chain, chain[1:], strict=False)
            if members[a].keys() == members[b].keys()}
    return {k: (min(m.params_b for m in v.values()), len(v),
                tuple(t for t in TASKS if all(t in m.tasks for m in v.values())))
            for k, v in members.items() if k not in same}


def family_floor(mentions: Sequence[str], index: CatalogIndex | None = None) -> float | None:
    """The smallest size of the known family line a model's name continues, or None.

    `meta-llama/Llama-4-Behemoth` continues the line `llama-4` (Scout 109 B, Maverick 402 B)
    and `Qwen/Qwen3-Coder-Next` the line `qwen3-coder` (30.5 B, 480 B): a new member of a line
    whose every catalogued member is large is evidence of a large model (a floor, not its
    size). A line inside a name is the model it was made from: `Linq-Embed-Mistral` is at least
    as large as every Mistral. Lines of two models or more count, the longest where several
    start at one place, the largest floor where several are named; a name that is only a line
    (an organisation, `meta-llama`) continues none.
    """
    index = index or catalog_index()
    floors: list[float] = []
    for mention in mentions:
        for segment in mention.lower().split("/"):
            pieces = _PIECES.findall(segment)
            if key(pieces) in index.orgs:
                continue
            for start in range(len(pieces)):
                # At the start, the name goes on after the line; inside it, a line is the
                # model it was made from (`Linq-Embed-Mistral`).
                widest = len(pieces) - start - (1 if start == 0 else 0)
                for w in range(widest, 0, -1):
                    found = index.lines.get(key(pieces[start:start + w]))
                    if found is not None and found[1] >= 2:
                        floors.append(found[0])
                        break
    return max(floors) if floors else None


def family_tasks(mentions: Sequence[str], index: CatalogIndex | None = None
                 ) -> tuple[str, ...]:
    """The tasks every member of the known family line a model's name continues is made for.

    `google/paligemma2-10b-ft-docci-448`, in no catalog, continues the line `paligemma2`
    (all image_captioning): a new member of a line is made for what the line is. Only a line
    the name starts with, the longest (a line inside a name is the model it was made from:
    `Linq-Embed-Mistral` embeds, whatever Mistral does); lines of two models or more; none
    where the model's names continue lines of different tasks.
    """
    index = index or catalog_index()
    found: set[tuple[str, ...]] = set()
    for mention in mentions:
        segment = model_name(mention).lower()
        pieces = _PIECES.findall(segment)
        if key(pieces) in index.orgs:
            continue
        for w in range(len(pieces) - 1, 0, -1):
            line = index.lines.get(key(pieces[:w]))
            if line is not None and line[1] >= 2:
                if line[2]:
                    found.add(line[2])
                break
    return found.pop() if len(found) == 1 else ()


@lru_cache(maxsize=4)
def _index_of(path: Path, mtime_ns: int | None) -> CatalogIndex:
    return _index(known_models())


def catalog_index() -> CatalogIndex:
    """The index of every known model's written forms (shipped and user catalogs).

    Built once per version of the user's catalog file: an import is read at once.
    """
    path = user_catalog_path()
    try:
        mtime: int | None = path.stat().st_mtime_ns
    except OSError:
        mtime = None
    return _index_of(path, mtime)


def catalog_models(text: str, index: CatalogIndex | None = None) -> list[CatalogModel]:
    """The known models `text` names: leftmost-longest runs of pieces.

    `llama-3.2-11b-vision` is not `llama-3.2-1b`; `/mnt/ckpt/gemma-2b-ft/step_500` is `gemma-2b`.
    """
    index = index or catalog_index()
    lowered = text.lower()
    pieces = _PIECES.findall(lowered)
    spans: list[re.Match[str]] = []  # where the pieces are, found when a name needs a look
    starts, models, prefixes = index.starts, index.models, index.prefixes
    found: list[CatalogModel] = []
    end = 0
    for i in [i for i, piece in enumerate(pieces) if piece in starts]:
        if i < end:
            continue
        keys = []  # the keys of widths 1, 2, ... from piece i, built once
        k = ""
        for piece in pieces[i:i + index.longest]:
            k += "|" + piece if k and k[-1].isdigit() and piece[0].isdigit() else piece
            if k not in prefixes:
                break
            keys.append(k)
        for width in range(len(keys), 0, -1):
            hit = models.get(keys[width - 1])
            if hit is not None:
                if keys[width - 1] in index.look:  # a runner's name, or an id with no size
                    spans = spans or list(_PIECES.finditer(lowered))
                    stop = spans[i + width - 1].end()
                    if stop < len(lowered) and not _TAG_END.match(lowered, stop):
                        hit = tuple(m for m in hit if not m.runner_alias)
                    if not hit or _other_member(lowered, spans[i].start(), stop, hit):
                        break  # `deepseek-r1:70b` is not DeepSeek-R1 (671 B): its size is written
                found.extend(m for m in hit if m not in found)
                end = i + width
                break
    return found


_NAMED: dict[tuple[int, str], list[CatalogModel]] = {}


def models_named(name: str, index: CatalogIndex | None = None) -> list[CatalogModel]:
    """`catalog_models` of a short name (a model field, a mention), remembered.

    Many jobs name the same model. The list is shared: callers do not change it.
    """
    index = index or catalog_index()
    k = (id(index), name)
    found = _NAMED.get(k)
    if found is None:
        if len(_NAMED) >= 65_536:
            _NAMED.clear()
        found = _NAMED[k] = catalog_models(name, index)
    return found


_TAG_END = re.compile(r"[\s'\":,;|]")  # where a runner's short name may end
_WORD_END = re.compile(r"[\s'\"=,;|]|$")


def _other_member(text: str, start: int, end: int, hit: tuple[CatalogModel, ...]) -> bool:
    """Whether a name whose id writes no size goes on to write another size in the same word.

    `deepseek-r1:70b`, `DeepSeek-R1-Distill-Qwen-14B`: another member of the family (a tag,
    a distilled model), whose written size counts, not the catalog's DeepSeek-R1.
    """
    if any(m.size_token for m in hit):
        return False
    stop = _WORD_END.search(text, end)
    written = _written(text[start:stop.start() if stop else len(text)])[0]  # not `a14b`
    return written is not None and all(abs(written - m.params_b) > 0.15 * m.params_b
                                       for m in hit)


def catalog_size(text: str, index: CatalogIndex | None = None) -> tuple[float, float] | None:
    """(min, max) billions of parameters of the known models `text` names, or None."""
    found = catalog_models(text, index)
    if not found:
        return None
    return min(m.params_b for m in found), max(m.params_b for m in found)


# Image-text data sets, written with how many images they hold (`ViT-H-14-laion2B-s32B`,
# `convnext_xxlarge.clip_laion2b_soup`, `webli-10b`, `DFN5B-CLIP`, `vit_large.lvd142m`):
# neither they nor the samples seen written after them are a model's size.
_DATA_SET = re.compile(r"(?:laion|webli|dfn|coyo|datacomp|lvd|jft|yfcc|commonpool)"
                       r"(?:\d{1,4}(?:\.\d+)?[bm]?)?")


def _is_id_context(prev: str | None) -> bool:
    return prev is not None and (prev in ID_WORDS or bool(_HEXISH.fullmatch(prev)))


def _dash_decimal(number: str, before: list[str], dashed_dots: bool = True) -> float | None:
    """`X-Yb` read as X.Y B where Kubernetes wrote a dash for a dot, else None.

    `before`: the pieces joined before the size, nearest first. Single digits between the
    name and the size are a version then the size's integer part: `qwen3-0-6b` 0.6,
    `qwen3-1-7b` 1.7, `qwen2-5-1-5b` 1.5, `exaone-3-5-2-4b` 2.4; but `llama-3-1-8b` 8,
    `llama-2-7b` 7, `qwen2-5-7b` 7.
    """
    if len(number) != 1 or not before or len(before[0]) != 1 or not before[0].isdigit():
        return None
    x = before[0]
    if x == "0":
        return float(f"0.{number}")
    if not dashed_dots:  # capitals: not a Kubernetes name, `Qodo-Embed-1-7B` is 7 B
        return None
    digits = 0
    for piece in before:
        if len(piece) == 1 and piece.isdigit():
            digits += 1
        else:
            break
    name = before[digits] if digits < len(before) else ""
    version_in_name = bool(name) and name[-1].isdigit()  # `qwen2`: the major is in the name
    if digits == 1:
        return float(f"{x}.{number}") if f"{x}.{number}" in _DECIMALS else None
    if digits == 2:
        return float(f"{x}.{number}") if version_in_name else None
    if digits == 3:
        return float(f"{x}.{number}")
    return None


def _piece_size(piece: str, before: list[str], dashed_dots: bool = True) -> float | None:
    """The size one piece writes, given the pieces joined to it before (nearest first).

    `dashed_dots`: whether `1-7b` may be a Kubernetes name's 1.7 B (not in a name written
    with capitals, which Kubernetes names never have: `Qodo-Embed-1-7B` is 7 B; `-0-6b` is
    0.6 B however it is written).
    """
    prev = before[0] if before else None
    m = _SIZE_PIECE.fullmatch(piece)
    if m is not None:
        experts, number, millions = m.groups()
        if millions is not None:
            return float(millions) / 1000.0
        if len(number.split(".")[0]) == 3 and (prev is None or prev in GENERIC):
            return None  # three digits need a name before them (`api-123b` is an id)
        value = float(number)
        if experts:
            return MOE_TOTALS_B.get((int(experts), value), int(experts) * value)
        decimal = _dash_decimal(number, before, dashed_dots)
        return value if decimal is None else decimal
    tenths = _TENTHS.fullmatch(piece)  # `bloom-7b1`, `qwen2-1b5`: 7.1 and 1.5 billion
    if tenths is not None and tenths.group(2) != "0" and prev is not None \
            and prev not in GENERIC and not _HEX_ID.fullmatch(prev):  # `8cdb-11b0`: an id
        return float(f"{tenths.group(1)}.{tenths.group(2)}")
    fused = _FUSED.fullmatch(piece)
    if fused is not None and len(fused.group(1)) >= 2 and len(fused.group(2).split(".")[0]) <= 2 \
            and not _HEX_LETTERS.fullmatch(fused.group(1)) \
            and fused.group(1) not in ID_WORDS \
            and not fused.group(1).endswith("v"):  # `eeeca34b` a hash, `exp7b` a run,
        return float(fused.group(2))  # `dinov3b` DINOv3's base
    return None


_ANY_SIZE = re.compile(r"\d[bm]")
# A whole piece that could write a size: every form `_piece_size` reads has this shape.
_SIZE_SHAPE = re.compile(r"(?<![a-z0-9])[a-z]*(?:\d{1,2}x)?\d{1,4}(?:\.\d+)?[bm]\d{0,3}"
                         r"(?![a-z0-9])")
_TOKENS = re.compile(r"(?i)[a-z0-9]+(?:\.[0-9][a-z0-9]*)*|[^a-z0-9]+")


def written_size(text: str) -> float | None:
    """The largest model size written out in `text`, billions of parameters, or None."""
    best, moe_floor = _written(text)
    return best if best is not None else moe_floor


# Files of data (not of weights, `.gguf`, `.safetensors`, `.bin`, nor configs, `.yaml`: they
# name models).
_DATA_FILES = frozenset({"json", "jsonl", "csv", "tsv", "parquet", "txt", "arrow", "tfrecord",
                         "npy", "npz", "h5", "hdf5", "pkl", "faiss",
                         "zip", "gz", "tar", "zst"})


def _in_data_file(pieces: list[tuple[str, str]], i: int) -> bool:
    """Whether piece i is part of a file name that ends in a data file's extension."""
    for piece, sep in pieces[i + 1:i + 9]:
        if sep not in "-_.":
            return False
        if sep == "." and piece in _DATA_FILES:
            return True
    return False


def _written(text: str) -> tuple[float | None, float | None]:
    """The largest size written out, and the floor an active part written alone gives."""
    lowered = text.lower()
    if _ANY_SIZE.search(lowered) is None or _SIZE_SHAPE.search(lowered) is None:
        return None, None  # no piece shaped like a size (`7b`, `1.5b`, `8x22b`, `vit7b16`)
    best: float | None = None
    moe_floor: float | None = None
    tokens = _TOKENS.findall(text)
    pieces: list[tuple[str, str]] = []  # (piece, separator before it)
    capitals: list[bool] = []  # whether the piece was written with a capital
    sep = " "
    for token in tokens:
        if token[0].isalnum():
            pieces.append((token.lower(), sep))
            capitals.append(not token.islower() and not token.isdigit())
            sep = " "
        else:
            sep = token[-1] if token.strip() else " "
    for i, (piece, sep) in enumerate(pieces):
        if not any(c.isdigit() for c in piece) or len(piece) > 12:
            continue
        before: list[str] = []  # the pieces joined to this one, nearest first
        j, joint = i, sep
        while j > 0 and joint in "-_./:" and len(before) < 5:
            j -= 1
            before.append(pieces[j][0])
            joint = pieces[j][1]
        prev = before[0] if before else None
        if sep != ":" and _is_id_context(prev):  # `sweep-12b`, `raysubmit_a14b`; not an
            continue  # Ollama tag (`seed:36b`)
        if _DATA_SET.fullmatch(piece) or (prev is not None and _DATA_SET.fullmatch(prev)):
            continue  # images seen, not parameters: `laion2b`, `laion2B-39B`, `webli-10b`
        if piece[0] == "a" and _SIZE_PIECE.fullmatch(piece[1:]) and i > 0:
            # `30b-a3b`: the active parameters, not the size. Written alone (`Kimi-VL-A3B`),
            # a floor: a mixture of experts holds several times what it activates.
            active = _piece_size(piece[1:], [])
            if active is not None:
                moe_floor = max(moe_floor or 0.0, MOE_ACTIVE_FACTOR * active)
            continue
        nxt = pieces[i + 1] if i + 1 < len(pieces) else None
        if nxt is not None and nxt[1] == "-" and _HEXISH.fullmatch(nxt[0]) \
                and prev is not None and _HEXISH.fullmatch(prev):
            continue  # between two hashes: a generated name
        if nxt is not None and nxt[1] in "-_" and nxt[0] in DATA_UNITS:
            continue  # a quantity of data: `pretrain-1b-tokens`, `dedupe_70b_partitions`
        if _in_data_file(pieces, i):
            continue  # a data file's name: `bioasq13b_factoid_train.json`
        # `-` for a dot only in a Kubernetes name (no capitals); `_` wherever (`Refact-1_6B`).
        size = _piece_size(piece, before, sep == "_" or not any(capitals[j:i + 1]))
        if size is not None and (best is None or size > best):
            best = size
    return best, moe_floor


def read_size(text: str) -> tuple[float, float] | None:
    """(min, max) size of the job's model read exactly: catalog first, then a written size."""
    found = catalog_size(text)
    if found is not None:
        return found
    written = written_size(text)
    return None if written is None else (written, written)
