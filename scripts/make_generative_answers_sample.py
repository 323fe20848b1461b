"""Writes benchhub's generative-answers sample (src/benchhub/resources/generative_answers_sample/{train,test}.jsonl).

Every question here was written for benchhub; nothing is copied from SQuAD, TriviaQA, GSM8K or any other dataset.
An answer is a string, or a list of several acceptable answers. Eight test questions reword a train question on
purpose (marked "reworded" below), so the nearest-question baseline shows what memorising train answers buys.
Run it again to get byte-identical files.
"""

from __future__ import annotations

import json
from pathlib import Path

FOLDER = Path(__file__).resolve().parents[1] / "src" / "benchhub" / "resources" / "generative_answers_sample"

TRAIN = [
    ("What is the capital of France?", "Paris"),
    ("How many legs does a spider have?", "8"),
    ("What colour do you get by mixing blue and yellow paint?", "green"),
    ("Which planet is known as the Red Planet?", "Mars"),
    ("How many days are there in a leap year?", "366"),
    ("What gas do plants take in from the air to make food?", ["carbon dioxide", "CO2"]),
    ("Who wrote the play Romeo and Juliet?", ["William Shakespeare", "Shakespeare"]),
    ("What is the largest ocean on Earth?", ["the Pacific Ocean", "Pacific"]),
    ("Tom has 3 apples and buys 5 more. How many apples does he have now?", "8"),
    ("A box holds 12 eggs. How many eggs are in 4 boxes?", "48"),
    ("What is the freezing point of water in degrees Celsius?", "0"),
    ("How many minutes are in two hours?", "120"),
    ("What is the chemical symbol for gold?", "Au"),
    ("Which animal is the largest mammal?", ["the blue whale", "blue whale"]),
    ("What is 15 minus 7?", "8"),
    ("In which continent is Kenya?", "Africa"),
    ("What is the tallest mountain above sea level?", ["Mount Everest", "Everest"]),
    ("How many sides does a hexagon have?", "6"),
    ("Which instrument has black and white keys?", "the piano"),
    ("What do bees make?", "honey"),
    ("Sara reads 10 pages a day. How many pages does she read in a week?", "70"),
    ("A train travels 60 kilometres in one hour. How far does it travel in 3 hours?", ["180 kilometres", "180 km", "180"]),
    ("What is the boiling point of water at sea level in degrees Celsius?", "100"),
    ("Which language has the most native speakers?", ["Mandarin Chinese", "Mandarin"]),
    ("What is the capital of Japan?", "Tokyo"),
    ("How many continents are there?", "7"),
    ("What is the main ingredient of guacamole?", "avocado"),
    ("Which metal is liquid at room temperature?", "mercury"),
    ("What is half of 50?", "25"),
    ("Which bird is a symbol of peace?", ["the dove", "dove"]),
    ("What is the capital of Italy?", "Rome"),
    ("A shirt costs 20 dollars and is sold at half price. What does it cost?", ["10 dollars", "$10", "10"]),
    ("How many strings does a standard violin have?", "4"),
    ("Which organ pumps blood through the body?", "the heart"),
    ("What is the square root of 81?", "9"),
    ("Who painted the Mona Lisa?", "Leonardo da Vinci"),
    ("What is the hardest natural substance?", "diamond"),
    ("Mia has 24 sweets and shares them equally among 6 friends. How many does each friend get?", "4"),
    ("What is the capital of Spain?", "Madrid"),
    ("How many hours are in a day?", "24"),
    ("Which season comes after winter?", "spring"),
    ("What do caterpillars turn into?", ["butterflies", "a butterfly", "moths"]),
    ("Which country is home to the kangaroo?", "Australia"),
    ("What is 9 times 7?", "63"),
    ("How many wheels does a tricycle have?", "3"),
    ("Which is the longest river in Africa?", ["the Nile", "Nile"]),
    ("What is the smallest prime number?", "2"),
    ("A bus has 40 seats and 28 are taken. How many seats are free?", "12"),
    ("What is frozen water called?", "ice"),
    ("Which planet is closest to the Sun?", "Mercury"),
    ("What is the capital of Germany?", "Berlin"),
    ("How many players are on the field for one football (soccer) team?", "11"),
    ("Which vitamin does the skin make in sunlight?", ["vitamin D", "D"]),
    ("What is 100 divided by 4?", "25"),
    ("Which shape has three sides?", ["a triangle", "triangle"]),
    ("What is the opposite of hot?", "cold"),
    ("A farmer has 5 cows and each cow has 4 legs. How many cow legs are there?", "20"),
    ("What is the capital of Canada?", "Ottawa"),
    ("Which is the largest planet in the solar system?", "Jupiter"),
    ("How many months have 31 days?", "7"),
]

TEST = [
    ("What city is the capital of France?", "Paris"),  # reworded
    ("How many legs has a spider got?", "8"),  # reworded
    ("Which planet do people call the Red Planet?", "Mars"),  # reworded
    ("Who is the author of Romeo and Juliet?", ["William Shakespeare", "Shakespeare"]),  # reworded
    ("What is the chemical symbol of gold?", "Au"),  # reworded
    ("What is the capital city of Japan?", "Tokyo"),  # reworded
    ("How many sides has a hexagon?", "6"),  # reworded
    ("Which planet is nearest to the Sun?", "Mercury"),  # reworded
    ("What is the capital of Portugal?", "Lisbon"),
    ("How many legs does an insect have?", "6"),
    ("What colour do you get by mixing red and white paint?", "pink"),
    ("Which planet has the most famous rings?", "Saturn"),
    ("How many days are there in a week?", "7"),
    ("What gas do humans breathe out?", ["carbon dioxide", "CO2"]),
    ("Who wrote the novel Pride and Prejudice?", "Jane Austen"),
    ("What is the smallest ocean on Earth?", ["the Arctic Ocean", "Arctic"]),
    ("Ana has 7 pencils and gives away 2. How many pencils does she have left?", "5"),
    ("A pack holds 6 cans. How many cans are in 5 packs?", "30"),
    ("How many seconds are in one minute?", "60"),
    ("What is the chemical symbol for iron?", "Fe"),
    ("Which animal is known as the king of the jungle?", ["the lion", "lion"]),
    ("What is 20 minus 12?", "8"),
    ("In which continent is Brazil?", ["South America"]),
    ("How many sides does a pentagon have?", "5"),
    ("What do cows drink?", "water"),
    ("Leo walks 3 kilometres a day. How far does he walk in 5 days?", ["15 kilometres", "15 km", "15"]),
    ("What is the capital of Egypt?", "Cairo"),
    ("How many centimetres are in a metre?", "100"),
    ("Which gas makes up most of the air?", "nitrogen"),
    ("What is double 12?", "24"),
    ("Who painted the ceiling of the Sistine Chapel?", ["Michelangelo", "Michelangelo Buonarroti"]),
    ("A cake is cut into 8 equal slices and 3 are eaten. How many slices are left?", "5"),
    ("Which season comes after summer?", ["autumn", "fall"]),
    ("What is 6 times 8?", "48"),
    ("Which country is home to the giant panda?", "China"),
    ("Which is the largest country by area?", "Russia"),
    ("How many hours are in two days?", "48"),
    ("What is the opposite of up?", "down"),
    ("What is the capital of Kenya?", "Nairobi"),
    ("Which is the smallest planet in the solar system?", "Mercury"),
]


def write(name: str, rows: list[tuple[str, object]], prefix: str) -> None:
    lines = [json.dumps({"id": f"{prefix}{i:03d}", "question": q, "answer": a}, ensure_ascii=False)
             for i, (q, a) in enumerate(rows, start=1)]
    (FOLDER / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    FOLDER.mkdir(parents=True, exist_ok=True)
    write("train", TRAIN, "g")
    write("test", TEST, "t")
