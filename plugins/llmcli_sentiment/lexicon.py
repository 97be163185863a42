"""The words the generated reviews are made of: three domains (films, restaurants,
products), each with the things a review talks about and the adjectives that fit them,
and the verdicts a reviewer ends with. Written for this project.

An aspect group is (subjects, positive adjectives, negative adjectives). A subject ending
in "*" is plural ("the jokes*" -> "the jokes were"). Adjectives marked "!" read naturally
negated ("not bad", "never boring"); the others are not negated ("not terrible" is
lukewarm, not positive), so every generated label is one a person would agree with.
"""

from __future__ import annotations

POSITIVE, NEGATIVE = "positive", "negative"
LABELS = (NEGATIVE, POSITIVE)

# any subject takes these
GENERAL = (
    "good! great! excellent! wonderful! fantastic! amazing! superb! lovely! impressive! decent! nice! "
    "solid! pleasant! outstanding terrific! brilliant! perfect".split(),
    "bad! terrible awful horrible poor! disappointing! mediocre dreadful weak! boring! dull! lousy "
    "annoying! unpleasant! forgettable! sloppy! frustrating!".split(),
)

DOMAINS: dict[str, list[tuple[list[str], list[str], list[str]]]] = {
    "film": [
        ("the film|this film|the movie|this movie|the picture|this documentary".split("|"),
         "enjoyable! entertaining! moving! charming! gripping! funny! touching! clever! original! beautiful!".split(),
         "tedious! overlong! pointless! predictable! silly! clumsy! confusing! bland! slow! messy!".split()),
        ("the plot|the story|the script|the storyline|the premise".split("|"),
         "gripping! clever! original! exciting! believable! fresh! tight! surprising!".split(),
         "predictable! confusing! thin! silly! far-fetched! clumsy! muddled! shallow!".split()),
        ("the acting|the cast|the lead actor|the performances*|the characters*".split("|"),
         "convincing! natural! brilliant! believable! likeable! memorable! charming!".split(),
         "wooden! stiff! unconvincing! flat! annoying! forgettable! shallow!".split()),
        ("the soundtrack|the music|the score|the songs*".split("|"),
         "beautiful! memorable! haunting! catchy! moving!".split(),
         "forgettable! annoying! loud! repetitive! cheesy!".split()),
        ("the visuals*|the cinematography|the special effects*|the camera work".split("|"),
         "stunning! gorgeous! beautiful! striking! inventive!".split(),
         "cheap! ugly! dated! shaky! murky!".split()),
        ("the ending|the start|the opening|the first half|the second half|the pacing|the final act".split("|"),
         "wonderful! satisfying! exciting! brisk! powerful! thrilling! clever!".split(),
         "slow! rushed! tedious! dragging! flat! confusing! abrupt!".split()),
        ("the jokes*|the humor|the dialogue|the banter".split("|"),
         "funny! witty! sharp! clever! fresh!".split(),
         "lame! stale! awkward! clumsy! crude! flat!".split()),
    ],
    "restaurant": [
        ("the restaurant|this place|the dinner|our meal|the cafe|this bistro|the lunch".split("|"),
         "delicious! charming! cozy! welcoming! enjoyable! relaxing!".split(),
         "overpriced! noisy! chaotic! forgettable! bland! dirty! cramped!".split()),
        ("the food|the pasta|the soup|the dessert|the pizza|the steak|the curry|the fries*|the salad|the bread"
         .split("|"),
         "delicious! tasty! fresh! flavorful! crispy! tender! hot! generous!".split(),
         "bland! cold! greasy! stale! soggy! salty! dry! burnt! undercooked!".split()),
        ("the service|the staff|the waiter|the waitress|the owner|the chef".split("|"),
         "friendly! attentive! quick! polite! welcoming! helpful! professional!".split(),
         "rude! slow! careless! unfriendly! clueless! pushy! absent!".split()),
        ("the atmosphere|the decor|the dining room|the terrace|the music".split("|"),
         "cozy! charming! relaxing! warm! clean! lively!".split(),
         "noisy! cramped! dirty! gloomy! cold! loud!".split()),
        ("the prices*|the bill".split("|"), "fair! reasonable! modest!".split(),
         "steep! overpriced! outrageous".split()),
        ("the portions*|the servings*".split("|"), "generous! huge! filling!".split(),
         "tiny! small! stingy!".split()),
        ("the coffee|the wine|the drinks*|the cocktails*".split("|"),
         "excellent! strong! refreshing! smooth!".split(), "weak! watery! warm! sour!".split()),
    ],
    "product": [
        ("this phone|the blender|these headphones*|this laptop|the vacuum|this kettle|the product|this lamp"
         "|the backpack|this printer|the toaster|these shoes*|the mattress".split("|"),
         "reliable! useful! handy! sturdy! comfortable! quiet! practical! durable!".split(),
         "useless! unreliable! faulty! flimsy! noisy! uncomfortable! overpriced! broken!".split()),
        ("the battery|the battery life".split("|"),
         "long! reliable! impressive! excellent!".split(),
         "short! weak! unreliable! disappointing!".split()),
        ("the screen|the display|the camera".split("|"),
         "bright! sharp! crisp! clear! vivid!".split(),
         "dim! blurry! tiny! grainy! faint!".split()),
        ("the build quality|the case|the material|the handle|the zipper|the stitching".split("|"),
         "sturdy! solid! durable! sleek! tough!".split(),
         "flimsy! cheap! fragile! loose! thin!".split()),
        ("the sound|the speakers*|the microphone|the bass".split("|"),
         "clear! rich! loud! crisp! balanced!".split(),
         "muffled! tinny! distorted! quiet! weak!".split()),
        ("the setup|the instructions*|the app|the controls*|the software".split("|"),
         "easy! simple! clear! intuitive! quick! smooth!".split(),
         "confusing! complicated! useless! buggy! slow! clunky!".split()),
        (["the price"], "fair! reasonable! low!".split(), "steep! ridiculous! high!".split()),
        ("the delivery|the shipping".split("|"), "fast! quick! prompt!".split(), "slow! late! sloppy!".split()),
        ("the customer service|the support team".split("|"), "helpful! responsive! patient!".split(),
         "unhelpful! rude! useless!".split()),
    ],
}

# what a domain's whole item is called in a verdict ("I would watch it again")
AGAIN = {"film": "watch it again", "restaurant": "go back", "product": "buy it again"}

INTENSIFIERS = ("really", "very", "absolutely", "truly", "incredibly", "extremely", "so", "genuinely",
                "utterly", "pretty", "quite", "totally", "seriously", "remarkably")
# words before an adjective that flip it: "never boring", "far from perfect"
NEGATORS = ("not", "never", "far from", "anything but", "not at all")

# verdicts: whole-review judgements with their polarity; {it} is "it" or the item
# ("this phone"), {again} the domain's phrase ("go back")
VERDICTS = {
    POSITIVE: [
        "I loved {it}", "I really loved {it}", "I absolutely loved {it}", "I enjoyed {it}", "I really enjoyed {it}",
        "I liked {it} a lot", "I would recommend {it}", "I would highly recommend {it}", "highly recommended",
        "I would {again}", "I will definitely {again}", "I can't wait to {again}", "worth every penny",
        "worth it", "I have no complaints", "I can't complain", "I can't recommend {it} enough",
        "it exceeded my expectations", "I was pleasantly surprised", "it did not disappoint",
        "it didn't disappoint", "I wasn't disappointed", "I was not disappointed", "I don't regret it",
        "no regrets", "five stars", "ten out of ten", "a real gem", "a winner", "I'm glad I tried {it}",
        "I'm a fan", "I adored {it}", "I was impressed", "it was a delight", "it made my day", "I love {it}",
    ],
    NEGATIVE: [
        "I hated {it}", "I really hated {it}", "I disliked {it}", "I didn't like {it}", "I did not like {it}",
        "I didn't enjoy {it}", "I did not enjoy {it}", "I never enjoyed {it}", "I would not recommend {it}",
        "I wouldn't recommend {it}", "I can't recommend {it}", "I would never {again}", "I won't {again}",
        "I will not {again}", "never again", "avoid {it}", "a waste of money", "a waste of time",
        "not worth it", "not worth the money", "I want my money back", "I regret it", "one star",
        "zero stars", "it was a letdown", "I was disappointed", "I was so disappointed",
        "it fell short of my expectations", "what a mess", "I was bored", "I wasn't impressed",
        "I was not impressed", "I expected much more", "it ruined my evening", "skip {it}", "I hate {it}",
    ],
}
# what {it} becomes in a verdict, besides "it"
OBJECTS = {"film": ("this film", "this movie", "the film", "this show"),
           "restaurant": ("this place", "this restaurant", "the restaurant", "this cafe"),
           "product": ("this phone", "this product", "these headphones", "this blender", "this laptop", "this kettle")}

# what people type most, made common on purpose (general adjectives: never held out)
IDIOMS = {
    POSITIVE: ("not bad at all", "not bad", "not bad at all actually", "never boring", "never disappointing",
               "not disappointing at all", "not boring at all", "not too bad", "never dull", "far from bad",
               "anything but boring", "not bad, not bad at all"),
    NEGATIVE: ("not good", "not good at all", "not great", "not very good", "not that good", "not so great",
               "never good", "far from good", "far from perfect", "not great at all", "nothing special",
               "not impressive at all"),
}

# ways a mixed review announces its verdict
OVERALL = ("overall,", "all in all,", "in the end,", "on the whole,", "still,", "that said,", "bottom line:",
           "in short,", "to sum up,")


def adjective(word: str) -> tuple[str, bool]:
    """("bad", True) for "bad!": the word and whether it reads naturally negated."""
    return word.rstrip("!"), word.endswith("!")
