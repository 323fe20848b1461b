"""Generates benchhub's NER sample: src/benchhub/resources/ner_sample/{train,validation,test}.conll.

Every template and entity name below is written for benchhub (no sentence of CoNLL-2003 or any
other dataset is used). Sentences are IOB2-tagged with PER, ORG, LOC and MISC. Test mentions are
drawn about 40% from entity lists that never occur in train (unseen) and otherwise from names that
do occur in train (seen), so a model that memorises train names scores visibly worse on unseen ones.

    python scripts/make_ner_sample.py            # rewrites the packaged files
    python scripts/make_ner_sample.py --out DIR  # writes them elsewhere
    python scripts/make_ner_sample.py --stats    # prints the data card's numbers for the packaged files

The output is deterministic: the same script writes byte-identical files.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

from benchhub.tasks.token_classification.conll import Sentence, read_conll, write_conll

OUT = Path(__file__).resolve().parents[1] / "src" / "benchhub" / "resources" / "ner_sample"
SIZES = {"train": 400, "validation": 100, "test": 120}
SEEDS = {"train": 2024, "validation": 2025, "test": 2026}
UNSEEN_SHARE = 0.4
TYPES = ("PER", "ORG", "LOC", "MISC")

# Slot name -> (entity type, names that may occur in every split, names kept for test only).
ENTITIES: dict[str, tuple[str, list[str], list[str]]] = {
    "PER": ("PER", [
        "Marta Kovalenko", "Jonas Brekke", "Amara Okafor", "Luis Ferreira", "Hana Takeda", "Pieter de Vries",
        "Sofia Andrade", "Tomasz Wilk", "Nadia Haddad", "Oliver Grant", "Ingrid Solberg", "Rahul Menon",
        "Claire Dubois", "Mateo Rinaldi", "Yusuf Demir", "Elena Petrova", "Kwame Mensah", "Lena Hoffmann",
        "Diego Salazar", "Aiko Morimoto", "Samuel Osei", "Greta Lindqvist", "Ivan Horvat", "Fatima Benali",
        "Connor Walsh", "Mei Lin Zhou", "Jean-Paul Martel", "Ana Maria Costa", "Brekke", "Okafor",
    ], [
        "Tobias Rautio", "Leila Farouk", "Marek Novotny", "Chiara Bellandi", "Kofi Asante", "Sanna Virtanen",
        "Hugo Lambert", "Priya Raman", "Dmitri Sokolov", "Ines Carvalho", "Bruno Weidmann", "Yara Nasser",
        "Emil Strand", "Rosa Jimenez", "Willem van der Berg",
    ]),
    "CLUB": ("ORG", [
        "Riverton United", "Northgate Rovers", "Harbour City", "Atletico Sierra", "Red Star Valen", "FC Lindenau",
        "Eastbrook Athletic", "Sporting Cava", "Kestrel Town", "Olympia Marsden", "Dynamo Kirovsk",
        "Bayside Wanderers", "Real Ostia", "Westmoor Albion", "Union Tessin", "Racing Aldea",
    ], [
        "Ferncliff Rangers", "Stormhaven FC", "Deportivo Lumbre", "Vikings Norrby", "Calder Vale", "AC Montebruno",
        "Greyfield Harriers", "Sparta Olen",
    ]),
    "COMPANY": ("ORG", [
        "Norvale Energy", "Brightwave", "Kessler Motors", "Altura Bank", "Pinecrest Foods", "Halcyon Airways",
        "Tessera Systems", "Marlow & Finch", "Orbis Telecom", "Vantor", "Greenleaf Pharma", "Stellan Steel",
        "Quill Media", "Corvid Logistics", "Ardent Chemicals", "Polar Air",
    ], [
        "Helix Maritime", "Sundial Insurance", "Ostrava Glassworks", "Lumen Robotics", "Kilnworth Cement",
        "Brava Textiles", "Nimbus Cloud Services", "Fjordline Ferries",
    ]),
    "INST": ("ORG", [
        "Institute of Marine Studies", "Ministry of Health", "Central Election Commission", "Northern Research Council",
        "Royal Academy of Sciences", "University of Castell", "Harbour Police", "Federal Aviation Board",
        "Green Future Party", "Lindqvist Institute", "Supreme Court", "Competition Authority",
    ], [
        "Alpine Water Agency", "University of Merrow", "Coastal Guard Service", "Institute for Soil Science",
        "People 's Reform Party", "Tessin Observatory", "Office of Fair Trade",
    ]),
    "CITY": ("LOC", [
        "Paris", "Lisbon", "Nairobi", "Oslo", "Buenos Aires", "Osaka", "Cairo", "Hamburg", "Valencia", "Toronto",
        "Krakow", "Accra", "Melbourne", "Istanbul", "New Delhi", "San Diego", "Marseille", "Bergen", "Porto",
        "Seoul", "Lima", "Rotterdam", "Dublin",
    ], [
        "Tampere", "Valparaiso", "Kaunas", "Gdansk", "Mombasa", "Sapporo", "Ljubljana", "Salvador", "Trieste",
        "Rio Grande", "Las Palmas",
    ]),
    "COUNTRY": ("LOC", [
        "France", "Kenya", "Norway", "Japan", "Brazil", "Germany", "Canada", "Poland", "Ghana", "Australia",
        "Turkey", "India", "Spain", "Mexico", "South Korea", "Egypt", "Ireland", "Portugal", "Argentina",
        "New Zealand",
    ], [
        "Finland", "Chile", "Lithuania", "Slovenia", "Uruguay", "Tanzania", "Iceland", "Sri Lanka", "Costa Rica",
    ]),
    "RIVER": ("LOC", [
        "Danube", "Rhine", "Nile", "Amazon", "Grey River", "Baltic Sea", "North Sea", "Tagus", "Mekong", "Volta",
        "Atlas Mountains", "Valen Gorge",
    ], [
        "Oder", "Loire", "Zambezi", "Irrawaddy", "Black Forest", "Red Sea", "Orinoco",
    ]),
    "NAT": ("MISC", [
        "French", "Kenyan", "Norwegian", "Japanese", "Brazilian", "German", "Canadian", "Polish", "Ghanaian",
        "Australian", "Turkish", "Indian", "Spanish", "Mexican", "Irish", "Portuguese", "Dutch", "Italian",
    ], [
        "Finnish", "Chilean", "Lithuanian", "Slovenian", "Uruguayan", "Icelandic", "Peruvian", "Estonian",
    ]),
    "SPORTEVENT": ("MISC", [
        "World Cup", "Valen Open", "Northern Games", "Castell Marathon", "Atlas Rally", "Coastal Cup",
        "Continental Championships", "Tour of the Hills",
    ], [
        "Baltic Regatta", "Summit Classic", "Alpine Trophy", "Pacific Rim Series",
    ]),
    "FESTIVAL": ("MISC", [
        "Harbour Jazz Festival", "Summer Film Festival", "Festival of Lights", "Kestrel Book Fair", "Autumn Wine Week",
    ], [
        "Midnight Sun Carnival", "Riverside Folk Festival", "Winter Light Fair",
    ]),
    "AWARD": ("MISC", [
        "Lindqvist Prize", "Golden Reel Award", "Marlow Medal", "Castell Science Prize", "Blue Quill Award",
    ], [
        "Aurora Medal", "Horizon Prize", "Greywater Award",
    ]),
    "PRODUCT": ("MISC", [
        "Aurora X2", "Nova Pad", "Zephyr", "Orion Mini", "Tern 300", "Kestrel E", "Vega S",
    ], [
        "Quasar Pro", "Lynx 5", "Meridian Go", "Sable One",
    ]),
    "TITLE": ("MISC", [
        "The Quiet Harbour", "Salt and Iron", "Northern Lights", "A Winter in Lisbon", "Glass Rivers", "The Last Ferry",
    ], [
        "Paper Moons", "The Ninth Bell", "Ash and Amber",
    ]),
}

# Tokens are separated by spaces; {SLOT} is an entity slot, {NUM}, {SCORE}, {YEAR}, {DAY}, {MONTH} are untagged fillers.
TEMPLATES = [
    # news and politics
    "{PER} , the {NAT} foreign minister , arrived in {CITY} on {DAY} for talks with {PER} .",
    "{INST} said on {DAY} it would open an inquiry into the contract .",
    "The {NAT} government has asked the {INST} to review the decision .",
    "Protesters gathered outside the parliament in {CITY} , police said .",
    "{PER} told reporters in {CITY} that the talks had been constructive .",
    "Voters in {COUNTRY} go to the polls on {DAY} .",
    "\" We will not accept these terms , \" {PER} said .",
    "{PER} was elected mayor of {CITY} with {NUM} percent of the vote .",
    "The agreement between {COUNTRY} and {COUNTRY} was signed in {CITY} .",
    "{INST} spokesman {PER} declined to comment .",
    "Floods along the {RIVER} forced {NUM} families from their homes .",
    "Heavy rain is expected across the north of {COUNTRY} this weekend .",
    "The ministry said the new rules would take effect in {MONTH} .",
    "{PER} resigned as head of the {INST} after {NUM} years in the post .",
    "{NAT} and {NAT} officials met behind closed doors in {CITY} .",
    "A spokeswoman for the {INST} in {CITY} confirmed the report .",
    "Police in {CITY} arrested two men on {DAY} , a statement said .",
    "{PER} will visit {COUNTRY} , {COUNTRY} and {COUNTRY} next month .",
    "The court ruled that the ban was lawful .",
    "Opposition leader {PER} called the budget a disgrace .",
    # sport
    "{CLUB} beat {CLUB} {SCORE} - {SCORE} on {DAY} .",
    "{PER} scored twice as {CLUB} won at {CLUB} .",
    "{PER} ( {COUNTRY} ) won the final at the {SPORTEVENT} .",
    "{CLUB} have signed {NAT} striker {PER} on a three-year deal .",
    "{PER} finished second behind {PER} in {CITY} .",
    "The {SPORTEVENT} will be held in {CITY} in {YEAR} .",
    "{COUNTRY} drew {SCORE} - {SCORE} with {COUNTRY} in a friendly .",
    "Coach {PER} said his side had deserved the win .",
    "{PER} of {COUNTRY} set a course record of {NUM} minutes .",
    "Rain delayed the start of the match by two hours .",
    "{CLUB} manager {PER} was sent to the stands in the second half .",
    "{PER} retired from the {SPORTEVENT} with a knee injury .",
    "Results from the {SPORTEVENT} on {DAY} :",
    "{NAT} cyclist {PER} took the lead after the stage to {CITY} .",
    "{CLUB} moved to the top of the table with a {SCORE} - {SCORE} win .",
    "The final will be played in {CITY} on {DAY} .",
    "{PER} and {PER} shared the lead after the first round .",
    "{CLUB} confirmed that {PER} had left the club by mutual consent .",
    "Both teams struggled in the heat and the game ended goalless .",
    "{PER} beat {PER} {SCORE} - {SCORE} , {SCORE} - {SCORE} to reach the semi-finals .",
    # business
    "{COMPANY} shares rose {NUM} percent in {CITY} on {DAY} .",
    "{COMPANY} agreed to buy {COMPANY} for {NUM} million dollars .",
    "{PER} , chief executive of {COMPANY} , said profits would fall .",
    "{COMPANY} will cut {NUM} jobs at its plant in {CITY} .",
    "The {NAT} central bank left interest rates unchanged .",
    "Analysts at {COMPANY} expect the {PRODUCT} to sell well in {COUNTRY} .",
    "{COMPANY} launched the {PRODUCT} at a trade fair in {CITY} .",
    "Oil prices fell for a third day on {DAY} .",
    "The {INST} fined {COMPANY} for breaking competition rules .",
    "{COMPANY} reported a net loss of {NUM} million euros for the quarter .",
    "{PER} will replace {PER} as chairman of {COMPANY} in {MONTH} .",
    "{COMPANY} opened its first store in {COUNTRY} .",
    "Trading was thin ahead of the holiday , dealers said .",
    "The {NAT} carmaker {COMPANY} recalled {NUM} vehicles .",
    "Unions at {COMPANY} called a strike for {DAY} .",
    "{COMPANY} and {COMPANY} signed a supply deal worth {NUM} million .",
    "Stocks in {COUNTRY} closed higher on {DAY} .",
    "Sales of the {PRODUCT} have doubled since {MONTH} , {COMPANY} said .",
    "{PER} founded {COMPANY} in {CITY} in {YEAR} .",
    "Inflation rose to {NUM} percent in {MONTH} , the statistics office said .",
    # travel
    "Flights from {CITY} to {CITY} were cancelled because of fog .",
    "The old town of {CITY} draws visitors from across {COUNTRY} .",
    "Hikers can follow the {RIVER} trail for {NUM} kilometres .",
    "Ferries to {CITY} leave every hour in summer .",
    "{PER} spent a month walking from {CITY} to {CITY} .",
    "The {FESTIVAL} attracts thousands of tourists to {CITY} every year .",
    "Tickets are cheaper if you book a week in advance .",
    "{COMPANY} added a direct route between {CITY} and {CITY} .",
    "A new bridge over the {RIVER} opened on {DAY} .",
    "Many {NAT} visitors now spend their holidays in {COUNTRY} .",
    "The museum in {CITY} reopened after a two-year renovation .",
    "Snow closed the pass between {COUNTRY} and {COUNTRY} .",
    "Trains to the coast are running a reduced timetable today .",
    "The {RIVER} is best seen from the hills above {CITY} .",
    "Guide {PER} has led boat tours on the {RIVER} for {NUM} years .",
    # science and culture
    "Researchers at the {INST} have found a new species of frog in {COUNTRY} .",
    "{PER} of the {INST} led the study , published on {DAY} .",
    "The {PRODUCT} probe will be launched from {COUNTRY} in {YEAR} .",
    "{PER} won the {AWARD} for her work on solar cells .",
    "Scientists warned that the glacier above {CITY} is shrinking fast .",
    "The {INST} and the {INST} will share the cost of the telescope .",
    "The team measured the water temperature of the {RIVER} every day .",
    "The results surprised everyone , the authors wrote .",
    "{PER} 's novel {TITLE} has been translated into {NUM} languages .",
    "The film {TITLE} , directed by {PER} , opens the {FESTIVAL} .",
    "{NAT} astronomers spotted the comet from an observatory near {CITY} .",
    "The {NAT} team led by {PER} and {PER} sequenced the genome .",
    "The {INST} will host the {FESTIVAL} in {CITY} next spring .",
    "The vaccine trial involves {NUM} volunteers in {COUNTRY} and {COUNTRY} .",
    "Engineers at {COMPANY} tested the {PRODUCT} engine at a site near {CITY} .",
    "The essay appeared in {TITLE} , an anthology edited by {PER} .",
    "Dr {PER} told a conference in {CITY} that the data were incomplete .",
    "{PER} accepted the {AWARD} on behalf of the {INST} .",
]

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def fillers(rng: random.Random) -> dict[str, str]:
    return {"NUM": str(rng.randint(2, 950)), "SCORE": str(rng.randint(0, 5)), "YEAR": str(rng.randint(2019, 2031)),
            "DAY": rng.choice(DAYS), "MONTH": rng.choice(MONTHS)}


def make_split(split: str, train_names: dict[str, list[str]] | None) -> tuple[list[Sentence], dict[str, set[str]]]:
    """The sentences of one split, and the entity names used per slot.

    `train_names` is None for train and validation (names from the shared lists); for test it holds
    the names train used, the seen names test draws from beside the test-only ones.
    """
    rng = random.Random(SEEDS[split])
    order: list[str] = []
    sentences: list[Sentence] = []
    used: dict[str, set[str]] = {slot: set() for slot in ENTITIES}
    for _ in range(SIZES[split]):
        if not order:  # every template once per round, in a fresh order each round
            order = rng.sample(TEMPLATES, len(TEMPLATES))
        template = order.pop()
        tokens: list[str] = []
        tags: list[str] = []
        picked: set[str] = set()
        values = fillers(rng)
        for piece in template.split(" "):
            slot = piece[1:-1] if piece.startswith("{") and piece.endswith("}") else None
            if slot in values:
                tokens.append(values[slot])
                tags.append("O")
            elif slot is not None:
                kind, shared, test_only = ENTITIES[slot]
                if train_names is None:
                    pool = shared
                elif rng.random() < UNSEEN_SHARE:
                    pool = test_only
                else:
                    pool = sorted(train_names[slot])
                    if not pool:
                        raise SystemExit(f"train has no {slot} names for test's seen mentions; add train sentences.")
                name = rng.choice([candidate for candidate in pool if candidate not in picked] or pool)
                picked.add(name)
                used[slot].add(name)
                words = name.split(" ")
                tokens.extend(words)
                tags.extend([f"B-{kind}"] + [f"I-{kind}"] * (len(words) - 1))
            else:
                tokens.append(piece)
                tags.append("O")
        sentences.append(Sentence(tuple(tokens), tuple(tags)))
    return sentences, used


def generate(out: Path) -> None:
    names = [name for _, shared, test_only in ENTITIES.values() for name in shared + test_only]
    if len(names) != len(set(names)):
        raise SystemExit(f"an entity name is listed twice: {sorted(n for n, c in Counter(names).items() if c > 1)}")
    out.mkdir(parents=True, exist_ok=True)
    train, train_names = make_split("train", None)
    write_conll(out / "train.conll", train)
    write_conll(out / "validation.conll", make_split("validation", None)[0])
    write_conll(out / "test.conll", make_split("test", {slot: used for slot, used in train_names.items()})[0])


def mentions(sentence: Sentence) -> list[tuple[str, str]]:
    """The (type, text) of each IOB2 entity mention of a sentence."""
    found: list[tuple[str, list[str]]] = []
    for token, tag in zip(sentence.tokens, sentence.tags, strict=True):
        if tag.startswith("B-"):
            found.append((tag[2:], [token]))
        elif tag.startswith("I-"):
            found[-1][1].append(token)
    return [(kind, " ".join(words)) for kind, words in found]


def stats_markdown(folder: Path) -> str:
    """The data card's tables: sentences, tokens and mentions per type and split; seen and unseen test mentions."""
    splits = {name: read_conll(folder / f"{name}.conll") for name in SIZES}
    lines = ["| split | sentences | tokens | PER | ORG | LOC | MISC | mentions | without entities |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, sentences in splits.items():
        counts = Counter(kind for sentence in sentences for kind, _ in mentions(sentence))
        tokens = sum(len(sentence.tokens) for sentence in sentences)
        empty = sum(1 for sentence in sentences if not mentions(sentence))
        lines.append(f"| {name} | {len(sentences)} | {tokens} | " + " | ".join(str(counts[kind]) for kind in TYPES)
                     + f" | {sum(counts.values())} | {empty} |")
    train_texts = {text for sentence in splits["train"] for _, text in mentions(sentence)}
    test = [(kind, text) for sentence in splits["test"] for kind, text in mentions(sentence)]
    lines += ["", "| test mentions | PER | ORG | LOC | MISC | all | share |", "|---|---:|---:|---:|---:|---:|---:|"]
    for label, unseen in (("seen in train", False), ("unseen in train", True)):
        counts = Counter(kind for kind, text in test if (text not in train_texts) == unseen)
        total = sum(counts.values())
        lines.append(f"| {label} | " + " | ".join(str(counts[kind]) for kind in TYPES) + f" | {total} | {total / len(test):.1%} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder to write the three .conll files to")
    parser.add_argument("--stats", action="store_true", help="print the data card's tables for --out instead of writing")
    args = parser.parse_args(argv)
    if args.stats:
        sys.stdout.write(stats_markdown(args.out))
        return 0
    generate(args.out)
    print(f"wrote {', '.join(f'{name}.conll' for name in SIZES)} to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
