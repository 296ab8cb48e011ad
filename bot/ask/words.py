"""Questions as people type them: lower case, one spelling, typos of known words mended."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

# Words the parser reads (and common words near them, so they are never "mended" into one).
VOCABULARY = frozenset("""
how much many what which who whose why where when did does do is are was were the a an of in
on for by per to from and or vs versus than more less fewer most least top worst best biggest
largest heaviest hungriest costliest priciest highest lowest expensive cheapest cheaper
cost costs costing costly spend spent spending spends pay paid bill billed money dollars price
energy electricity power kwh emissions emitted emit emits emitting carbon footprint
gpu gpus hours hour time team teams cluster clusters model models user users person people
engineer engineers owner owners job jobs run runs workload workloads week weeks month months
today yesterday last this past previous current since until between during over
compare compared comparing comparison against difference change changed changes trend
increase increased decrease decreased grow grew growth went total totals overall whole
organisation organization company everyone everybody all each every breakdown split across
among label labels rating rated grade score budget budgets over within left remaining
waste wasted wasting wasteful wastes inefficient efficiency oversized overprovisioned flagged
flag flags marked wrong problem save saved saves saving savings could would should can
potential potentially approved applied accepted realized realised actually swap swaps
suggestion suggestions suggest suggested recommend recommendation recommendations smaller
alternative alternatives distilled fewer right sized idle unused spare capacity release
precision batching batch show list give tell rank ranking ranked used uses using use
consumed consume consumption burn burned burnt our we us my mine me your their they them
much so far far january february march april may june july august september october
november december show shows type types please have has had been being with without
one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty fifty
should ranked sorted cheapest greenest cleanest dirtiest lowest ordered side before after
going still gone done down up out off into about above below again also any anything
nothing something everything really very just only even more less lot lots bit little big
small new old good bad high low long short same other another different whole half full
thing things stuff way ways day days year years hour minute number numbers amount amounts
figure figures data report reports digest explain tell know think want need like look see
get got gets make made take took put keep let help find give gave show shown stack explain
overspend overspending overspent leaderboard league offenders offender hog hogs hogging
sizing size sizes hungry efficient efficiently spender spenders consumer consumers paying
pays cut cuts reduce trim leaving
stop still yet ever never always often usually there here then now soon while because
""".split())
# Words that are left as typed but never the mended form of another (lable is label, not table).
COMMON = frozenset("""
table cable able stable labs lab fable about above across actually after again against almost
alone along already although always among another answer anyone anything anyway anywhere
around asked asking average away back because become before behind being below best better
bring brought build built busy call came cannot care carry case cause certain chance check
child choose clear close come coming course cover daily dark deal dear deep detail details
doing double during early easy either else enough entire exact example except expect fact
fair fall family fast feel felt field fill final fine first follow food form forward found
free friend front further gave general given happen hand hard head hear heard hold home hope
huge idea important include inside instead issue item itself kind knew known large late later
least leave left level life light line live lose lost main mark matter mean means meant might
mind miss move must name near nice night none normal note notice often once open order part
pass perhaps place plan plus point possible pretty probably process provide pull push quick
quite rather read ready real reason recent record rest result room round rule seem seen send
sent service several shall share short side single size some sort sound speak special stand
start state stay step such sure talk thank that these those though thought through till times
together told toward tried true trying turn under upon useful usual want watch well went what
where whether which while whom wide will wish word work worked working works world worse
would write wrong quarterly monthly weekly spike spikes jump jumped drop dropped doubled
tripled halved shares portion percent percentage fraction ratio median summary summarize
overview info information stats statistics metrics dashboard cheap cheaper price prices
""".split())
_CUTOFF = 0.8
_MIN_LEN = 4


def normalize(question: str) -> str:
    """Lower case, straight quotes, single spaces; "team's" kept, "?" dropped."""
    text = question.lower().replace("’", "'").replace("‘", "'").replace("“", '"')
    text = text.replace("”", '"').replace("co₂", "co2")
    text = re.sub(r"[?!,;()\"]+", " ", text)
    text = re.sub(r"\b(per|by|each)-(?=[a-z])", r"\1 ", text)
    return " ".join(text.split())


def mend(text: str, names: Iterable[str]) -> str:
    """Each alphabetic word that is close to (not one of) the known words, replaced by it."""
    vocab = VOCABULARY | {n.lower() for n in names if n.isalpha()}
    choices = sorted(vocab)
    vocab = vocab | COMMON
    out = []
    for token in text.split(" "):
        core = token.rstrip(".:")
        core = core[:-2] if core.endswith("'s") else core
        if len(core) >= _MIN_LEN and core.isalpha() and core not in vocab:
            close = difflib.get_close_matches(core, choices, n=1, cutoff=_CUTOFF)
            if close:
                token = token.replace(core, close[0], 1)
        out.append(token)
    return " ".join(out)
