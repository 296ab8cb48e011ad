"""The phrasing table: questions people asked (typos and all) and what each one asks.

Every question that was misread is added here with what it meant. The scorer prints the share
the parser reads right and holds it above a floor; each row is also its own test, so a misread
names itself.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.ask.parser import Query, parse
from tests.bot.test_ask_parser import KNOWN, TODAY

pytestmark = pytest.mark.dated
FLOOR = 0.95
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
THIS = MONTHS[TODAY.month - 1]  # this month, and the one before: always within 26 weeks
PREV = MONTHS[TODAY.month - 2]

U = {"intent": "usage"}
TOP = {"intent": "top_jobs"}
WASTE = {"intent": "top_jobs", "by": "waste"}
CMP_T = {"intent": "compare_teams"}
CMP_P = {"intent": "compare_periods"}
GROUP = {"intent": "breakdown"}
SAVE = {"intent": "savings"}
REAL = {"intent": "realized"}
IDLE = {"intent": "idle"}
FLAG = {"intent": "flagged"}
SUG = {"intent": "suggestions"}
LABEL = {"intent": "label"}
BUDGET = {"intent": "budget"}


def _(base: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {**base, **more}


TABLE: list[tuple[str, dict[str, Any]]] = [
    # totals: a team, a user, a model, a GPU type, the organisation
    ("how much did team vision spend last week", _(U, team="vision", metric="cost")),
    ("vision spend last week?", _(U, team="vision", metric="cost")),
    (f"what did nlp cost us in {THIS}", _(U, team="nlp", metric="cost")),
    ("hw much did vison spend", _(U, team="vision", metric="cost")),
    ("how much enrgy did the speech team use", _(U, team="speech", metric="energy")),
    ("kwh for research this month", _(U, team="research", metric="energy")),
    ("total electricity used by nlp last 4 weeks", _(U, team="nlp", metric="energy")),
    (f"how much CO2 did we emit in {THIS.capitalize()}?", _(U, metric="co2e", ours=True)),
    ("carbon footprint of the whole org last month", _(U, metric="co2e", org=True)),
    ("what's our co2e this week", _(U, metric="co2e", ours=True)),
    ("emissions for team vision", _(U, metric="co2e", team="vision")),
    ("how many gpu hours did alice use", _(U, metric="gpu_hours", user="alice")),
    ("gpu-hours of nlp on H100 last week", _(U, metric="gpu_hours", team="nlp",
                                             gpu_type="H100")),
    ("how much did we spend on A100s", _(U, metric="cost", gpu_type="A100", ours=True)),
    ("cost of llama-3.1-70b last week", _(U, metric="cost", model="llama-3.1-70b")),
    ("how much energy does model bert-base-uncased use", _(U, metric="energy",
                                                           model="bert-base-uncased")),
    ("total spend of the company last week", _(U, metric="cost", org=True)),
    ("what did everyone spend overall in the last 2 weeks", _(U, metric="cost", org=True)),
    ("how much money did i burn this week", _(U, metric="cost", mine=True)),
    ("my gpu usage last month", _(U, mine=True)),
    ("how much did dave spend", _(U, user="dave")),
    ("erin's cost last week", _(U, user="erin")),
    (f"bill for team research in {TODAY:%Y-%m}", _(U, team="research", metric="cost")),
    ("how much power did nlp draw yesterday", _(U, team="nlp", metric="energy")),
    ("total kwh", _(U, metric="energy")),
    ("what was the electricty bill for vision", _(U, team="vision")),
    ("how much do we pay for L4 gpus", _(U, gpu_type="L4", ours=True, metric="cost")),
    ("usage of team speech this week", _(U, team="speech")),
    ("costs for nlp team last month", _(U, team="nlp", metric="cost")),
    ("how much carbon did alice emit", _(U, user="alice", metric="co2e")),
    # rankings of jobs: most wasteful (the digest's worst), most expensive, by energy
    ("5 worst jobs", _(WASTE, limit=5)),
    ("what are the worst jobs this week", WASTE),
    ("which jobs wasted the most energy?", WASTE),
    ("most wasteful jobs of team vision", _(WASTE, team="vision")),
    ("top 3 wasteful jobs", _(WASTE, limit=3)),
    ("which of our jobs waste the most money", _(WASTE, ours=True)),
    ("my worst jobs", _(WASTE, mine=True)),
    ("worst 10 jobs in nlp", _(WASTE, team="nlp", limit=10)),
    ("jobs with the most waste last week", WASTE),
    ("the most inefficient jobs", WASTE),
    ("top 5 jobs by cost", _(TOP, by="cost", limit=5)),
    ("most expensive jobs", _(TOP, by="cost")),
    ("5 most expensive jobs of vision", _(TOP, by="cost", team="vision", limit=5)),
    ("which jobs cost the most this week?", _(TOP, by="cost")),
    ("top 10 jobs by energy for team vision", _(TOP, by="energy", team="vision", limit=10)),
    ("biggest jobs by gpu hours", _(TOP, by="gpu_hours")),
    ("which jobs used the most kwh", _(TOP, by="energy")),
    ("which jobs emitted the most co2", _(TOP, by="co2e")),
    ("show me the priciest runs", _(TOP, by="cost")),
    ("top jobs", TOP),
    ("our 3 biggest jobs", _(TOP, ours=True, limit=3)),
    ("most expnsive jobs in nlp", _(TOP, team="nlp", by="cost")),
    ("heaviest jobs on H100s", _(TOP, gpu_type="H100")),
    ("list the top twenty jobs", _(TOP, limit=20)),
    ("whats the costliest job of erin", _(TOP, user="erin", by="cost")),
    # comparisons between teams
    ("which team spent more, nlp or vision?", _(CMP_T, teams=("nlp", "vision"),
                                                metric="cost")),
    ("compare nlp and vision", _(CMP_T, teams=("nlp", "vision"))),
    ("nlp vs vision", _(CMP_T, teams=("nlp", "vision"))),
    ("vision versus speech energy last week", _(CMP_T, teams=("vision", "speech"),
                                                metric="energy")),
    ("did research use less energy than nlp?", _(CMP_T, teams=("research", "nlp"),
                                                 metric="energy")),
    ("who emitted more co2, speech or research", _(CMP_T, teams=("speech", "research"),
                                                   metric="co2e")),
    (f"compare team nlp with team speech for {THIS}", _(CMP_T, teams=("nlp", "speech"))),
    ("cost of nlp vs vision vs speech", _(CMP_T, teams=("nlp", "vision", "speech"))),
    ("is vision more expensive than nlp", _(CMP_T, teams=("vision", "nlp"))),
    ("difference between nlp and research spend", _(CMP_T, teams=("nlp", "research"))),
    ("compair nlp and vison", _(CMP_T, teams=("nlp", "vision"))),
    ("how does speech compare to vision on gpu hours", _(CMP_T, teams=("speech", "vision"),
                                                         metric="gpu_hours")),
    ("nlp or vision: who spent less?", _(CMP_T, teams=("nlp", "vision"))),
    ("vision and nlp cost side by side", _(CMP_T, teams=("vision", "nlp"))),
    # comparisons between periods
    ("how did our cost change since last week", _(CMP_P, ours=True)),
    ("this week vs last week", _(CMP_P)),
    ("compare last week with the week before for nlp", _(CMP_P, team="nlp")),
    ("did vision's energy go up?", _(CMP_P, team="vision", metric="energy")),
    ("has our spend increased compared to last month", _(CMP_P, ours=True)),
    ("cost trend for team speech", _(CMP_P, team="speech")),
    ("did we spend more this month than last month", _(CMP_P, ours=True)),
    ("week over week change in co2 for nlp", _(CMP_P, team="nlp", metric="co2e")),
    ("is my usage going up or down", _(CMP_P, mine=True)),
    ("how much more did research spend than in the previous week", _(CMP_P, team="research")),
    (f"energy change for the org in {THIS} vs {PREV}", _(CMP_P, org=True, metric="energy")),
    ("did nlp's costs decrease", _(CMP_P, team="nlp")),
    # totals per team, cluster, GPU type, user, model
    ("cost by team last week", _(GROUP, group_by="team", metric="cost")),
    ("which team spent the most?", _(GROUP, group_by="team")),
    (f"energy per team in {THIS}", _(GROUP, group_by="team", metric="energy")),
    ("spend by cluster", _(GROUP, group_by="cluster")),
    ("which cluster uses the most energy", _(GROUP, group_by="cluster", metric="energy")),
    ("cost per gpu type this month", _(GROUP, group_by="gpu_type")),
    ("breakdown by gpu type", _(GROUP, group_by="gpu_type")),
    ("which gpu type costs us the most", _(GROUP, group_by="gpu_type")),
    ("cost by user for team nlp", _(GROUP, group_by="user", team="nlp")),
    ("who spent the most last week", _(GROUP, group_by="user")),
    ("who used the most gpu hours in vision", _(GROUP, group_by="user", team="vision",
                                                metric="gpu_hours")),
    ("which users burn the most energy", _(GROUP, group_by="user", metric="energy")),
    ("cost per model", _(GROUP, group_by="model")),
    ("which models cost the most", _(GROUP, group_by="model")),
    ("co2 per cluster last month", _(GROUP, group_by="cluster", metric="co2e")),
    ("split the spend by team", _(GROUP, group_by="team")),
    ("what team has the highest co2 footprint", _(GROUP, group_by="team", metric="co2e")),
    ("gpu hours per team", _(GROUP, group_by="team", metric="gpu_hours")),
    ("teams ranked by cost", _(GROUP, group_by="team")),
    ("which team is the most expensive", _(GROUP, group_by="team")),
    ("spending per person in nlp", _(GROUP, group_by="user", team="nlp")),
    # what could be saved
    ("what could we save?", _(SAVE, ours=True)),
    ("how much could we save", _(SAVE, ours=True)),
    ("potential savings for team vision", _(SAVE, team="vision")),
    ("how much money are we wasting", _(SAVE, ours=True)),
    ("how much did nlp waste last week", _(SAVE, team="nlp")),
    ("what can i save", _(SAVE, mine=True)),
    ("savings we could make this month", _(SAVE, ours=True)),
    ("how much waste does the org have", _(SAVE, org=True)),
    ("total waste in kwh for speech", _(SAVE, team="speech")),
    ("how much could research save by right-sizing", _(SAVE, team="research")),
    ("what would we save if we took all suggestions", _(SAVE, ours=True)),
    # what applied swaps saved
    ("what did the approved swaps save?", REAL),
    ("how much have the applied suggestions saved", REAL),
    ("realized savings for nlp", _(REAL, team="nlp")),
    ("what did we actually save last month", _(REAL, ours=True)),
    ("how much did the swaps we accepted save", _(REAL, ours=True)),
    ("realised savings this month", REAL),
    ("how much have we saved so far", _(REAL, ours=True)),
    ("did the model swaps vision applied save anything", _(REAL, team="vision")),
    # idle capacity
    ("biggest idle", IDLE),
    ("how much idle capacity do we have", IDLE),
    ("idle gpus per cluster last week", IDLE),
    ("which cluster has the most idle gpu hours", IDLE),
    (f"unused gpu capacity in {THIS}", IDLE),
    ("how many gpu hours sat idle", IDLE),
    ("spare capacity on the clusters", IDLE),
    ("idle cost last week", IDLE),
    # why is a job flagged
    ("why is my job flagged", _(FLAG, mine=True)),
    ("why was job reviews-polarity flagged?", _(FLAG, job="reviews-polarity")),
    ("why is train-detector flagged", _(FLAG, job="train-detector")),
    ("why is serve-llama marked oversized", _(FLAG, job="serve-llama")),
    ("what's wrong with job train-detector", _(FLAG, job="train-detector")),
    ("why are our jobs flagged", _(FLAG, ours=True)),
    ("flagged jobs of team nlp", _(FLAG, team="nlp")),
    ("why did my job get flaged", _(FLAG, mine=True)),
    # suggestions
    ("which of my jobs could use a smaller model?", _(SUG, mine=True, kinds=("model_swap",))),
    ("any suggestions for team speech?", _(SUG, team="speech")),
    ("which swaps were approved last week?", _(SUG, states=("approved",))),
    ("could we use fewer GPUs?", _(SUG, kinds=("fewer_gpus",))),
    ("which of alice's jobs are oversized?", _(SUG, user="alice")),
    ("recommendations for vision", _(SUG, team="vision")),
    ("what should nlp change", _(SUG, team="nlp")),
    ("any cheaper alternatives for bert-base-uncased", _(SUG, model="bert-base-uncased")),
    ("how can we optimise our jobs", _(SUG, ours=True)),
    ("suggestons for my jobs", _(SUG, mine=True)),
    # labels
    ("why is our label D?", _(LABEL, ours=True)),
    ("what is team vision's energy label?", _(LABEL, team="vision")),
    ("why did nlp get an E last week?", _(LABEL, team="nlp")),
    ("rating of research", _(LABEL, team="research")),
    ("what grade did speech get", _(LABEL, team="speech")),
    ("our lable this week", _(LABEL, ours=True)),
    # budgets
    ("are we over budget?", _(BUDGET, ours=True)),
    ("how much budget does vision have left this week?", _(BUDGET, team="vision")),
    ("nlp budget", _(BUDGET, team="nlp")),
    ("is speech within its budget", _(BUDGET, team="speech")),
    ("bugdet status for research", _(BUDGET, team="research")),
    ("how close are we to our budget", _(BUDGET, ours=True)),
]

# Asked later, without looking at the parser (first read right: 38 of 40, then 35 of 40);
# the misread ones were mended in the parser, and every one stays here.
TABLE += [
    ('what did vision spend in the last 2 weeks',
     {"intent": 'usage', "team": 'vision'}),
    (f"show me nlp's energy use for {PREV}",
     {"intent": 'usage', "team": 'nlp', "metric": 'energy'}),
    ('how much $$ did speech burn through',
     {"intent": 'usage', "team": 'speech'}),
    ('total co2 for research last week please',
     {"intent": 'usage', "team": 'research', "metric": 'co2e'}),
    ('gpu hrs used by bob',
     {"intent": 'usage', "user": 'bob'}),
    ('which 3 jobs are wasting the most money',
     {"intent": 'top_jobs', "by": 'waste', "limit": 3}),
    ('give me the most wasteful runs in vision',
     {"intent": 'top_jobs', "by": 'waste', "team": 'vision'}),
    ('top 7 most expensive jobs last month',
     {"intent": 'top_jobs', "by": 'cost', "limit": 7}),
    ('which job used the most gpu time',
     {"intent": 'top_jobs', "by": 'gpu_hours'}),
    ('largest energy consumers among jobs',
     {"intent": 'top_jobs', "by": 'energy'}),
    ('nlp versus research',
     {"intent": 'compare_teams', "teams": ('nlp', 'research')}),
    ('is speech spending more than vision?',
     {"intent": 'compare_teams', "teams": ('speech', 'vision')}),
    ('who used more energy last week: vision or research?',
     {"intent": 'compare_teams', "metric": 'energy'}),
    (f"compare team vision and team nlp in {THIS}",
     {"intent": 'compare_teams', "teams": ('vision', 'nlp')}),
    ("how has nlp's energy changed since last month",
     {"intent": 'compare_periods', "team": 'nlp', "metric": 'energy'}),
    ('spend this month vs last month',
     {"intent": 'compare_periods'}),
    ('did our emissions grow this week',
     {"intent": 'compare_periods', "ours": True, "metric": 'co2e'}),
    ('per-team costs',
     {"intent": 'breakdown', "group_by": 'team'}),
    (f"costs broken down by cluster for {THIS}",
     {"intent": 'breakdown', "group_by": 'cluster'}),
    ('what gpu types are we spending the most on',
     {"intent": 'breakdown', "group_by": 'gpu_type'}),
    ('spend per user in vision',
     {"intent": 'breakdown', "group_by": 'user', "team": 'vision'}),
    ('which model burns the most energy',
     {"intent": 'breakdown', "group_by": 'model'}),
    ('which team used the most kwh last month',
     {"intent": 'breakdown', "group_by": 'team', "metric": 'energy'}),
    ('how much can vision save',
     {"intent": 'savings', "team": 'vision'}),
    ("what's the potential saving for the org",
     {"intent": 'savings', "org": True}),
    ('how much are we wasting on idle gpus',
     {"intent": 'idle'}),
    ('how much did our applied swaps save',
     {"intent": 'realized', "ours": True}),
    ('realized savings from approved suggestions last month',
     {"intent": 'realized'}),
    ('idle capacity this week',
     {"intent": 'idle'}),
    ('how many idle gpu hours on the clusters',
     {"intent": 'idle'}),
    ('why has job serve-llama been flagged',
     {"intent": 'flagged', "job": 'serve-llama'}),
    ('why was my job marked as oversized',
     {"intent": 'flagged', "mine": True}),
    ('is vision over its budget',
     {"intent": 'budget', "team": 'vision'}),
    ("what's our budget situation",
     {"intent": 'budget', "ours": True}),
    ('why is vision rated F',
     {"intent": 'label', "team": 'vision'}),
    ("which of nlp's jobs should switch to a smaller model",
     {"intent": 'suggestions', "team": 'nlp'}),
    ('hwo much did we spnd on h100s last wek',
     {"intent": 'usage', "gpu_type": 'H100', "ours": True}),
    ('whats the energy of team reserch',
     {"intent": 'usage', "team": 'research', "metric": 'energy'}),
    (f"organisation wide spend in {THIS}",
     {"intent": 'usage', "org": True}),
    ('cheapest team last week',
     {"intent": 'breakdown', "group_by": 'team'}),
    ('yo how much did research blow on gpus last week',
     {"intent": 'usage', "team": 'research'}),
    (f"nlp kwh {THIS}",
     {"intent": 'usage', "team": 'nlp', "metric": 'energy'}),
    ('vision: cost this week so far',
     {"intent": 'usage', "team": 'vision'}),
    ("tell me the carbon of erin's jobs",
     {"intent": 'usage', "user": 'erin', "metric": 'co2e'}),
    ("what's the total energy bill across all teams",
     {"intent": 'usage', "org": True}),
    ('amount spent on a100 by speech',
     {"intent": 'usage', "team": 'speech', "gpu_type": 'A100'}),
    ('the 4 jobs that waste the most',
     {"intent": 'top_jobs', "by": 'waste', "limit": 4}),
    ('jobs ranked by waste',
     {"intent": 'top_jobs', "by": 'waste'}),
    ('our most costly jobs',
     {"intent": 'top_jobs', "by": 'cost', "ours": True}),
    ('which runs burned the most gpu hours in nlp',
     {"intent": 'top_jobs', "by": 'gpu_hours', "team": 'nlp'}),
    ('worst offenders this week',
     {"intent": 'top_jobs', "by": 'waste'}),
    ('vision or speech, which costs more',
     {"intent": 'compare_teams', "teams": ('vision', 'speech')}),
    ('research compared with nlp',
     {"intent": 'compare_teams', "teams": ('research', 'nlp')}),
    ('how do nlp and speech stack up on energy',
     {"intent": 'compare_teams', "teams": ('nlp', 'speech'), "metric": 'energy'}),
    ('nlp vs. vision co2',
     {"intent": 'compare_teams', "metric": 'co2e'}),
    ('are we spending more than last week',
     {"intent": 'compare_periods', "ours": True}),
    ('vision cost last week compared to the week before',
     {"intent": 'compare_periods', "team": 'vision'}),
    ("has the org's energy gone down",
     {"intent": 'compare_periods', "org": True, "metric": 'energy'}),
    ('costs per cluster',
     {"intent": 'breakdown', "group_by": 'cluster'}),
    ('which user spent the most in nlp',
     {"intent": 'breakdown', "group_by": 'user', "team": 'nlp'}),
    ('energy by model last month',
     {"intent": 'breakdown', "group_by": 'model', "metric": 'energy'}),
    ("what's the greenest team",
     {"intent": 'breakdown', "group_by": 'team'}),
    ('team leaderboard by cost',
     {"intent": 'breakdown', "group_by": 'team'}),
    ('spend per gpu',
     {"intent": 'breakdown', "group_by": 'gpu_type'}),
    ('how much are we overspending',
     {"intent": 'savings', "ours": True}),
    ("what's the waste for research",
     {"intent": 'savings', "team": 'research'}),
    ('could nlp save money',
     {"intent": 'savings', "team": 'nlp'}),
    ('money saved by applied suggestions',
     {"intent": 'realized'}),
    ('did approving swaps save us anything',
     {"intent": 'realized', "ours": True}),
    ('how many gpu hours went unused',
     {"intent": 'idle'}),
    ('idle gpus',
     {"intent": 'idle'}),
    (f"cost of idle capacity in {THIS}",
     {"intent": 'idle'}),
    ("why's job job-666 flagged",
     {"intent": 'flagged', "job": 'job-666'}),
    ('explain why train-detector is flagged',
     {"intent": 'flagged', "job": 'train-detector'}),
    ('what is our label',
     {"intent": 'label', "ours": True}),
    ('speech budget left',
     {"intent": 'budget', "team": 'speech'}),
    ('any smaller model i could use',
     {"intent": 'suggestions', "mine": True}),
    (f"how much did bob spend on l4s in {THIS}",
     {"intent": 'usage', "user": 'bob', "gpu_type": 'L4'}),
    ('total gpu hours last 10 days',
     {"intent": 'usage', "metric": 'gpu_hours'}),
    ("what were vision's costs per day",
     {"intent": 'usage', "team": 'vision'}),
]


def _reads(query: Query | None, expected: dict[str, Any]) -> list[str]:
    """What the parser read differently from `expected` (empty: read right)."""
    if query is None:
        return ["not understood"]
    return [f"{key}={getattr(query, key)!r}, not {value!r}" for key, value in expected.items()
            if getattr(query, key) != value]


def test_the_scorer_reads_the_table_above_the_floor():
    misread = {}
    for question, expected in TABLE:
        problems = _reads(parse(question, known=KNOWN, today=TODAY), expected)
        if problems:
            misread[question] = problems
    share = 1 - len(misread) / len(TABLE)
    print(f"\nask phrasing table: {len(TABLE) - len(misread)} of {len(TABLE)} read right "
          f"({100 * share:.1f}%)")
    for question, problems in misread.items():
        print(f"  misread: {question!r}: {'; '.join(problems)}")
    assert len(TABLE) >= 150
    assert len({q for q, _ in TABLE}) == len(TABLE)
    assert share >= FLOOR, misread


@pytest.mark.parametrize(("question", "expected"), TABLE, ids=[q for q, _ in TABLE])
def test_each_phrasing(question: str, expected: dict[str, Any]):
    assert _reads(parse(question, known=KNOWN, today=TODAY), expected) == []
