"""Generates benchhub's multiple-choice sample: src/benchhub/resources/multiple_choice_sample/{train,test}.jsonl.

Every question and choice below is written for benchhub (nothing is copied from ARC, MMLU or any other
dataset): grade-school science, arithmetic and general knowledge, four choices each. The choices were
written with the right one first-written, then shuffled with a fixed seed, so gold positions spread over
all four. As in real multiple-choice data, the right answer is often the longest, most qualified choice:
the choices-only baselines find that shortcut.

    python scripts/make_multiple_choice_sample.py            # rewrites the packaged files
    python scripts/make_multiple_choice_sample.py --out DIR  # writes them elsewhere

The output is deterministic: the same script writes byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "benchhub" / "resources" / "multiple_choice_sample"
SEED = 17

TRAIN = [
    ("Which gas do plants take in from the air to make sugar?", ["Oxygen", "Nitrogen", "Carbon dioxide, which leaves absorb through small pores", "Helium"], 2),
    ("What is frozen water called?", ["Steam", "Ice", "Fog", "Dew"], 1),
    ("Which tool is best for measuring the length of a table?", ["A thermometer", "A measuring tape marked in centimetres", "A scale", "A stopwatch"], 1),
    ("Why does a metal spoon feel colder than a wooden spoon at the same temperature?", ["Metal is always colder", "Wood makes its own heat", "Metal conducts heat away from the hand faster than wood does", "Wood is wet"], 2),
    ("How many legs does an insect have?", ["Four", "Six", "Eight", "Ten"], 1),
    ("What causes day and night on Earth?", ["The Moon blocking the Sun", "Clouds", "The Earth spinning on its axis once about every 24 hours", "The Sun moving around the Earth"], 2),
    ("Which of these is a mammal?", ["Shark", "Frog", "Whale", "Lizard"], 2),
    ("What does a seed need first in order to sprout?", ["Bright light", "Water and a suitable temperature", "Sand", "Fertilizer"], 1),
    ("Which planet is closest to the Sun?", ["Venus", "Mars", "Mercury", "Earth"], 2),
    ("What is the main job of the heart?", ["To digest food", "To pump blood through the body", "To make bones", "To filter air"], 1),
    ("Which material is attracted to a magnet?", ["Paper", "Glass", "Iron", "Plastic"], 2),
    ("What happens to most liquids when they are cooled enough?", ["They turn into gas", "They become solid", "They glow", "They get heavier"], 1),
    ("A student pushes a box and it moves. What made it move?", ["Gravity alone", "A force applied by the student in one direction", "Friction", "Magnetism"], 1),
    ("Which part of a plant takes up water from the soil?", ["The flower", "The leaves", "The roots, through tiny root hairs", "The fruit"], 2),
    ("What do we call animals that eat only plants?", ["Carnivores", "Herbivores", "Omnivores", "Predators"], 1),
    ("Which of these is a renewable source of energy?", ["Coal", "Oil", "Wind, which keeps blowing as the Sun heats the air unevenly", "Natural gas"], 2),
    ("What is the boiling point of water at sea level in degrees Celsius?", ["50", "90", "100", "120"], 2),
    ("Which sense organ is used to detect sound?", ["Eye", "Ear", "Tongue", "Skin"], 1),
    ("What is the largest ocean on Earth?", ["Atlantic", "Indian", "Pacific", "Arctic"], 2),
    ("Why do we see lightning before we hear thunder?", ["Thunder happens later", "Light travels much faster than sound through the air", "Our eyes are closer to the sky", "Sound is blocked by clouds"], 1),
    ("Which shape has three sides?", ["Square", "Triangle", "Circle", "Pentagon"], 1),
    ("What is 7 times 8?", ["54", "56", "58", "64"], 1),
    ("Which of these would best keep a drink warm?", ["A thin glass", "An open bowl", "A vacuum flask with two walls and a gap between them", "A paper cup"], 2),
    ("What is the name of the force that pulls objects toward Earth?", ["Friction", "Gravity", "Tension", "Buoyancy"], 1),
    ("Which organ do fish use to breathe in water?", ["Lungs", "Gills", "Skin only", "Fins"], 1),
    ("What happens to a puddle on a hot, sunny day?", ["It grows", "It freezes", "The water slowly evaporates into the air as vapour", "It turns to salt"], 2),
    ("Which of these is a source of light?", ["The Moon", "A mirror", "The Sun", "A window"], 2),
    ("What unit is used to measure temperature?", ["Metres", "Degrees", "Litres", "Grams"], 1),
    ("Which animal lays eggs?", ["Dog", "Chicken", "Horse", "Cow"], 1),
    ("Why do leaves of many trees change colour in autumn?", ["They are painted by frost", "The green chlorophyll breaks down and other pigments show through", "They absorb more water", "They get more sunlight"], 1),
    ("What is the capital city of France?", ["Lyon", "Marseille", "Paris", "Nice"], 2),
    ("How many days are there in a leap year?", ["364", "365", "366", "367"], 2),
    ("Which layer of the Earth do we live on?", ["The core", "The mantle", "The crust, the thin rocky outer layer", "The magma"], 2),
    ("What do bees collect from flowers to make honey?", ["Pollen only", "Nectar", "Leaves", "Seeds"], 1),
    ("Which of these changes is a chemical change?", ["Melting ice", "Cutting paper", "Burning wood, which turns it into ash, smoke and gases", "Folding a shirt"], 2),
    ("What is the main gas in the air we breathe?", ["Oxygen", "Nitrogen", "Carbon dioxide", "Hydrogen"], 1),
    ("Which body part protects the brain?", ["The ribs", "The skull", "The spine", "The pelvis"], 1),
    ("What is a group of stars that forms a pattern in the sky called?", ["A galaxy", "A constellation", "A comet", "A planet"], 1),
    ("Which would make a shadow longer?", ["The light source directly overhead", "The light source low and to one side of the object", "No light at all", "A smaller object"], 1),
    ("What is half of 150?", ["50", "70", "75", "80"], 2),
    ("Which animal is known for changing its skin colour to match its surroundings?", ["Elephant", "Chameleon", "Rabbit", "Owl"], 1),
    ("What is the hardest natural material?", ["Gold", "Iron", "Diamond", "Quartz"], 2),
    ("Why does a ball roll farther on a smooth floor than on a carpet?", ["The floor is colder", "There is less friction between the ball and a smooth floor", "Carpet pushes the ball", "The ball is lighter on the floor"], 1),
    ("Which season follows winter?", ["Summer", "Autumn", "Spring", "Monsoon"], 2),
    ("What do caterpillars turn into?", ["Beetles", "Butterflies or moths", "Spiders", "Worms"], 1),
    ("Which instrument is used to look at very small things?", ["Telescope", "Microscope", "Periscope", "Barometer"], 1),
    ("What makes up most of the human body by weight?", ["Fat", "Bone", "Water, found in blood, cells and tissues", "Muscle"], 2),
    ("Which of these is a liquid at room temperature?", ["Iron", "Mercury", "Salt", "Wood"], 1),
    ("How does recycling paper help the environment?", ["It makes paper heavier", "Fewer trees are cut down and less waste goes to landfill", "It uses more water", "It makes ink"], 1),
    ("What is the opposite of north on a compass?", ["East", "West", "South", "Up"], 2),
    ("Which food is the best source of protein?", ["Lettuce", "Beans", "Apples", "Sugar"], 1),
    ("What does a thermometer measure?", ["Weight", "Temperature", "Speed", "Volume"], 1),
    ("Which of these helps a cactus survive in the desert?", ["Large thin leaves", "Thick stems that store water and spines instead of leaves", "Shallow colourful flowers", "Soft bark"], 1),
    ("How many minutes are in two hours?", ["60", "100", "120", "200"], 2),
    ("Which continent is the Sahara Desert on?", ["Asia", "Africa", "Australia", "South America"], 1),
    ("What is the job of the lungs?", ["To pump blood", "To take in oxygen and give out carbon dioxide", "To store food", "To make hormones"], 1),
    ("Which object would float in water?", ["A stone", "A steel bolt", "A dry piece of wood", "A glass marble"], 2),
    ("What tool would you use to see the Moon's craters more clearly?", ["Microscope", "Telescope", "Magnifying mirror", "Camera flash"], 1),
    ("What is the freezing point of water in degrees Celsius?", ["0", "10", "32", "100"], 0),
    ("Which word describes an animal that is active at night?", ["Nocturnal", "Diurnal", "Aquatic", "Migratory"], 0),
]
TEST = [
    ("Which gas do humans need to breathe in to stay alive?", ["Oxygen", "Carbon monoxide", "Helium", "Neon"], 0),
    ("What is the Earth's natural satellite?", ["The Sun", "The Moon", "Mars", "A comet"], 1),
    ("Why does ice float on water?", ["Ice is heavier", "Ice is less dense than liquid water because its molecules spread out as it freezes", "Water pushes it down", "Ice is warmer"], 1),
    ("How many sides does a hexagon have?", ["Five", "Six", "Seven", "Eight"], 1),
    ("Which of these animals is a reptile?", ["Snake", "Salmon", "Bat", "Penguin"], 0),
    ("What is 9 plus 6?", ["13", "14", "15", "16"], 2),
    ("Which part of the plant makes food using sunlight?", ["The roots", "The stem", "The leaves, where chlorophyll captures light", "The seeds"], 2),
    ("Which of these is the best conductor of electricity?", ["Rubber", "Copper", "Wood", "Glass"], 1),
    ("What do you call water falling from clouds?", ["Evaporation", "Precipitation", "Condensation", "Erosion"], 1),
    ("Why do we wear dark clothes to stay warm in the sun?", ["Dark clothes are thicker", "Dark colours absorb more of the sunlight that falls on them", "Dark clothes reflect heat", "They are heavier"], 1),
    ("Which planet is known as the Red Planet?", ["Jupiter", "Venus", "Mars", "Saturn"], 2),
    ("What is the largest organ of the human body?", ["The liver", "The skin", "The brain", "The heart"], 1),
    ("What happens to the volume of air in a balloon when it is heated?", ["It shrinks", "It expands as the air particles move faster and push outwards", "It stays the same", "It turns to water"], 1),
    ("What is the capital of Japan?", ["Osaka", "Kyoto", "Tokyo", "Nagoya"], 2),
    ("Which of these is a fossil fuel?", ["Sunlight", "Coal", "Wind", "Water"], 1),
    ("What is the main source of energy for the Earth's climate?", ["The Moon", "The Sun", "Volcanoes", "The ocean floor"], 1),
    ("Which simple machine is a ramp?", ["Lever", "Pulley", "Inclined plane", "Wheel"], 2),
    ("How many hours are in a day?", ["12", "24", "36", "48"], 1),
    ("Which animal is a herbivore?", ["Lion", "Cow", "Wolf", "Eagle"], 1),
    ("What helps keep soil from washing away in heavy rain?", ["Removing all plants", "Plant roots that hold the soil together", "Paving it", "Adding sand"], 1),
    ("What is the centre of an atom called?", ["Electron", "Nucleus", "Shell", "Orbit"], 1),
    ("Which of these is a solid?", ["Milk", "Steam", "A brick", "Juice"], 2),
    ("Why should you not look directly at the Sun?", ["It is too far away", "Its strong light can permanently damage the eyes", "It is rude", "It makes you sneeze"], 1),
    ("What do we call a scientist who studies rocks?", ["Biologist", "Geologist", "Astronomer", "Chemist"], 1),
    ("What is 100 divided by 4?", ["20", "25", "30", "40"], 1),
    ("Which of these animals migrates long distances each year?", ["Snail", "Arctic tern", "Earthworm", "Hamster"], 1),
    ("What causes the tides in the ocean?", ["Wind alone", "Mostly the pull of the Moon's gravity on the water", "Fish swimming", "Rain"], 1),
    ("Which of these objects uses electricity?", ["A pencil", "A lamp", "A spoon", "A book"], 1),
    ("What is the closest star to the Earth?", ["Sirius", "The Sun", "Polaris", "Vega"], 1),
    ("What do roots, stems and leaves have in common?", ["They are all flowers", "They are all parts of a plant", "They are all seeds", "They are all fruits"], 1),
    ("Which word means the path a planet takes around the Sun?", ["Axis", "Orbit", "Rotation", "Equator"], 1),
    ("What is produced when a candle burns?", ["Only light", "Heat, light, water vapour and carbon dioxide", "Ice", "Sand"], 1),
    ("How many continents are there on Earth?", ["Five", "Six", "Seven", "Eight"], 2),
    ("Which of these would dissolve in water?", ["Sand", "Sugar", "Pebbles", "Wood chips"], 1),
    ("What protects a turtle's body?", ["Feathers", "Its hard shell", "Fur", "Scales of a fish"], 1),
    ("What is the name of the young of a frog?", ["Calf", "Tadpole", "Cub", "Kid"], 1),
    ("Which of these is a push?", ["Opening a drawer toward you", "Kicking a ball away from you", "Lifting a bag", "Pulling a rope"], 1),
    ("What is the unit of electrical current?", ["Volt", "Ampere", "Watt", "Ohm"], 1),
    ("Which of these helps the body fight germs?", ["White blood cells", "Hair", "Nails", "Tears only"], 0),
    ("What is the state of matter of the air in a room?", ["Solid", "Liquid", "Gas", "Plasma"], 2),
]


def shuffled(rows: list[tuple[str, list[str], int]], prefix: str, rng: random.Random) -> list[dict]:
    """Each question with its choices in a random order and the answer's new index."""
    out = []
    for number, (question, choices, answer) in enumerate(rows, start=1):
        order = list(range(len(choices)))
        rng.shuffle(order)
        out.append({"id": f"{prefix}-{number:03d}", "question": question, "choices": [choices[i] for i in order],
                    "answer": order.index(answer)})
    return out


def write(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    for name, rows in (("train", TRAIN), ("test", TEST)):
        lines = [json.dumps(row, ensure_ascii=False) + "\n" for row in shuffled(rows, name, rng)]
        (out / f"{name}.jsonl").write_text("".join(lines), encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    write(parser.parse_args().out)
