"""Writes the bundled language-modeling sample (every paragraph below is written for benchhub): 60 train and 19 test
documents, every fourth paragraph to test. Running it again gives byte-identical files."""

import json
from pathlib import Path
docs = """The kettle clicked off just as the rain started. She poured the water over the leaves and watched the colour spread slowly through the cup.
A bicycle chain needs a drop of oil every few weeks. Too little and it squeaks; too much and it collects grit that wears the gears down.
The library opens at nine on weekdays and at ten on Saturdays. On Sundays the doors stay shut, but the book drop outside is always open.
Our street has three bakeries, and each one claims to make the best rye bread in town. The one on the corner sells out before noon.
When the tide goes out, the harbour turns into a field of mud and stranded boats. Gulls walk between the hulls looking for crabs.
He kept his grandfather's watch in a drawer and wound it every Sunday evening. It lost two minutes a week, which he found oddly comforting.
A good map shows what you need and leaves out the rest. The trick is deciding, before you draw anything, who will read it and why.
The train was late again, so the platform filled with people checking their phones. Nobody spoke, but everyone sighed at the same moment.
Tomatoes ripen faster in a paper bag with a banana. The banana gives off a gas that tells the fruit it is time to soften.
The museum's oldest clock still runs, though a volunteer has to climb a ladder each morning to lift its weights back up.
Learning to juggle starts with one ball. You throw it from hand to hand until the arc is the same every time, and only then add a second.
The village council met in the school hall to argue about parking. After two hours they agreed to meet again next month.
Snow fell all night and muffled the city. By morning the buses had stopped, and children were pulling sledges down the middle of the road.
A recipe is a promise that is easy to break. Ovens differ, flour differs, and the cook's patience differs most of all.
The old bridge was built of stone in the year the river flooded twice. A plaque on the east side gives the names of the masons.
Bees dance to tell each other where the flowers are. The angle of the dance points the way, and its length says how far to fly.
She wrote the shopping list on the back of an envelope and then left the envelope on the kitchen table.
The football pitch behind the school floods every spring. For a week the ducks use it more than the players do.
A compass needle points to magnetic north, which wanders a little every year. Sailors once kept tables to correct for it.
The hotel lift was so small that two guests and a suitcase filled it. Most people took the stairs and pretended they preferred them.
Every autumn the orchard holds an apple day. Visitors taste twenty kinds and usually go home with a bag of the first one they tried.
The radio in the workshop is always tuned to the same station. Nobody remembers choosing it, and nobody dares to change it.
Paint dries darker than it looks in the tin. Try a small patch on the wall and wait a day before buying ten litres of it.
The ferry crosses the lake four times a day in summer and twice in winter. In fog it sounds its horn every minute.
My neighbour grows sunflowers taller than his fence. In August their heads turn to follow the sun across the garden.
A spreadsheet can hold a budget, a timetable or a list of birthdays. It cannot make anyone stick to any of them.
The mountain hut has twelve beds, one stove and a logbook that climbers sign. Some entries go back forty years.
Bread rises because yeast eats sugar and breathes out gas. Salt slows the yeast down, which is why it matters when you add it.
The choir practises on Thursday nights in the church on the hill. On warm evenings the windows are open and the whole street hears them.
Lighthouses once burned oil, then gas, and now most run on electricity with no keeper at all.
The children built a dam across the stream with stones and sticks. By lunchtime the water had found a way around it.
An umbrella left on a train travels further than its owner ever meant to go. The lost property office keeps hundreds of them.
Fresh paint on a park bench is usually marked with a sign. The sign is usually noticed by the second person to sit down.
The market opens at dawn, when the fish arrive on ice and the flower sellers are still unloading their vans.
A sourdough starter is flour and water that has been fed for so long it has become a kind of pet.
The clock tower's bell rang thirteen times at one o'clock. The town talked about nothing else for a week.
Foxes have learned to live in cities. They sleep under sheds in the day and search the bins at night.
The piano in the hall is slightly out of tune, so every visiting player frowns at the first chord and then carries on.
A well-packed rucksack puts heavy things close to the back and light things at the top. Rain gear goes where it can be reached quickly.
The bus driver knew every passenger on the morning route by name, and waited for the ones who were running.
Maple trees turn red when the nights grow cold. The sugar trapped in the leaves makes the colour brighter.
The attic held boxes of letters, a broken lamp and a wedding dress wrapped in tissue paper.
Trains in the mountains climb with the help of a toothed rail. The engine pulls itself up the slope like a climber on a rope.
We planted a row of beans along the fence, and the slugs ate half of them before the first flowers appeared.
The café by the station serves breakfast all day. Its coffee is strong, its chairs are hard and its windows always steam up.
A river delta grows a little every year as the water drops the sand and silt it carried from the hills.
The new bookshop has a cat that sleeps in the window. Some customers come in to see the cat and leave with a novel.
Stars twinkle because the air above us moves. Astronauts above the atmosphere see them shine steadily.
The school play needed a castle, so the art class painted one on old bedsheets stretched over a wooden frame.
Ice on the pond was thick enough to walk on by January. The park keeper still put up signs telling everyone to keep off.
Wool keeps you warm even when it is damp. That is why fishermen wore thick jumpers long before anyone invented fleece.
The post office closed its counter at noon on Wednesdays, a habit nobody could explain but everyone respected.
A good knife is sharpened often and put away dry. A blunt knife is the one that slips and cuts a finger.
The harbour master keeps a chalkboard with the times of the tides. Fishermen check it before they check the weather.
Owls can turn their heads most of the way around because their eyes cannot move in their sockets.
The garden shed smelled of creosote, cut grass and the apples stored on a shelf for the winter.
Our town's first cinema had one screen and a piano player. Today the building is a supermarket with a painted ceiling.
The festival ended with fireworks over the water. Dogs all over town hid under beds until the last bang had faded.
Café, naïve, façade and résumé keep their accents in careful writing, though many people type them without.
The shop sign read Bäckerei Müller in gold letters, and the smell of fresh pretzels reached the end of the street.
Tea is grown on steep hillsides where the mist keeps the leaves cool. Pickers take only the top two leaves and a bud.
The last ferry of the evening waited ten minutes for a late group of hikers, who cheered when they reached the ramp.
A kite needs a steady wind and a little patience. Most kites crash the first time, and the second, and then suddenly fly.
The chemist on the high street has the same wooden drawers it had a century ago, each labelled in faded ink.
Swallows arrive in April and build their nests under the barn roof. By September they gather on the wires to leave.
The city's oldest tram line runs along the river. Tourists ride it for the view; commuters ride it because it is cheap.
Making jam is mostly waiting. The fruit and sugar boil, the kitchen fills with steam, and then a spoonful sets on a cold plate.
A snowman built in a sunny spot lasts a day. One in the shade of the house can last until the end of the month.
The orchestra tuned to the oboe's note, and for a moment the hall was filled with a single, wavering sound.
The allotment gate has a padlock with a code that every gardener knows and no one ever changes.
A lake freezes from the top down, which is lucky for the fish living in the water underneath.
The night bus took the long way round, past the hospital, the university and every closed shop on the ring road.
Old maps mark unknown seas with drawings of whales and serpents. Modern maps just leave them blue.
The bakery's first batch of croissants comes out at six. By seven the queue reaches the corner.
Moss grows on whichever side of a tree stays damp, which is not always north, whatever the old saying claims.
A ship's bell is rung every half hour on watch. Eight bells mean the watch is over and the next crew takes the deck.
The baker's daughter learned to shape loaves before she could read, and now she runs the shop herself.
Fog rolled in from the sea and swallowed the pier. Only the lamps at the end still glowed, small and yellow.
The tailor measured twice and cut once, as his master had taught him fifty years ago in the same narrow shop.
""".strip().split("\n")
assert len(docs) == 79, len(docs)
folder = str(Path(__file__).resolve().parent.parent / "src" / "benchhub" / "resources" / "language_modeling_sample")
test_positions = set(range(3, 79, 4))  # every fourth paragraph
train = [d for i, d in enumerate(docs) if i not in test_positions]
test = [d for i, d in enumerate(docs) if i in test_positions]
for name, rows, prefix in (("train", train, "tr"), ("test", test, "te")):
    with open(f"{folder}/{name}.jsonl", "w", encoding="utf-8") as f:
        for i, text in enumerate(rows):
            f.write(json.dumps({"id": f"{prefix}-{i:03d}", "text": text}, ensure_ascii=False) + "\n")
print(len(train), len(test))
