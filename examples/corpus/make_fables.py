#!/usr/bin/env python3
"""Generate a synthetic corpus of short, simple children's fables.

All text is built from the word lists and sentence templates in this file, so
the corpus is our own work. Output is byte-identical for a given seed (only
random.Random with integer seeds and ordered lists are used).

    python3 examples/corpus/make_fables.py --seed 0 --stories 800 --out examples/corpus/fables.txt
"""
import argparse
import random
import sys


def bar(s):
    """Split a '|'-separated list into clean entries."""
    return [w.strip() for w in s.split("|") if w.strip()]


# --- Word lists -------------------------------------------------------------

FEMALE = """Mia Lily Rosa Nora Ella Ava Ruby Hazel Ivy Luna Daisy Poppy Willow Clara Greta
Hana Amara Zara Leah Maya Sofia Nina Tess Iris Olive Pearl June Mabel Fern Wren Holly Lucy
Emma Anna Bella Cora Dora Edie Faye Gwen Helen Ida Jade Kira Lola Molly Nell Opal Penny Rita
Sara Tara Uma Vera Wanda Yara Zoe Alma Beth Celia Dina Elsa Flora Gina Hilda Ines Jenny Kate
Lena Mira Nadia Olga Paula Rina Sadie Tilly Una Viola Winnie Amy Bea Cleo Dot Eva Freya Gemma
Heidi Isla Josie Kitty Lara Meg Nia Orla Pia Rosie Suki Tina Elena Fatima Priya Aisha Mei Yuki
Leila Noor""".split()
MALE = """Tom Sam Max Leo Ben Jack Oscar Felix Hugo Otto Milo Finn Theo Jasper Arlo Rufus Toby
Ollie Henry Louis Noah Ezra Eli Omar Ravi Kai Ivan Pablo Mateo Hassan Kofi Bruno Carl Dan Eddie
Fred Gus Hank Ian Joe Ken Luke Marco Ned Owen Pete Ray Seth Ted Vic Walt Zack Abel Bert Cody Dean
Emil Frank George Harry Isaac Jonah Kurt Lars Mick Nate Paul Rex Stan Tim Vince Wes Yusuf Amir
Basil Cyrus Dev Enzo Fritz Gabe Hiro Igor Jin Karl Liam Moe Nico Pip Remy Sol Tariq Ulf Wilbur
Yoshi Alf Barney Chester Digby Ernie""".split()
ANIMALS = """fox rabbit owl bear mouse squirrel hedgehog badger deer wolf duck goose hen frog
turtle beaver otter crow sparrow robin goat sheep cow pig horse donkey cat dog lamb lion tiger
elephant giraffe monkey zebra hippo ant bee snail mole raccoon moose penguin camel parrot
kangaroo koala panda lizard bat swan beetle ladybird rat chipmunk pony""".split()
FAST = "hare rabbit horse deer dog fox pony cheetah squirrel kangaroo".split()
SLOW = "turtle tortoise snail slug sloth hedgehog caterpillar beetle".split()
BIG = "lion bear elephant tiger moose hippo giraffe horse camel wolf rhino buffalo".split()
SMALL = "mouse ant bee sparrow ladybird beetle chipmunk frog robin lizard mole cricket".split()
PEOPLE = """farmer baker shepherd tailor potter miller weaver woodcutter painter teacher doctor
builder sailor gardener cook fisher carpenter blacksmith beekeeper musician""".split()
GENDERED = [("girl", "boy"), ("queen", "king"), ("princess", "prince")]
ADJS = """little young old small big clever kind shy brave busy curious cheerful gentle quiet
friendly careful playful wise happy tiny quick sleepy hungry merry bright polite jolly""".split()

PLACE_ADJ = "green quiet sunny misty windy snowy busy peaceful faraway hidden sleepy pretty lonely rocky".split()
PLACE_NOUN = "valley forest village meadow town wood glen kingdom land city swamp".split()  # all fit "in a ..."
HOUSES = bar("small house|little cottage|cozy burrow|snug nest|warm den|tiny hut|round hole|"
             "straw hut|wooden cabin|stone house|red tent|yellow cottage")
HOME_LOCS = bar("by the river|under a big oak tree|near the old mill|at the top of a hill|"
                "beside a little pond|behind the red barn|next to the school|at the end of a long lane|"
                "under the roots of a pine tree|near the edge of the wood|by the stone bridge|"
                "in the middle of a field|close to the market|on the bank of a stream")
HOBBIES = bar("play in the grass|sing songs|read books|pick flowers|watch the clouds|look at the stars|"
              "run by the river|collect shiny stones|climb the hills|play games with friends|"
              "bake little cakes|tell stories|draw pictures|dig in the garden|splash in puddles|"
              "count the birds|take long walks|nap in the sun|fly kites|paint fences|build sand castles|"
              "play the drum|feed the ducks|sweep the porch|hum little tunes|jump over logs")
COLORS = "red blue green yellow orange purple pink white black brown silver golden gray striped spotted".split()
OBJECTS = """ball kite hat scarf key bell flute drum basket cup spoon book map lantern ring shell
button boot mitten ribbon feather marble whistle brush bucket blanket coat umbrella box jar kettle
wagon sled bag necklace clock compass pencil candle bowl comb shovel rope net crown mirror pillow
sock glove teapot toy boat""".split()
BREAKABLES = bar("vase|cup|bowl|jar|lamp|teapot|plate|mirror|clock|flower pot|window")
FOODS = """apples berries nuts seeds carrots plums pears acorns mushrooms cherries grapes beans peas
pumpkins turnips figs melons potatoes cakes pies cookies eggs walnuts peaches oranges tomatoes
muffins biscuits radishes strawberries blueberries chestnuts hazelnuts buns""".split()
SPOTS = bar("the big rock|the old log|the apple tree|the wooden bench|the tall grass|the garden gate|"
            "the woodpile|the flower pots|the bushes|the stone wall|the little bridge|the red barn|"
            "the haystack|the kitchen table|the front steps|the pile of leaves|the old well|the fence|"
            "the bed|the big basket|the rain barrel|the pine tree|the cart|the doormat")
TIMES = bar("One day|One morning|One sunny morning|Early one morning|One afternoon|Late one afternoon|"
            "One evening|One cold morning|One warm spring day|One bright summer morning|"
            "One windy autumn day|One snowy morning|On a rainy day|One quiet evening|The next day")
DESTS = bar("the town by the sea|the top of the tall hill|the village across the valley|the big city|"
            "the old castle|the market in the next town|the great lake|the lighthouse on the cliff|"
            "the farm on the other side of the hills|the meadow beyond the river|the edge of the sea|"
            "the little island in the bay|the old windmill|the mountain village|the royal garden")
REASONS = bar("see {A.his} grandmother|visit {A.his} cousin|bring some {food} to {A.his} aunt|"
              "see the big spring fair|watch the boats come in|see the lanterns at the festival|"
              "buy a new {objn}|hear the famous singers|see the first snow of the year|"
              "find the sweetest {food} in the land|meet {A.his} old friend|see the sun rise over the water")
OBSTACLES = [  # (noun, what goes wrong, how the helper fixes it)
    ("wide river", "The water was deep and fast, and {A} could not get across.",
     "{B} showed {A} a row of flat stones, and they hopped across the river one by one."),
    ("tall wall of rocks", "It was much too high for {A} to climb.",
     "{B} knew a secret path around the rocks, and {B.he} showed it to {A}."),
    ("dark thick forest", "There were many paths, and {A} did not know which way to go.",
     "{B} knew every tree in the forest, and {B.he} led {A} down the right path."),
    ("big fallen tree", "It lay across the road, and {A} could not move it alone.",
     "{B} pushed with {A}, and together they rolled the tree off the road."),
    ("deep muddy swamp", "{A.His} feet sank into the mud with every step.",
     "{B} found some long sticks, and they made a little path across the mud."),
    ("locked gate", "{A} pushed and pulled, but the gate would not open.",
     "{B} had the key in {B.his} pocket, and {B.he} opened the gate with a smile."),
    ("cold white fog", "{A} could not see the road at all.",
     "{B} lit a little lantern, and they walked through the fog side by side."),
    ("steep snowy hill", "{A} kept slipping and sliding back to the bottom.",
     "{B} brought a long rope, and {B.he} helped {A} climb up step by step."),
    ("broken bridge", "There was a big hole in the middle, and {A} could not cross.",
     "{B} brought some boards, and they fixed the bridge together."),
]
THINGS = bar("little house|bridge|raft|tree house|fence|tower|wall|boat|cart|swing|shed|hut|bench|playhouse")
MATERIALS = "sticks stones logs boards bricks branches planks".split()
SKILLS = bar("swim|sing|dance|climb trees|read|whistle|skate on the ice|jump very high|bake bread|"
             "catch fish|play the drum|play the flute|paint pictures|ride a bike|swing on a rope|"
             "count to one hundred|tie knots|row a boat|make pots out of clay|skip stones|knit scarves|juggle")
FEARS = [  # (fear, how it shows, event that needs courage, what A finds out)
    ("the dark", "When the sun went down, {A.he} stayed inside and would not go out.",
     "One night, {C} the {C.kind} did not come home, and someone had to go into the dark wood to find {C.him}.",
     "In the dark, {A} saw the stars and the soft light of the moon. The night was not scary at all."),
    ("thunder", "When a storm came, {A.he} hid under {A.his} blanket and shook.",
     "One stormy evening, {C} the {C.kind} was caught outside in the rain and could not find the way home.",
     "The thunder was loud, but it could not hurt {A.him}. It was only a big noise in the sky."),
    ("high places", "{A.He} never climbed anything taller than a chair.",
     "One day, {C} the {C.kind} climbed a tall tree and was too scared to come down.",
     "{A} climbed slowly, one branch at a time. From the top, {A.he} could see the whole {placen}."),
    ("the old cave", "{A.He} always walked the long way around so {A.he} would not pass it.",
     "One day, {C} the {C.kind} went into the old cave and did not come out.",
     "Inside, the cave was quiet and cool. There were no monsters at all, only a few sleepy bats."),
    ("deep water", "{A.He} never went near the lake, not even on hot days.",
     "One day, {C} the {C.kind} fell out of a little boat and could not reach the shore.",
     "The water was cool and calm. {A} kicked {A.his} legs and found that {A.he} could float."),
]
TRAPS = bar("a thorny bush|a deep hole|an old fishing net|a pile of snow|a muddy ditch|a spider web|"
            "a sticky pot of honey|a crack in the wall")
TROUBLES = [  # (trouble for A, how the small friend B helps)
    ("{A} got caught in a big net.", "{B} bit through the ropes one by one until {A} was free."),
    ("{A} fell into a deep pit and could not climb out.",
     "{B} ran to get help, and soon all of {B.his} friends came with a long rope to pull {A} out."),
    ("{A} got lost in a thick fog.", "{B} called out again and again, and {A} followed {B.his} voice all the way home."),
    ("a thorn got stuck in {A.his} foot.", "{B} climbed onto {A.his} foot and pulled the thorn out very gently."),
    ("{A} was locked in the old barn.", "{B} slipped under the door, found the key and opened the lock."),
]
PLANTS = [("sunflower", "a tall yellow sunflower"), ("pumpkin", "a big orange pumpkin"),
          ("apple", "a little apple tree full of red apples"), ("bean", "a bean plant that climbed up the fence"),
          ("tomato", "a plant full of round red tomatoes"), ("rose", "a bush covered in pink roses"),
          ("melon", "a fat green melon"), ("cherry", "a young cherry tree with sweet cherries"),
          ("strawberry", "a patch of juicy strawberries"), ("tulip", "a row of bright tulips")]
MORALS = {
    "lost": bar("Friends help each other when times are hard.|It is good to ask for help when you need it.|"
                "A true friend is worth more than gold.|Two friends can do more than one alone."),
    "journey": bar("Friends can do together what no one can do alone.|Help often comes when we least expect it.|"
                   "A long road is shorter with a friend.|Every problem has an answer if we look for it."),
    "build": bar("Many hands make light work.|Hard jobs become easy when we work together.|"
                 "Friends who work together can build great things."),
    "learn": bar("Practice makes us better every day.|If you keep trying, you will get better.|"
                 "Mistakes are how we learn.|It is never too late to learn something new."),
    "share": bar("Sharing makes everyone happier.|Those who share are never alone.|"
                 "A kind heart is better than a full basket.|What we give to others comes back to us."),
    "race": bar("Slow and steady wins the race.|Being proud will not win the race, but hard work will.|"
                "It is unwise to laugh at others.|Those who keep going will reach the end."),
    "fear": bar("Being brave does not mean you are never afraid.|Things are less scary when a friend is near.|"
                "Most fears grow smaller when we face them."),
    "honest": bar("It is always best to tell the truth.|Telling the truth makes friends trust you.|"
                  "Honesty is braver than hiding."),
    "kind": bar("No act of kindness is ever wasted.|Even a small friend can be a big help.|"
                "A kindness given is a kindness returned."),
    "patience": bar("Good things come to those who wait.|Patience brings the sweetest rewards.|"
                    "Things that grow slowly are worth the wait."),
}


# --- Characters and story building -------------------------------------------

def article(phrase):
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


class Char:
    """A story character; name, kind and pronouns stay fixed for a whole story."""

    def __init__(self, name, kind, female, adj):
        self.name, self.kind, self.adj = name, kind, adj
        self.he, self.him, self.his, self.self = (
            ("she", "her", "her", "herself") if female else ("he", "him", "his", "himself"))
        self.He, self.His = self.he.capitalize(), self.his.capitalize()
        self.akind = article(kind)

    @property
    def adesc(self):  # "a clever fox"
        return article(self.adj + " " + self.kind)

    def __str__(self):
        return self.name


def make_char(rng, others, kinds=None):
    """Pick a character whose name and kind differ from those in `others`."""
    female = rng.random() < 0.5
    names = [n for n in (FEMALE if female else MALE) if n not in [o.name for o in others]]
    taken = [o.kind for o in others]
    if kinds is None and rng.random() < 0.3:  # a person
        if rng.random() < 0.5:
            kinds = [p[0] if female else p[1] for p in GENDERED]
        else:
            kinds = PEOPLE
    kinds = [k for k in (kinds or ANIMALS) if k not in taken]
    return Char(rng.choice(names), rng.choice(kinds), female, rng.choice(ADJS))


class Story:
    """Collects sentences into paragraphs; templates are filled from `ctx`."""

    def __init__(self, rng, **ctx):
        self.rng, self.ctx, self.paras = rng, ctx, [[]]

    def fmt(self, template):
        return template.format(**self.ctx)

    def say(self, *alternatives):
        s = self.fmt(self.rng.choice(alternatives))
        i = 1 if s[0] == '"' else 0  # capitalize the sentence start, even inside a quote
        self.paras[-1].append(s[:i] + s[i].upper() + s[i + 1:])

    def para(self):
        self.paras.append([])

    def text(self):
        return "\n".join(" ".join(p) for p in self.paras if p)


def intro(st, friend=True):
    st.say("Once upon a time, in {place}, there lived {A.adesc} named {A}.",
           "There was once {A.adesc} called {A} who lived in {place}.",
           "Long ago, in {place}, there lived {A.adesc} named {A}.",
           "In {place}, there lived {A.adesc} called {A}.",
           "{A} was {A.adesc} who lived in {place}.")
    st.say("{A.He} lived in {home}.", "{A.His} home was {home}.", "{A.He} had a home in {home}.")
    st.say("{A.He} liked to {hobby}.", "Every day, {A.he} liked to {hobby} and {hobby2}.",
           "{A.He} loved to {hobby} more than anything.", "Most days, {A.he} would {hobby} or {hobby2}.")
    if friend and st.rng.random() < 0.25:
        st.say("{A.His} best friend was {B.adesc} named {B}.")
    st.para()


def ending(st, arc):
    m = st.rng.choice(MORALS[arc])
    st.ctx.update(moral=m, moral_lc=m[0].lower() + m[1:])
    st.para()
    st.say("The moral of the story is: {moral}", "The moral of this story is that {moral_lc}",
           "And so {A} learned that {moral_lc}", "That is how {A} learned that {moral_lc}",
           "{A} never forgot that day, because {A.he} had learned that {moral_lc}")


# --- Story arcs ----------------------------------------------------------------

def arc_lost(st):
    intro(st)
    st.say("{A} had {aobj} that {A.he} loved very much.", "{A.His} favorite thing in the whole world was {A.his} {obj}.",
           "{A} took {A.his} {obj} with {A.him} everywhere {A.he} went.")
    st.say("{time}, {A} went to get {A.his} {obj}, but it was gone!", "But {time_lc}, the {obj} was not in its place.",
           "{time}, {A} could not find {A.his} {obj} anywhere.")
    st.say("{A.He} looked under {s1}, behind {s2} and next to {s3}.", "{A.He} looked near {s1} and around {s2}, but {A.he} found nothing.")
    st.say("{A} felt very sad.", '"Oh no," cried {A}. "Where can it be?"', "{A.He} sat down and began to cry.")
    st.para()
    st.say("Just then, {B} the {B.kind} came by.", "Soon {B} the {B.kind} walked past.", "{B} the {B.kind} heard {A.him} and came over.")
    st.say('"What is wrong, {A}?" asked {B}.', '"Why are you so sad?" asked {B}.', '"Hello, {A}," said {B}. "Why do you look so sad?"')
    st.say('"I lost my {obj}," said {A}. "I looked everywhere, but I cannot find it."', '"My {obj} is gone," said {A}. "I do not know where it is."')
    st.say('"Do not worry," said {B}. "I will help you look."', '"Let us look together," said {B}. "Two pairs of eyes are better than one."',
           '{B} smiled and said, "I am good at finding things. I will help you."')
    st.say("So {A} and {B} looked together.", "The two friends looked high and low.")
    st.say("They looked by {s4} and under {s5}.", "They walked all around the {placen}.")
    st.say("At last, {B} saw something {color} under {s6}.", "Then {B} spotted something {color} near {s6}.")
    st.say('"Look!" shouted {B}. "There it is!"', "It was the {obj}!")
    st.para()
    st.say("{A} was so happy that {A.he} jumped for joy.", "{A} picked up {A.his} {obj} and smiled a big smile.")
    st.say('"Thank you, {B}," said {A}. "You are a true friend."', '{A} hugged {B} and said, "I could not have found it without you."')
    st.say("From that day on, {A} and {B} were the best of friends.", "After that, {A} always helped others when they lost something.")


def arc_journey(st):
    noun, problem, fix = st.rng.choice(OBSTACLES)
    st.ctx.update(obsn=noun, reason=st.fmt(st.rng.choice(REASONS)))
    intro(st)
    st.say("{A} wanted to go to {dest} to {reason}.", "{time}, {A} decided to go to {dest} to {reason}.",
           "More than anything, {A} wanted to travel to {dest} to {reason}.")
    st.say("{A.He} packed some {food} in a bag and set off.", "So {A.he} said goodbye to {A.his} family and started walking.",
           "{A.He} put on {A.his} {color} hat and began the long walk.")
    st.say("The road was long, but {A} walked on and on.", "{A.He} walked past fields and farms and little streams.")
    st.say("Soon {A} came to a {obsn}.", "After a while, {A.he} came to a {obsn}.")
    st.say(problem)
    st.say('"What will I do now?" said {A} sadly.', "{A} sat down on a stone and sighed.", '"I will never get to {dest}," {A.he} said.')
    st.para()
    st.say("Just then, {B} the {B.kind} came along.", "Just then, {B} the {B.kind} came walking down the road.")
    st.say('"Where are you going, {A}?" asked {B}.', '"Hello there," said {B}. "Where are you going?"')
    st.say('"I am going to {dest}," said {A}. "But I cannot get past this {obsn}."')
    st.say('"I can help you," said {B}.', '"Do not worry," said {B}. "I know what to do."')
    st.say(fix)
    st.para()
    st.say("At last, {A} reached {dest}.", "By evening, {A} arrived at {dest}.")
    st.say("It was even better than {A.he} had dreamed.", "{A.He} was tired, but {A.he} was very happy.")
    st.say('{A} turned to {B} and said, "Thank you. I could never have come this far alone."', "{A} thanked {B} again and again.")


def arc_build(st):
    intro(st)
    st.say("{time}, {A} decided to build a {thing}.", "{A} wanted to build a {thing} more than anything.",
           "{A} had a big plan. {A.He} wanted to build a {thing}.")
    st.say("{A.He} gathered {mat} from all over the {placen}.", "{A.He} went out to find {mat}.")
    st.say("{A.He} worked all day, but the {thing} kept falling down.", "The {mat} were too heavy for {A.him} to lift alone.",
           "Every time {A.he} put one piece on top, another piece fell off.")
    st.say('"I cannot do this by myself," {A.he} said with a sigh.', "{A} sat down and felt like giving up.")
    st.para()
    st.say("Then {B} the {B.kind} and {C} the {C.kind} came by.", "Soon {B} the {B.kind} and {C} the {C.kind} walked past and saw {A.him}.")
    st.say('"Can we help?" asked {C}.', '"Why are you so sad, {A}?" asked {B}.')
    st.say('"I want to build a {thing}," said {A}. "But it is too hard for one."', '"My {thing} keeps falling down," said {A}.')
    st.say('"Then let us build it together," said {B}.', '"We will help you," said {C}. "Many hands make light work."')
    st.say("{B} carried the heavy {mat}.", "{B} was strong, so {B.he} carried the biggest {mat}.")
    st.say("{C} held them in place, and {A} put everything together.", "{C} handed the {mat} to {A}, and {A} put each one in its place.")
    st.say("They worked and sang, and the work went fast.", "They laughed and talked while they worked.")
    st.para()
    st.say("By evening, the {thing} was finished.", "Before the sun went down, the {thing} was done.")
    st.say("It was big and strong, and everyone loved it.", "It was the finest {thing} in all of the {placen}.")
    st.say("{A} shared some {food} with {A.his} friends to say thank you.", '"Thank you both," said {A}. "We did it together."')


def arc_learn(st):
    intro(st)
    st.say("{A} wanted to learn to {skill}.", "More than anything, {A} wished {A.he} could {skill}.")
    st.say("All of {A.his} friends could {skill}, but {A} could not.", "{A.He} tried and tried, but {A.he} kept making mistakes.",
           "{A.He} tried every day, but it was very hard.")
    st.say('{C} the {C.kind} laughed and said, "You will never learn to {skill}!"', "{C} the {C.kind} laughed at {A.him}.")
    st.say("{A} felt like giving up.", '"Maybe I am not good at anything," {A} said sadly.')
    st.para()
    st.say("That evening, {B} the {B.kind}, who was old and wise, sat down beside {A.him}.", "Then {B} the {B.kind} came to talk to {A.him}.")
    st.say('"Everyone makes mistakes when they start," said {B}.', '"Nobody can do it well on the first day," said {B}.')
    st.say('"Try a little every day, and do not give up."', '"If you practice a little every day, you will get better."')
    st.say("So {A} practiced every day.", "{A} listened and nodded.")
    st.say("{A.He} practiced in the morning, and {A.he} practiced in the evening.", "{A.He} practiced on sunny days and on rainy days.")
    st.say("Each day, {A.he} got a little better.", "Slowly, {A.he} made fewer mistakes.")
    st.para()
    st.say("At the summer fair, {A} showed everyone how well {A.he} could {skill}.", "One day, {A} could {skill} better than anyone in the {placen}.")
    st.say("Even {C} clapped and cheered.", "Everyone cheered, and {C} said sorry for laughing.")
    st.say('"Thank you, {B}," said {A}. "You helped me believe in myself."', "{A} smiled at {B}, and {B} smiled back.")


def arc_share(st):
    st.ctx["A"].adj = st.rng.choice(["greedy", "selfish"])
    intro(st)
    st.say("All summer long, {A} gathered {food}.", "Every day, {A} picked {food} and carried them home.")
    st.say("Soon {A.he} had more {food} than {A.he} could ever eat.", "{A.His} home was full of {food}, from the floor to the roof.")
    st.say("{time}, {B} the {B.kind} came to {A.his} door.", "One day, {B} the {B.kind} asked {A} for a few {food}.")
    st.say('"I am hungry," said {B}. "May I have a few {food}, please?"', '"Could you spare some {food}?" asked {B}.')
    st.say('"No!" said {A}. "These are all mine."', '"Go away," said {A}. "I will not share."')
    st.say("{B} walked away sadly.", "{B} went home with an empty basket.")
    st.para()
    st.say("Then winter came.", "Soon the cold winter came.")
    st.say("One night, a big storm blew into the {placen}, and water ran into {A.his} home.", "One night, the wind blew open {A.his} door.")
    st.say("All of {A.his} {food} were washed away.", "By morning, all of {A.his} {food} were gone.")
    st.say("{A} was cold and hungry, and {A.he} had nothing to eat.", "Now {A} had nothing left at all.")
    st.say("{A.He} walked through the snow and knocked on {B}'s door.", "With nowhere else to go, {A.he} went to {B}'s house.")
    st.say('"I am sorry I did not share with you," said {A}. "Now I have nothing."', '"I was selfish," said {A}. "I am sorry, {B}."')
    st.say('{B} opened the door wide. "Come in," {B.he} said. "I do not have much, but we can share it."')
    st.say("They sat by the fire and ate {food2} together.", "That night, they shared a warm supper of {food2}.")
    st.para()
    st.say("When spring came, {A} gathered {food} again.", "When the snow melted, {A} went out to pick {food} again.")
    st.say("This time, {A.he} shared them with everyone in the {placen}.", "This time, {A.he} gave the first basket to {B}.")


def arc_race(st):
    st.ctx["A"].adj, st.ctx["B"].adj = "proud", st.rng.choice(["slow", "quiet", "patient", "humble"])
    st.ctx["s1"], st.ctx["s2"] = st.rng.sample(bar("the old oak tree|the big rock|the little bridge|the red barn|"
                                                 "the stone wall|the old well|the garden gate|the pond|the windmill"), 2)
    intro(st)
    st.say("{A} was very proud of how fast {A.he} could run.", "{A} was the fastest runner in the {placen}, and {A.he} knew it.")
    st.say('"No one can beat me," {A.he} told everyone.', '"I am the fastest of all," {A.he} said every day.')
    st.say("{time}, {A} saw {B} the {B.kind} walking slowly along the road.", "One day, {A} met {B} the {B.kind} on the path.")
    st.say('"You are so slow, {B}," laughed {A}. "You could never win a race."', '{A} laughed and said, "Look at you, {B}! You are the slowest in the land."')
    st.say('"Let us have a race, then," said {B} quietly.', '"Maybe I am slow," said {B}, "but I will race you."')
    st.para()
    st.say("All the neighbors came to watch.", "Everyone in the {placen} came to watch the race.")
    st.say('{C} the {C.kind} called out, "The race will go from {s1} to {s2}. Ready, set, go!"')
    st.say("{A} ran off very fast, and soon {B} was far behind.", "{A} dashed away, and {B} began to walk slowly.")
    st.say("{A} was so sure that {A.he} would win that {A.he} {distraction}.")
    st.say("{B} walked on and on. {B.He} did not stop, not even once.", "Step by step, {B} kept going.")
    st.para()
    st.say("When {A} looked up, {B} was almost at the finish.", "After a long time, {A} looked back and saw {B} near the finish.")
    st.say("{A} ran as fast as {A.he} could, but it was too late.", "{A} raced toward {s2}, but {A.he} could not catch up.")
    st.say("{B} had won the race!", "{B} crossed the line first!")
    st.say("Everyone cheered for {B}.", "The crowd clapped and cheered for {B}.")
    st.say('{A} felt ashamed. "I am sorry I laughed at you," {A.he} said.', '"You won, {B}," said {A}. "I should not have laughed at you."')
    st.say('"That is all right," said {B}. "Let us be friends."', "{B} smiled, and they walked home together.")


def arc_fear(st):
    fear, shows, event, found = st.rng.choice(FEARS)
    st.ctx["fear"] = fear
    intro(st)
    st.say("But {A} had a secret. {A.He} was afraid of {fear}.", "{A} was brave about many things, but {A.he} was afraid of {fear}.")
    st.say(shows)
    st.say(event)
    st.say("Everyone was worried about {C}.", '"Who will help {C}?" everyone asked.')
    st.say("{A} wanted to help, but {A.his} knees were shaking.", "{A} wanted to help, but {A.he} was so scared.")
    st.para()
    st.say("{B} the {B.kind} came and stood next to {A}.", "Then {A.his} friend {B} the {B.kind} stood close to {A.him}.")
    st.say('"I am afraid too," said {B}. "But we can go together."', '"Being brave does not mean you are not scared," said {B}.')
    st.say("{A} took a deep breath and said, \"All right. Let us go.\"", "{A} nodded, and the two of them set off.")
    st.say(found)
    st.say("Soon they found {C} and brought {C.him} home safe and sound.", "At last they found {C}, and {C.he} was safe.")
    st.para()
    st.say("Everyone cheered for {A} and {B}.", '"Thank you, {A}," said {C}. "You were very brave."')
    st.say("After that day, {A} was not so afraid of {fear} anymore.", "From then on, {fear} did not scare {A} so much.")


def arc_honest(st):
    intro(st)
    st.say("{time}, {A} was playing with a ball at {B}'s house.", "{time}, {A} went to visit {B} the {B.kind}.")
    st.say("{A} threw a ball too hard, and it hit {B}'s {color} {brk}.", "{A} ran too fast and bumped into {B}'s {color} {brk}.")
    st.say("Crash! The {brk} broke into many pieces.", "The {brk} fell to the floor and broke.")
    st.say("{A} was scared. {A.He} hid the pieces behind {s1} and ran home.", "{A} did not want to be in trouble, so {A.he} hid the pieces and said nothing.")
    st.para()
    st.say("When {B} saw the broken {brk}, {B.he} was very sad.", "Later, {B} found the pieces of {B.his} {brk}.")
    st.say('"Who broke my {brk}?" {B.he} asked.', '"My {brk} is broken," said {B}. "Who did this?"')
    st.say('{C} the {C.kind} said, "Maybe the wind knocked it over."', "Nobody said a word.")
    st.say("That night, {A} could not sleep.", "{A} tried to forget about it, but {A.he} could not.")
    st.say("{A.He} felt a heavy feeling inside.", "{A.He} kept thinking about {B}'s sad face.")
    st.para()
    st.say("The next morning, {A} went to see {B}.", "In the morning, {A} walked back to {B}'s house.")
    st.say('"{B}, I broke your {brk}," said {A}. "I am very sorry. I was scared, so I hid it."')
    st.say("{B} was quiet for a moment. Then {B.he} smiled.", "{B} looked at {A} for a long time. Then {B.he} gave {A.him} a hug.")
    st.say('"Thank you for telling me the truth," said {B}. "A {brk} can be fixed, but trust is hard to fix."',
           '"I am glad you told me," said {B}. "The truth is worth more than any {brk}."')
    st.say("Together, they glued the pieces back together.", "{A} helped {B} make a new {brk}, and it was even prettier than the old one.")


def arc_kind(st):
    trouble, rescue = st.rng.choice(TROUBLES)
    st.ctx["B"].adj = st.rng.choice(["tiny", "little", "small"])
    intro(st, friend=False)
    st.say("{time}, {A} found {B.adesc} named {B} stuck in {trap}.", "{time}, {A} heard a small voice. It was {B}, {B.adesc}, stuck in {trap}.")
    st.say('"Please help me," cried {B}.', '"Help! I cannot get out," called {B}.')
    st.say("{A} stopped and gently helped {B} out.", "{A} was busy, but {A.he} stopped and set {B} free.")
    st.say('"Thank you," said {B}. "One day I will help you too."')
    st.say("{A} smiled. {A.He} did not think that someone so small could ever help {A.him}.", '{A} laughed kindly. "You are so small," {A.he} said. "But thank you."')
    st.para()
    st.say("Many days later, " + trouble, "Some weeks later, " + trouble)
    st.say('"Help!" cried {A}. "Is anyone there?"', "{A} called and called, but no one came.")
    st.say("Then {B} heard {A.him}.", "Just then, {B} came by.")
    st.say(rescue)
    st.para()
    st.say('"You saved me, {B}," said {A}.', "{A} could hardly believe it.")
    st.say('"You helped me once," said {B}, "so now I have helped you."', '{B} smiled and said, "I told you I would help you one day."')
    st.say("From that day on, {A} and {B} were good friends.", "After that, {A} never laughed at small creatures again.")


def arc_patience(st):
    seed, grown = st.rng.choice(PLANTS)
    st.ctx.update(seed=seed, aseed=article(seed), grown=grown)
    intro(st)
    st.say("{time}, {A} planted a little {seed} seed in {A.his} garden.", "{time}, {B} the {B.kind} gave {A} {aseed} seed, and {A} planted it.")
    st.say("Every morning, {A.he} ran outside to look, but nothing grew.", "The next day, {A.he} looked at the dirt, but there was nothing there.")
    st.say('"Grow faster!" {A.he} said to the seed.', '"Why is it so slow?" {A} asked.')
    st.say("{A.He} poured a whole bucket of water on it, but that did not help.", "{A.He} even dug it up to look at it, and then {A.he} had to plant it again.")
    st.para()
    st.say("{B} the {B.kind} saw what {A} was doing.", "{B} the {B.kind} came to visit and saw {A} frowning at the dirt.")
    st.say('"Good things take time," said {B}. "Give it a little water, some sun, and wait."', '"A seed cannot hurry," said {B}. "You must be patient."')
    st.say("So {A} waited.", "{A} decided to try.")
    st.say("{A.He} gave the seed a little water every day.", "Each morning, {A.he} watered the ground and pulled the weeds.")
    st.say("Days turned into weeks.", "The sun shone and the rain fell.")
    st.say("One morning, a tiny green shoot poked out of the ground.", "At last, a little green leaf came up.")
    st.para()
    st.say("By the end of summer, the seed had grown into {grown}.", "Slowly, the little shoot grew into {grown}.")
    st.say("{A} was so proud and happy.", "{A} could hardly believe {A.his} eyes.")
    st.say("{A.He} shared it with {B} and all of {A.his} friends.", '"Thank you, {B}," said {A}. "You were right about waiting."')


ARCS = [arc_lost, arc_journey, arc_build, arc_learn, arc_share, arc_race, arc_fear, arc_honest, arc_kind, arc_patience]


def make_story(rng):
    arc = rng.choice(ARCS)
    kinds = {arc_race: (FAST, SLOW), arc_kind: (BIG, SMALL)}.get(arc, (None, None))
    A = make_char(rng, [], kinds[0])  # race: fast vs slow; kindness: big vs small
    B = make_char(rng, [A], kinds[1])
    C = make_char(rng, [A, B])
    time = rng.choice(TIMES)
    color, objn = rng.choice(COLORS), rng.choice(OBJECTS)
    placen = rng.choice(PLACE_NOUN)
    s = rng.sample(SPOTS, 6)  # six different spots
    hobby, hobby2 = rng.sample(HOBBIES, 2)
    st = Story(rng, A=A, B=B, C=C, time=time, time_lc=time[0].lower() + time[1:],
               place=article(rng.choice(PLACE_ADJ) + " " + placen), placen=placen,
               home=article(rng.choice(HOUSES)) + " " + rng.choice(HOME_LOCS),
               hobby=hobby, hobby2=hobby2,
               color=color, objn=objn, obj=color + " " + objn, aobj=article(color + " " + objn),
               food=rng.choice(FOODS), food2=rng.choice(FOODS), dest=rng.choice(DESTS),
               thing=rng.choice(THINGS), mat=rng.choice(MATERIALS), skill=rng.choice(SKILLS),
               brk=rng.choice(BREAKABLES), trap=rng.choice(TRAPS),
               s1=s[0], s2=s[1], s3=s[2], s4=s[3], s5=s[4], s6=s[5])
    st.ctx["distraction"] = st.fmt(rng.choice(bar(
        "lay down under a tree and fell asleep|stopped to eat some {food}|stopped to play with a ball|"
        "sat down to watch the clouds|stopped to tell everyone how fast {A.he} was|took a long nap in the shade")))
    arc(st)
    ending(st, arc.__name__[4:])  # arc_lost -> MORALS["lost"]
    return st.text()


def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate simple children's fables for training tiny language models.")
    ap.add_argument("--seed", type=int, default=0, help="random seed (same seed -> same bytes)")
    ap.add_argument("--stories", type=int, default=800, help="number of stories to write")
    ap.add_argument("--out", default="-", help="output file, or - for stdout")
    args = ap.parse_args(argv)
    # One generator per story, so the first N stories do not depend on --stories.
    stories = [make_story(random.Random(args.seed * 1_000_003 + i)) for i in range(args.stories)]
    text = "\n\n".join(stories) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)


if __name__ == "__main__":
    main()
