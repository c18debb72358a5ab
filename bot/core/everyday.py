"""Everyday English: words a question uses about anything, which name no subject.

"how do we make sure a bad deploy can be undone quickly" holds three words no tip uses
("sure", "undone", "quickly"), yet it is about deployments: such words must not count as much
against a question's coverage as "kafka" or "spinnaker", which name something the corpus does
not cover. This is a list of general English (adverbs, common verbs and their forms, people,
time, quantity, judgement), not of Kubernetes words and not of any one question's words; a word
here that the corpus does use is read as the corpus word, as before.
"""

from __future__ import annotations

# How much an everyday word the corpus lacks counts against a question's coverage.
EVERYDAY_WEIGHT = 0.3

EVERYDAY = frozenset(
    """
    actually again ago almost already always anyhow anyway anymore apparently around
    automatically basically certainly clearly completely constantly correctly currently easily
    entirely especially even eventually ever exactly fast finally frequently fully generally
    hardly honestly immediately instead just lately later likely manually maybe mostly nearly
    never normally now often once otherwise perhaps possibly pretty probably properly quickly
    quite randomly rarely really recently regularly right seriously simply slightly sometimes
    somehow soon still suddenly surely together totally twice usually yet across along among
    behind beside besides beyond inside onto outside per toward towards upon within without
    whether though although unless since else every everything anything nothing everybody
    everyone nobody anybody noone somewhere anywhere everywhere nowhere much many enough least
    less lot lots few several plenty bunch whole entire able bad best better big bigger certain
    early late high higher low lower common correct different easy fine good great hard huge
    important large little main new nice normal ok okay old own possible proper quick real safe
    same serious short simple small strange sure tiny true usual weird wrong answer answered
    answering answers ask asked asking asks become becomes became begin begins belong belongs
    bring brings call called calling calls care cares change changed changes changing check
    checked checking come comes came coming decide decided decides do done doing end ended ends
    expect expected feel feels figure figured find finding finds found get gets getting give
    gives giving go goes gone forget forgets forgetting forgot forgotten guess happen happened
    happening happens help helps hold holds keep keeping keeps kept leave leaves left live lives
    look looked looking looks lose loses losing lost manage managed matter matters mean means
    meant move moved moves notice noticed notices noticing put puts remember said say saying
    says see seeing seen seem seemed seems sees saw sort talk talked talking talks tell think
    thinks thought take takes taking told try tried tries trying undo undone understand wonder
    wondering work worked working works worry wrote write writes writing afternoon day days
    evening hour hours minute minutes moment month months morning night second seconds time
    times today tomorrow tonight week weekend weeks year years yesterday boss colleague
    colleagues customer customers folks friend friends guy guys manager member members people
    person somebody user users bit case cases example idea issue kind part parts place point
    problem problems question questions reason side stuff thing type
    """.split()
)
