"""What a question asks: the words of each intent, read from a normalized question."""

from __future__ import annotations

import re

CHANGE = re.compile(r"^(?:please\s+|can you\s+|could you\s+)?(?:approve|dismiss|apply|reject|"
                     r"delete|remove|set|change|update|cancel|kill|stop|raise|lower|increase)\b"
                     r"(?!.*\b(?:since|from|between|vs|compared)\b)")
_FLAGGED = re.compile(r"\bflag|\bwhy\b.*\b(?:oversized|wasteful|marked|inefficient|overprovi)|"
                      r"what'?s wrong with|\bwhy\b.*\bjob\b.*\b(?:bad|red|wast)")
_LABEL = re.compile(r"\blabel|\brating\b|\brated\b|\bgrade\b|energy score|why\b.*\b(?:is|are|"
                    r"got|get|a|an)\s+(?:an?\s+)?[a-g]\b")
_REALIZED = re.compile(r"\b(?:approved|applied|accepted|implemented|adopted|taken)\b.*\bsav|"
                       r"\bsav\w*\b.*\b(?:approved|applied|accepted|implemented|adopted)\b|"
                       r"\breali[sz]|\bactually sav|\bdid\b.*\bsave\b|\bhave\b.*\bsaved\b|"
                       r"\bsaved so far\b|\bhow much\b.*\bsaved\b")
_IDLE = re.compile(r"\bidle\b|\bunused\b|\bspare\b|\bnobody used|\bsitting around|\bwasn'?t used")
_JOBS = re.compile(r"\bjobs?\b|\bruns?\b|\bworkloads?\b|\bpods?\b|\bservices?\b|\bnotebooks?\b|"
                   r"\btrainings?\b")
COMPARE = re.compile(r"\bcompar|\bvs\.?(?!\w)|\bversus\b|\bagainst\b|\bdifference\b|"
                      r"\bmore\b|\bless\b|\bfewer\b|\bthan\b|\bor\b|\bhigher\b|\blower\b|"
                      r"\bbigger\b|\bsmaller\b|\bcheaper\b|\band\b|\bbetween\b")
_TREND = re.compile(r"\bchange|\btrend|\bincreas|\bdecreas|\bgr[eo]w|\bgrowth\b|\bwent (?:up|down)|"
                    r"\bgo(?:ne)? (?:up|down)|\bup or down\b|(?:week|month) over (?:week|month)|"
                    r"\bwow\b|"
                    r"\bmom\b|"
                    r"compared (?:to|with)|\bdifference\b|\bdelta\b|\bthan (?:last|the|in|"
                    r"previous)|\bvs\.? (?:last|the|previous|this)|\bversus\b")
_BUDGET = re.compile(r"\bbudget|\bover (?:our|the|my) limit|\bquota\b")
WASTE = re.compile(r"\bwast|\bworst|\binefficien|\bleast (?:\w+[- ])?efficien|\bnot efficien|"
                   r"\boversiz|\bover-?provision|\bbloat|"
                    r"\bsav(?:e|es|ed|ing|ings)\b|\bright[- ]?siz")
_STRONG_RANK = re.compile(r"\btop\b|\bworst\b|\bmost\b|\bbiggest\b|\blargest\b|\bheaviest\b|"
                          r"\bhungriest\b|\bcostliest\b|\bpriciest\b|\bhighest\b|\brank")
_RANK = re.compile(r"\btop\b|\bworst\b|\bmost\b|\bbiggest\b|\blargest\b|\bheaviest\b|"
                   r"\bhungriest\b|\bcostliest\b|\bpriciest\b|\bhighest\b|\brank|\bleaderboard|"
                   r"\bwhich\b|\bwho\b|\blist\b|\bshow\b|\bexpensive\b")
_SAVINGS = re.compile(r"\b(?:could|can|might|would)\b.*\bsav|\bpotential|\bsavings?\b|"
                      r"\boverspen|\bcut (?:\w+ )?(?:cost|spend|energy|co2|carbon|waste)|"
                      r"\breduce\b|\btrim\b|on the table|\bshave\b|"
                      r"\bhow much\b.*\bwast|\bwast\w*\b.*\bhow much\b|\bwaste\b|\bwasted\b|"
                      r"\bsave\b")
_GROUP = re.compile(r"\b(?:by|per|each|every|across|among|between|for each|for every|"
                    r"split by|broken down by|breakdown by|grouped by)\s+(?:the\s+)?"
                    r"(team|cluster|gpu[- ]?types?|gpu|users?|person|people|engineers?|"
                    r"owners?|models?)s?\b(?=\s*$|\s+(?:in|for|last|this|over|during|and|since|"
                    r"from|the|of|on|so|today|yesterday|with|between|vs|past|previous|"
                    r"costs?|spend\w*|energy|usage|co2\w*|emissions|gpu|kwh|totals?|figures|"
                    r"\d))|\b(?:which|what)\s+(team|cluster|gpu[- ]?type|gpu|"
                    r"user|person|people|engineer|owner|model)s?\b|"
                    r"\b(team|cluster|gpu[- ]?type|user|model)"
                    r"s\s+(?:ranked|sorted|ordered|by (?:cost|energy|spend|co2|carbon|kwh|gpu))|"
                    r"\b(?:cheapest|costliest|priciest|biggest|largest|greenest|smallest|"
                    r"expensive|highest|lowest|top|hungriest|dirtiest|cleanest)\s+"
                    r"(team|cluster|gpu[- ]?type|user|model)s?\b|"
                    r"\b(team|cluster|gpu[- ]?type|user|model)s?\s+(?:leaderboard|ranking|league)|"
                    r"\b(?:most|least)\s+[\w-]+\s+(team|cluster|gpu[- ]?type|user|model)s?\b|"
                    r"\b(?:top|biggest|largest|heaviest|main|hungriest)\s+(?:gpu\s+)?"
                    r"(spender|user|consumer|engineer)s\b")
GROUP_WORDS = {"team": "team", "cluster": "cluster", "gpu": "gpu_type", "user": "user",
                "person": "user", "people": "user", "engineer": "user", "owner": "user",
                "model": "model", "spender": "user", "consumer": "user"}
_SUGGEST = re.compile(r"smaller|distil|right[- ]?siz|could (?:\w+ )?(?:use|switch)|fewer gpus|"
                      r"suggest|swaps?\b|cheaper|alternative|what should .* change|oversized|"
                      r"wasteful|recommend|improve|optimi[sz]")
METRICS = (
    ("co2e", re.compile(r"co2|carbon|emission|emitted|emit\b|footprint|ghg|\bclimate")),
    ("energy", re.compile(r"\bk?wh\b|\bmwh\b|kwh|energy|electricity|\bpower\b|\bjoules?\b")),
    ("gpu_hours", re.compile(r"gpu[- ]?hours?|gpu time|\bhours\b|\bgpu-?h\b")),
    ("cost", re.compile(r"\$|\bcost|\bspen[dt]|dollar|\busd\b|money|\bpa(?:y|id|ying|ys)\b|\bbill|"
                        r"expensive|price|\beur\b|\bbudget|\bcheap")),
)
_USAGE = re.compile(r"how much|how many|\btotal|\bused?\b|\bconsum|\bspen[dt]|\bcost|\bburn|"
                    r"\busage\b|\bfigures?\b|\bnumbers?\b")
GPU = re.compile(r"\b(a100|h100|h200|h20|l40s|l40|l4|a10g|a10|a30|a40|t4|v100|p100|b200|"
                  r"gb200|mi250x?|mi300x?)s?\b")
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "twenty": 20}
COUNT = "|".join(NUMBER_WORDS)
KINDS = (
    ("model_swap", re.compile(r"smaller model|distil|model swap|swap|lighter model")),
    ("fewer_gpus", re.compile(r"fewer gpus|less gpus")),
    ("smaller_gpu", re.compile(r"smaller gpu|\bmig\b")),
    ("release", re.compile(r"\bidle|release")),
    ("precision", re.compile(r"precision|bf16|fp16|fp32")),
    ("batching", re.compile(r"batch")),
)
STATES = ("approved", "applied", "dismissed")


def intent(text: str, teams: list[str], periods: int) -> tuple[str | None, str | None]:
    """(intent, group) the words ask for; (None, None) when none of the common forms."""
    jobs = _JOBS.search(text) is not None
    if _FLAGGED.search(text):
        return "flagged", None
    if re.search(r"\b(?:efficien\w*|greenest|cleanest|dirtiest|best[- ]rated|worst[- ]rated|"
                 r"(?:best|worst|top) labels?)\b", text) and re.search(r"\bteams?\b", text) and \
            len(teams) < 1:
        return "labels", None  # every team's label and rank: public, as in the digest
    if _LABEL.search(text):
        return "label", None
    if _BUDGET.search(text):
        return "budget", None
    if _REALIZED.search(text):
        return "realized", None
    if _IDLE.search(text) and not jobs:
        return "idle", None
    if len(teams) >= 2 and COMPARE.search(text):
        return "compare_teams", None
    if not jobs and re.search(r"\b(?:could|can|would|might)\b.*\b(?:save|cut|reduce|trim)\b|"
                              r"\bhow much\b.*\b(?:save|wast|overspen)|on the table", text):
        return "savings", None
    if re.search(r"\bshould\b|\bsuggest|\brecommend", text) and periods < 2:
        return "suggestions", None
    if _TREND.search(text) or (periods >= 2 and COMPARE.search(text)) or re.search(
            r"\bcompar", text):
        return "compare_periods", None
    group = _GROUP.search(text)
    if group and not (jobs and not group.group(0).startswith(("by", "per"))):
        word = next(g for g in group.groups() if g).split()[0].split("-")[0].rstrip("s")
        word = "gpu" if word.startswith("gpu") else word
        return "breakdown", GROUP_WORDS.get(word, "team")
    if re.search(r"\bwho\b", text) and not jobs:
        return "breakdown", "user"
    if jobs and (_RANK.search(text) or WASTE.search(text)) or re.search(
            r"\btop\s*(?:\d+|" + COUNT + r")\b", text):
        if _SUGGEST.search(text) and not _STRONG_RANK.search(text):
            return "suggestions", None
        return "top_jobs", None
    if _SAVINGS.search(text) and not re.search(r"\bwhich\b", text):
        return "savings", None
    if _SUGGEST.search(text) or _IDLE.search(text):
        return "suggestions", None
    if _RANK.search(text) and re.search(r"\bworst\b|\bexpensive\b|\bbiggest\b", text):
        return "top_jobs", None
    if any(rx.search(text) for _, rx in METRICS) or _USAGE.search(text):
        return "usage", None
    return None, None
