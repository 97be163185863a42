"""The story world the generator draws from: heroes, helpers, places, goals and the
obstacles between them.

Coherence lives in the tables: a goal happens only in places where it makes sense, an
obstacle names the abilities that overcome it, and a helper is chosen among the animals
that have one of them (an owl for the dark, a turtle for deep water). So a model that
learns these stories learns which endings follow from which openings, not just words.

Texts are format strings over the slots the generator fills: {name} {He} {he} {him}
{his} (the hero), {F} {FHe} {fhe} {fhim} {fhis} (the helper), {thing} (what the hero
wants), {place} (the setting, "the forest").
"""

from __future__ import annotations

from dataclasses import dataclass, field

GIRLS = ("Lily Mia Anna Emma Zoe Ruby Ella Rosa Nina Lucy Daisy Molly Kate Amy Ivy Maya Lola Tess Jane Sara "
         "Clara Hanna Luna Alice Greta Nora Poppy Wren").split()
BOYS = ("Tom Ben Max Sam Leo Jack Finn Tim Oscar Hugo Noah Eli Otto Jake Milo Ned Bruno Theo Felix Arlo "
        "Toby Rex Gus Ollie Kai Sid Rudy Dan").split()

# helpers have names of their own, so they never share one with the hero
HELPER_NAMES = {"she": "Pearl Hazel Dot Flora Bella Coco Sunny Misty Willa Fern".split(),
                "he": "Hoot Bramble Pip Bolt Rocky Barney Chip Moss Dusty Bo".split()}


@dataclass(frozen=True)
class Kind:
    """A hero's kind: "rabbit", with what it can do itself and whether it is a child."""

    word: str
    can: frozenset = frozenset()
    child: bool = False
    looks: tuple[str, ...] = ()  # a sentence or two about how it looks


def kind(word: str, can: str = "", child: bool = False, looks: tuple[str, ...] = ()) -> Kind:
    return Kind(word, frozenset(can.split()), child, looks)


FUR = ("{He} had soft {color} fur and a little {tail} tail.", "{His} fur was {color} and fluffy.")
HEROES = (
    kind("rabbit", "dig", looks=FUR + ("{He} had long ears that went up when {he} was happy.",)),
    kind("fox", "smell", looks=FUR),
    kind("bear cub", "strong", looks=FUR),
    kind("mouse", looks=FUR + ("{He} had tiny pink ears and a long thin tail.",)),
    kind("kitten", "climb", looks=FUR),
    kind("puppy", "smell", looks=FUR + ("{His} tail never stopped wagging.",)),
    kind("hedgehog", looks=("{He} had little brown spikes all over {his} back.",)),
    kind("squirrel", "climb", looks=FUR + ("{He} had a big bushy tail.",)),
    kind("pig", looks=("{He} was pink and round and loved to roll in the mud.",)),
    kind("lamb", looks=("{His} wool was white and soft like a cloud.",)),
    kind("turtle", "swim", looks=("{He} had a green shell that {he} carried everywhere.",)),
    kind("elephant", "strong tall", looks=("{He} had big ears and a long grey trunk.",)),
    kind("penguin", "swim", looks=("{He} was black and white and walked with a funny waddle.",)),
    kind("lion cub", "strong", looks=FUR),
    kind("robot", "strong light", looks=("{He} was made of shiny {color} metal and beeped when {he} was happy.",)),
    kind("dragon", "fly strong", looks=("{He} had {color} scales and two small wings.",)),
    kind("girl", child=True, looks=("{He} had {color} shoes and a big smile.", "{He} wore a {color} dress.")),
    kind("boy", child=True, looks=("{He} had {color} boots and a hat with a feather.", "{He} wore a {color} jacket.")),
)
COLORS = "red blue green yellow orange brown grey white golden purple pink".split()
TAILS = "short fluffy round curly striped".split()
TRAITS = "curious brave shy kind happy little clever sleepy playful gentle cheerful busy".split()
HOBBIES = ("to play outside", "to sing songs", "to run and jump", "to look at the clouds", "to explore",
           "to collect pretty stones", "to dance in the sun", "to listen to stories", "to play games with friends",
           "to draw pictures", "to splash in puddles", "to help others")


@dataclass(frozen=True)
class Helper:
    """An animal that may help: its kind, what it can do, and a line about it."""

    word: str
    can: frozenset
    about: str  # "{F} was a wise old owl who could see in the dark."


def helper(word: str, can: str, about: str) -> Helper:
    return Helper(word, frozenset(can.split()), about)


HELPERS = (
    helper("owl", "fly see_dark", "{F} was a wise old owl who could see in the dark."),
    helper("bird", "fly", "{F} was a little bird with bright {color} wings."),
    helper("eagle", "fly strong", "{F} was a big eagle with strong wings."),
    helper("giraffe", "tall", "{F} was a giraffe with a very long neck."),
    helper("monkey", "climb", "{F} was a monkey who could climb anything."),
    helper("cat", "climb see_dark", "{F} was a quick cat with green eyes that could see in the dark."),
    helper("duck", "swim", "{F} was a duck who loved the water."),
    helper("frog", "swim", "{F} was a green frog who could swim very fast."),
    helper("beaver", "swim strong", "{F} was a busy beaver with strong teeth."),
    helper("bear", "strong", "{F} was a big bear, the strongest in the land."),
    helper("horse", "strong", "{F} was a tall brown horse with a long mane."),
    helper("dog", "smell", "{F} was a friendly dog with a very good nose."),
    helper("firefly", "light", "{F} was a tiny firefly whose tail glowed like a little lamp."),
    helper("mole", "dig", "{F} was a mole who could dig faster than anyone."),
    helper("hen", "eggs", "{F} was a kind hen who laid big brown eggs."),
    helper("cow", "milk", "{F} was a gentle cow who gave fresh milk."),
    helper("bee", "honey", "{F} was a busy bee who made sweet honey."),
    helper("turtle", "swim", "{F} was an old turtle with a wide, strong shell."),
)


@dataclass(frozen=True)
class Place:
    name: str  # "the forest"
    where: tuple[str, ...]  # "in a big green forest": how an opening places the hero
    sights: tuple[str, ...]  # details a sentence can mention
    weather: tuple[str, ...] = ("sunny", "warm", "bright", "windy", "cloudy")


PLACES = {
    "forest": Place("the forest", ("in a big green forest", "deep in the woods", "in a quiet forest"),
                    ("tall trees", "soft moss", "singing birds", "little mushrooms")),
    "farm": Place("the farm", ("on a small farm", "on a busy farm near the hills"),
                  ("a red barn", "green fields", "a big haystack", "a muddy pond")),
    "garden": Place("the garden", ("in a pretty garden", "in a garden full of flowers"),
                    ("bright flowers", "a little fence", "busy bees", "a stone path")),
    "beach": Place("the beach", ("by the sea", "in a little house near the beach"),
                   ("warm sand", "blue waves", "white shells", "noisy seagulls"), ("sunny", "warm", "windy", "bright")),
    "meadow": Place("the meadow", ("in a wide meadow", "in a sunny meadow by a stream"),
                    ("tall grass", "yellow flowers", "a little stream", "butterflies")),
    "park": Place("the park", ("near a big park", "in a town with a lovely park"),
                  ("a green lawn", "a pond with ducks", "a tall slide", "old trees")),
    "hill": Place("the hill", ("on top of a green hill", "in a house at the foot of a big hill"),
                  ("soft grass", "a windy top", "a long path", "a view of the whole valley")),
    "village": Place("the village", ("in a little village", "in a small village by a river"),
                     ("little houses", "a bakery", "a market", "a stone bridge")),
    "snow": Place("the snowy valley", ("in a snowy valley", "in the cold, white mountains"),
                  ("white snow", "frozen trees", "icy rocks", "a frozen lake"), ("snowy", "cold", "frosty", "bright")),
    "river": Place("the river", ("near a wide river", "by a fast river"),
                   ("clear water", "smooth stones", "green reeds", "a wooden dock")),
}


@dataclass(frozen=True)
class Obstacle:
    """Between a hero and a goal: the problem, the abilities that overcome it (each with
    what a helper does), and what the hero can do alone with an idea."""

    problems: tuple[str, ...]
    solutions: dict  # ability -> how a helper solves it
    ideas: tuple[str, ...]  # the hero's own way, after thinking hard
    asks: tuple[str, ...] = ("Can you help me?",)


OBSTACLES = {
    "high": Obstacle(
        ("But {thing} was too high, and {name} could not reach it.",
         "{name} jumped and jumped, but {thing} was much too high.",
         "{name} stretched as far as {he} could, but {thing} was still far above {him}."),
        {"fly": "{F} flew up, took {thing} and brought it down to {name}.",
         "tall": "{F} stretched {fhis} long neck, picked up {thing} and gave it to {name}.",
         "climb": "{F} climbed up as quick as the wind and brought {thing} down."},
        ("{name} found an old box, pushed it close and climbed on top. Now {he} could reach {thing}!",
         "{name} found a long stick and gave {thing} a gentle push. Down it came!"),
        ("It is too high for me. Can you help me?", "Can you reach it for me, please?"),
    ),
    "water": Obstacle(
        ("But the water was deep and cold, and {name} could not swim.",
         "But {name} came to the river, and the bridge was broken.",
         "But the water was too deep for {name} to cross."),
        {"swim": "{F} said, \"Climb on my back!\" and carried {name} safely across the water.",
         "fly": "{F} took {name} and flew high over the water to the other side."},
        ("{name} found a big flat log, pushed it into the water and paddled across.",
         "{name} saw a line of big stones in the water and hopped from one to the next."),
        ("I cannot swim. Can you help me get across?", "Can you help me cross the water?"),
    ),
    "dark": Obstacle(
        ("But the sun went down, and soon {name} could not see anything.",
         "But the path went into a dark cave, and {name} was scared of the dark.",
         "But it got dark, and {name} did not know which way to go."),
        {"see_dark": "{F} could see in the dark. \"Follow me,\" {fhe} said, and {fhe} showed {name} the way.",
         "light": "{F} began to glow, and the path was bright again. {name} followed the light."},
        ("{name} remembered the little lamp in {his} bag. {He} turned it on, and the way was bright.",
         "{name} waited until the moon came out. In the soft moonlight {he} could see the path again."),
        ("It is so dark. Can you help me find the way?", "I cannot see. Can you help me?"),
    ),
    "heavy": Obstacle(
        ("But {thing} was too heavy, and {name} could not move it.",
         "{name} pushed and pulled, but {thing} was much too heavy for {him}."),
        {"strong": "{F} gave one big push, and {thing} moved as if it were a feather."},
        ("{name} put {thing} on a little cart with wheels, and then it was easy to move.",
         "{name} asked all {his} friends, and together they pushed until {thing} moved."),
        ("It is too heavy for me. Can you help me?",),
    ),
    "hidden": Obstacle(
        ("But the grass was tall, and {thing} was nowhere to be seen.",
         "{name} looked everywhere, but {thing} was gone.",
         "{name} looked under every bush, but {he} could not find {thing}."),
        {"smell": "{F} sniffed the ground, went this way and that, and found {thing} under a bush.",
         "fly": "{F} flew high up in the sky, looked down and spotted {thing} near a rock.",
         "dig": "{F} dug a little tunnel under the leaves and came back with {thing}."},
        ("{name} closed {his} eyes and thought about where {he} had been. Then {he} remembered, went back "
         "to that spot and found {thing}.",),
        ("I lost it. Can you help me find it?", "Can you help me look for it?"),
    ),
    "eggs": Obstacle(
        ("But when {name} opened the basket, there were no eggs left.",),
        {"eggs": "{F} gave {name} three big brown eggs from {fhis} nest."},
        ("{name} walked to the little shop in the village and bought some eggs with {his} coins.",),
        ("I need some eggs. Can you help me?",),
    ),
    "milk": Obstacle(
        ("But the milk jug was empty.",),
        {"milk": "{F} gave {name} a jug of fresh, warm milk."},
        ("{name} walked to the shop and came back with a bottle of milk.",),
        ("I need some milk. Can you help me?",),
    ),
    "honey": Obstacle(
        ("But there was no honey in the jar.",),
        {"honey": "{F} flew to {fhis} hive and came back with a little pot of golden honey."},
        ("{name} found a pot of honey high on a shelf, behind the flour.",),
        ("I need some honey. Can you help me?",),
    ),
}


@dataclass(frozen=True)
class Goal:
    """Something a hero wants: where it can happen, what stands in the way, and how it ends."""

    wants: tuple[str, ...]  # "to eat the red apple at the top of the old tree"
    thing: str  # "the red apple": what obstacles and helpers name
    places: tuple[str, ...]
    obstacles: tuple[str, ...]
    tries: tuple[str, ...]  # the first attempt
    success: tuple[str, ...]  # the goal reached
    share: tuple[str, ...] = ()  # what hero and helper do together afterwards
    lesson: tuple[str, ...] = field(default=())  # a moral proper to this goal, if any
    own: dict = field(default_factory=dict)  # ability (or "idea") -> this goal's own way past the obstacle


GOALS = (
    Goal(("to eat the shiny red apple at the top of the old tree", "to pick the biggest apple on the apple tree"),
         "the apple", ("farm", "garden", "forest"), ("high",),
         ("{name} ran to the old tree and jumped as high as {he} could.",),
         ("{name} took a big bite of the apple. It was sweet and juicy.",),
         ("{name} and {F} shared the apple under the tree.",)),
    Goal(("to find {his} lost red ball", "to find {his} favorite ball, which had rolled away"),
         "the ball", ("park", "garden", "meadow", "forest"), ("hidden",),
         ("{name} looked behind the trees and under the bushes.",),
         ("{name} held the ball tight and laughed. \"My ball!\" {he} said.",),
         ("Then {name} and {F} played catch with the ball until lunch time.",)),
    Goal(("to visit {his} grandma on the other side of the river", "to bring a basket of berries to {his} grandma"),
         "the way to grandma's house", ("forest", "meadow", "village", "river"), ("water", "dark"),
         ("{name} packed some berries in a basket and set off.",),
         ("Grandma opened the door and gave {name} a big hug.",),
         ("Grandma made tea for {name} and {F}, and they ate berries together.",)),
    Goal(("to fly {his} new kite", "to fly {his} kite higher than the clouds"),
         "the kite", ("hill", "beach", "park", "meadow"), ("high",),
         ("{name} ran fast, and the kite went up. Then the wind pulled it into a tall tree.",),
         ("Soon the kite was dancing in the sky again, high above {place}.",),
         ("{name} let {F} hold the string, and they flew the kite together.",)),
    Goal(("to build the biggest sandcastle on the beach",),
         "the big rock", ("beach",), ("heavy",),
         ("{name} dug and patted the sand, but a big rock was in the middle of the best spot.",),
         ("Then {name} built a tall sandcastle with four towers and a little flag.",),
         ("{name} and {F} decorated the sandcastle with white shells.",)),
    Goal(("to build a big snowman", "to make the tallest snowman in the valley"),
         "the big snowball", ("snow",), ("heavy",),
         ("{name} rolled a small snowball until it was big and round.",),
         ("At last the snowman stood tall, with a carrot nose and two stone eyes.",),
         ("{name} and {F} put a warm hat on the snowman and danced around it.",)),
    Goal(("to bake a cake for {his} mom's birthday", "to make a birthday cake for {his} dad"),
         "the eggs", ("village", "farm"), ("eggs", "milk"),
         ("{name} put flour and sugar in a big bowl.",),
         ("The cake came out of the oven golden and warm. Everyone said it was the best cake ever.",),
         ("{name} gave {F} the first piece of cake.",)),
    Goal(("to make honey cookies for {his} friends",),
         "the honey", ("village", "garden", "farm"), ("honey", "milk"),
         ("{name} mixed the flour and the butter.",),
         ("Soon the kitchen smelled of warm honey cookies.",),
         ("{name} shared the cookies with {F} and all {his} friends.",)),
    Goal(("to see the stars from the top of the hill", "to watch the moon rise from the hilltop"),
         "the path up the hill", ("hill", "meadow", "forest"), ("dark",),
         ("After dinner, {name} started up the long path.",),
         ("At the top, {name} lay in the grass and looked at the sky. It was full of twinkling stars.",),
         ("{name} and {F} counted the stars together until they were sleepy.",)),
    Goal(("to find a pretty pink shell for {his} little sister",),
         "the pink shell", ("beach",), ("hidden",),
         ("{name} walked along the sand, looking at every shell.",),
         ("{name} held the pink shell up to the sun. It was the prettiest shell {he} had ever seen.",),
         ("That evening, {name} gave the shell to {his} sister, and she smiled from ear to ear.",)),
    Goal(("to bring home {his} toy boat, which had floated away", "to get back {his} little toy boat"),
         "the toy boat", ("river", "park", "village"), ("water", "hidden"),
         ("{name} ran along the water after the boat.",),
         ("{name} hugged {his} toy boat. It was wet, but it was safe.",),
         ("{name} and {F} sailed the little boat together, this time on a string.",)),
    Goal(("to help a baby bird get back to its nest", "to bring a little lost bird back home"),
         "the nest", ("forest", "garden", "park"), ("high",),
         ("{name} picked up the baby bird very gently. Its nest was at the top of a tall tree.",),
         ("The baby bird was back in its nest, and its mother sang a happy song.",),
         ("{name} and {F} sat under the tree and listened to the birds sing.",),
         ("{name} learned that even a small friend can do a big kindness.",),
         {"fly": ("{F} held the baby bird softly and flew it up to its nest.",),
          "tall": ("{F} lifted the baby bird with {fhis} long neck and put it back in its nest.",),
          "climb": ("{F} carried the baby bird up the tree and put it back in its nest.",),
          "idea": ("{name} put the baby bird in a little basket, tied a rope to it and pulled it up to the nest.",)}),
    Goal(("to open the old gate to the secret garden",),
         "the old gate", ("village", "garden", "forest"), ("heavy",),
         ("{name} pulled the handle of the old gate.",),
         ("The gate opened with a long creak, and behind it was a garden full of flowers.",),
         ("{name} and {F} walked among the flowers all afternoon.",), (),
         {"idea": ("{name} found an old oil can, oiled the rusty hinges and pulled "
                   "again.",)}),
    Goal(("to find {his} way home", "to get home before dinner"),
         "the way home", ("forest", "meadow", "snow", "hill"), ("dark", "water"),
         ("{name} had walked so far that {he} did not know where {he} was.",),
         ("Soon {name} saw the lights of {his} home. {His} mom was waiting at the door.",),
         ("{name} asked {F} to stay for dinner, and they ate warm soup together.",)),
    Goal(("to pull {his} little wagon up the hill",),
         "the wagon", ("hill", "farm", "village"), ("heavy",),
         ("{name} pulled the wagon, step by step.",),
         ("At last the wagon was at the top, and {name} rode it all the way down with a happy shout.",),
         ("{name} and {F} took turns riding the wagon down the hill.",)),
    Goal(("to find the golden key that {his} grandpa had lost",),
         "the golden key", ("garden", "farm", "forest"), ("hidden",),
         ("{name} searched the garden, step by step.",),
         ("Grandpa smiled when {name} gave him the golden key. \"You found it!\" he said.",),
         ("Grandpa gave {name} and {F} a big glass of lemonade.",)),
)

# morals by how the story was solved
LESSONS = {
    "helper": ("{name} learned that it is good to ask for help.",
               "{name} learned that friends help each other.",
               "From that day on, {name} and {F} were the best of friends.",
               "{name} and {F} became good friends and played together every day."),
    "returned": ("{name} learned that a kindness always comes back.",
                 "{name} learned that when you help others, they will help you too.",
                 "From that day on, {name} and {F} were the best of friends."),
    "idea": ("{name} learned that a good idea can fix a big problem.",
             "{name} learned to stop, think, and never give up.",
             "{name} was very proud of {him}self."),
}

# a small trouble the hero helps a future helper out of, on the way
FAVORS = (
    ("{name} found {F}, {a_fkind}, stuck in a net.", "{name} carefully pulled the net away, and {F} was free."),
    ("{name} met {F}, {a_fkind}, who was very hungry.", "{name} gave {F} some of {his} lunch."),
    ("{name} met {F}, {a_fkind}, who had a thorn in {fhis} foot.", "{name} gently pulled the thorn out."),
)
