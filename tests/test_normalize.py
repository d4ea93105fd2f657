"""Normalization: literal cases both ways (rewritten / left alone), and no text lost via spans."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narrator.text.normalize import normalization_rules, normalize
from narrator.text.normalize.roman import roman_value

ENGLISH, _ = normalization_rules("English")

# (as written, as spoken). Rewrites first, then text that must stay exactly as written.
CASES = [
    # Roman numerals after a heading word
    (
        "CHAPTER IV. The Rabbit Sends in a Little Bill.",
        "CHAPTER Four. The Rabbit Sends in a Little Bill.",
    ),
    ("Chapter I", "Chapter One"),
    ("Chapter XLII.", "Chapter Forty-Two."),
    ("BOOK XII", "BOOK Twelve"),
    ("Part II, Act V, Scene iii.", "Part Two, Act Five, Scene Three."),
    ("See Volume III for more.", "See Volume Three for more."),
    ("Vol. IV", "Vol. Four"),
    ("Psalm XXIII", "Psalm Twenty-Three"),
    ("Article XIV of the treaty", "Article Fourteen of the treaty"),
    ("Appendix II lists them.", "Appendix Two lists them."),
    ("as shown in Table IX", "as shown in Table Nine"),
    ("a Stage IV tumour", "a Stage Four tumour"),
    ("in chapter xiv we saw", "in chapter Fourteen we saw"),
    ("Canto XXXIV", "Canto Thirty-Four"),
    ("Act I, Scene II", "Act One, Scene Two"),
    # Roman numerals as headings of their own
    ("IV.", "Four."),
    ("XII. The Return", "Twelve. The Return"),
    ("I. Introduction", "One. Introduction"),
    ("II: Methods", "Two: Methods"),
    ("XXI", "Twenty-One"),
    ("I", "One"),
    # regnal numbers and the world wars
    ("Henry VIII had six wives.", "Henry the Eighth had six wives."),
    ("Louis XIV built Versailles.", "Louis the Fourteenth built Versailles."),
    ("Elizabeth II was crowned.", "Elizabeth the Second was crowned."),
    ("Elizabeth I of England", "Elizabeth the First of England"),
    ("George III lost the colonies.", "George the Third lost the colonies."),
    ("Pope Pius XII", "Pope Pius the Twelfth"),
    ("Pope John Paul II spoke.", "Pope John Paul the Second spoke."),
    ("Charles V abdicated.", "Charles the Fifth abdicated."),
    ("Peter I founded the city.", "Peter the First founded the city."),
    ("Ramesses II reigned long.", "Ramesses the Second reigned long."),
    ("HENRY VIII", "HENRY the Eighth"),
    ("Edward VII's reign", "Edward the Seventh's reign"),
    ("James I and Charles I", "James the First and Charles the First"),
    ("World War II ended in 1945.", "World War Two ended in nineteen forty-five."),
    ("after World War I", "after World War One"),
    ("WORLD WAR II", "WORLD WAR Two"),
    ("WWII veterans", "World War Two veterans"),
    ("since WW1", "since World War One"),
    # plain numbers, separators, decimals, negatives
    ("He had 3 dogs.", "He had three dogs."),
    ("About 1,234 people came.", "About one thousand two hundred thirty-four people came."),
    ("1,000,000 stars", "one million stars"),
    ("Pi is 3.14.", "Pi is three point one four."),
    ("0.5 of it", "zero point five of it"),
    ("It fell to -5 overnight.", "It fell to minus five overnight."),
    ("He scored 101 points.", "He scored one hundred one points."),
    ("Agent 007", "Agent zero zero seven"),
    ("1,234.56 units", "one thousand two hundred thirty-four point five six units"),
    ("There were 12 of them", "There were twelve of them"),
    ("A total of 999 votes", "A total of nine hundred ninety-nine votes"),
    ("10 green bottles", "ten green bottles"),
    ("On July 4, 1776, they met.", "On July fourth, seventeen seventy-six, they met."),
    ("Jan. 5", "January fifth"),
    ("on 26 January 1946", "on twenty-sixth January nineteen forty-six"),
    ("on 8 May 1945", "on eighth May nineteen forty-five"),
    ("We're #1!", "We're number one!"),
    # ordinals
    ("the 21st century", "the twenty-first century"),
    ("on the 1st of May", "on the first of May"),
    ("his 2nd try", "his second try"),
    ("the 3rd man", "the third man"),
    ("the 100th day", "the one hundredth day"),
    ("the 42nd Street", "the forty-second Street"),
    # years and decades
    ("In 1946 the war was over.", "In nineteen forty-six the war was over."),
    ("It was 2017.", "It was twenty seventeen."),
    ("by 2005", "by two thousand five"),
    ("in 2000", "in two thousand"),
    ("in 1900", "in nineteen hundred"),
    ("in 1905", "in nineteen oh five"),
    ("in 2010", "in twenty ten"),
    ("in 1066", "in ten sixty-six"),
    ("the 1990s", "the nineteen nineties"),
    ("the 1800s", "the eighteen hundreds"),
    ("the '80s", "the eighties"),
    ("the 60s", "the sixties"),
    ("No. 1946", "number one thousand nine hundred forty-six"),
    ("page 1500", "page one thousand five hundred"),
    # ranges
    ("From 1914-1918 it raged.", "From nineteen fourteen to nineteen eighteen it raged."),
    ("1939–45", "nineteen thirty-nine to forty-five"),
    ("Pages 10-20.", "Pages ten to twenty."),
    ("ages 5–12", "ages five to twelve"),
    ("The score was 3-2.", "The score was three-two."),
    ("Call 555-1234.", "Call five five five, one two three four."),
    (
        "Call 1-800-555-1234 now.",
        "Call one, eight zero zero, five five five, one two three four now.",
    ),
    ("It is 2024-01-05 today.", "It is January fifth, twenty twenty-four today."),
    # times
    ("At 3:45 p.m. He left.", "At three forty-five PM. He left."),
    ("at 3:45 p.m. sharp", "at three forty-five PM sharp"),
    ("at 9:05 am", "at nine oh five AM"),
    ("at 3:00", "at three o'clock"),
    ("at 15:00", "at fifteen hundred"),
    ("at 15:30", "at fifteen thirty"),
    ("at 7 p.m.", "at seven PM."),
    ("It was 5 pm.", "It was five PM."),
    ("at 11:15 A.M. sharp", "at eleven fifteen AM sharp"),
    ("John 3:16", "John three sixteen"),
    # currency
    ("It cost $1.88.", "It cost one dollar and eighty-eight cents."),
    ("£5 each", "five pounds each"),
    ("€3.50 a cup", "three euros and fifty cents a cup"),
    ("$1 bills", "one dollar bills"),
    ("$0.99 only", "ninety-nine cents only"),
    ("$1,000 reward", "one thousand dollars reward"),
    ("$2.5 million", "two point five million dollars"),
    ("$5m budget", "five million dollars budget"),
    ("£1.01", "one pound and one penny"),
    ("¥100", "one hundred yen"),
    ("$20.00", "twenty dollars"),
    # percentages, fractions, units
    ("Up 5% today.", "Up five percent today."),
    ("a 12.5% rise", "a twelve point five percent rise"),
    ("100 % sure", "one hundred percent sure"),
    ("Add 1/2 cup.", "Add one half cup."),
    ("3/4 of them", "three quarters of them"),
    ("2/3 majority", "two thirds majority"),
    ("5/8 inch", "five eighths inch"),
    ("1 1/2 hours", "one and a half hours"),
    ("2½ miles", "two and a half miles"),
    ("¾ full", "three quarters full"),
    ("5 kg of flour", "five kilograms of flour"),
    ("1 kg", "one kilogram"),
    ("10 km away", "ten kilometers away"),
    ("10 lbs", "ten pounds"),
    ("6 ft tall", "six feet tall"),
    ("1 ft", "one foot"),
    ("100 km/h", "one hundred kilometers per hour"),
    ("60 mph", "sixty miles per hour"),
    ("20°C", "twenty degrees Celsius"),
    ("98.6 °F", "ninety-eight point six degrees Fahrenheit"),
    ("-5°C", "minus five degrees Celsius"),
    ("a 45° angle", "a forty-five degrees angle"),
    ("5-10 kg", "five to ten kilograms"),
    ("2 1/2 kg", "two and a half kilograms"),
    ("500 mg", "five hundred milligrams"),
    ("16 GB", "sixteen gigabytes"),
    ("30 min", "thirty minutes"),
    ("2.4 GHz", "two point four gigahertz"),
    # abbreviations
    ("St. Louis is a city.", "Saint Louis is a city."),
    ("He lived on Baker St.", "He lived on Baker Street."),
    ("Baker St. is long.", "Baker Street is long."),
    ("the church of St. Mary", "the church of Saint Mary"),
    ("at 221B Baker St. in London", "at 221B Baker Street in London"),
    ("Dr. Watson came.", "Doctor Watson came."),
    ("on Mulholland Dr. at night", "on Mulholland Drive at night"),
    ("Mr. Smith", "Mister Smith"),
    ("Mrs. Hudson", "Missus Hudson"),
    ("Mr. and Mrs. Smith", "Mister and Missus Smith"),
    ("Ms. Jones", "Miz Jones"),
    ("Prof. Moriarty", "Professor Moriarty"),
    ("Gen. Grant", "General Grant"),
    ("Capt. Ahab", "Captain Ahab"),
    ("Mt. Everest", "Mount Everest"),
    ("Mt. St. Helens erupted.", "Mount Saint Helens erupted."),
    ("No. 10 Downing St.", "number ten Downing Street."),
    ("DR. SEIDL: May I", "Doctor SEIDL: May I"),
    ("MR. DODD: Yes.", "Mister DODD: Yes."),
    ("No. 5 is here.", "number five is here."),
    ("see p. 12", "see page twelve"),
    ("see pp. 10-20", "see pages ten to twenty"),
    ("Martin Luther King Jr. spoke.", "Martin Luther King Junior spoke."),
    ("King Jr. Then", "King Junior. Then"),
    ("fruit, e.g. apples", "fruit, for example apples"),
    ("one thing, i.e. this", "one thing, that is this"),
    ("apples, pears, etc.", "apples, pears, et cetera."),
    ("apples, etc., and pears", "apples, et cetera, and pears"),
    ("cats vs. dogs", "cats versus dogs"),
    ("Smith et al. found it.", "Smith and others found it."),
    ("Acme Inc. and others", "Acme Incorporated and others"),
    ("approx. 5 kg", "approximately five kilograms"),
    # URLs and e-mail addresses
    (
        "See https://www.example.com/path/to-page now.",
        "See w w w dot example dot com slash path slash to dash page now.",
    ),
    ("Visit example.com today.", "Visit example dot com today."),
    ("Mail john.smith@example.org.", "Mail john dot smith at example dot org."),
    ("http://gutenberg.org/ebooks/11", "gutenberg dot org slash ebooks slash eleven"),
    ("www.python.org", "w w w dot python dot org"),
    ("(https://a.io/x?y=1)", "(a dot io slash x question mark y equals one)"),
    # left as written: the pronoun, words that look Roman, unsure contexts
    ("I think I can.", "I think I can."),
    ("Then I. Introduction follows.", "Then I. Introduction follows."),
    ("MIX the paint.", "MIX the paint."),
    ("MIX.", "MIX."),
    ("CIVIL WAR", "CIVIL WAR"),
    ("DID he go?", "DID he go?"),
    ("LIVID", "LIVID"),
    ("He said DIM the lights.", "He said DIM the lights."),
    ("Mary I love you.", "Mary I love you."),
    ("John I think is right.", "John I think is right."),
    ("Mary I'm here", "Mary I'm here"),
    ("May 5 people", "May five people"),
    ("the book I read", "the book I read"),
    ("in part I agree", "in part I agree"),
    ("Appendix C", "Appendix C"),
    ("Table D shows", "Table D shows"),
    ("Type M", "Type M"),
    ("the letter X", "the letter X"),
    ("I. e. nothing", "I. e. nothing"),
    ("ID card", "ID card"),
    ("VIVID colours", "VIVID colours"),
    ("said no. Then", "said no. Then"),
    ("the U.S. Army", "the U.S. Army"),
    ("Yes, Dr.", "Yes, Dr."),
    ("he was st. unclear", "he was st. unclear"),
    ("version 1.2.3", "version 1.2.3"),
    ("on 12/25/2020", "on 12/25/2020"),
    ("9/11", "9/11"),
    ("5/7 of", "5/7 of"),
    ("192.168.1.1", "192.168.1.1"),
    ("3D glasses", "3D glasses"),
    ("mp3 files", "mp3 files"),
    ("Words only, no digits.", "Words only, no digits."),
    ("", ""),
]


@pytest.mark.parametrize(("written", "spoken"), CASES, ids=[c[0][:40] for c in CASES])
def test_literal_cases(written, spoken):
    assert normalize(written, ENGLISH).text == spoken


def test_the_table_is_large_and_has_negatives():
    assert len(CASES) >= 150
    assert sum(written == spoken for written, spoken in CASES) >= 30


def test_roman_numerals_parse_strictly():
    assert [roman_value(x) for x in ("IV", "VIII", "MCMXLVI", "xiv", "XLII")] == [
        4,
        8,
        1946,
        14,
        42,
    ]
    for word in ("CIVIL", "DID", "IIII", "VX", "Iv", "", "LIVID", "MIXX"):
        assert roman_value(word) is None


def test_other_languages_pass_through_with_a_note():
    assert normalization_rules("en-GB")[1] is None and normalization_rules("en")[0] == ENGLISH
    for language in ("German", "fr", "Auto"):
        finders, note = normalization_rules(language)
        assert finders == () and language in note
        assert normalize("Chapter IV costs $5.", finders).text == "Chapter IV costs $5."


WORDS = st.sampled_from(
    [
        "Chapter",
        "IV",
        "I",
        "Henry",
        "VIII",
        "St.",
        "Louis",
        "Baker",
        "Dr.",
        "Watson",
        "$1.88",
        "1946",
        "3:45",
        "p.m.",
        "5%",
        "1/2",
        "kg",
        "21st",
        "1914-1918",
        "e.g.",
        "etc.",
        "No.",
        "5",
        "www.example.com",
        "a@b.org",
        "MIX",
        "the",
        "-",
        "1,234",
        "2½",
        "\n",
        "(",
        ")",
        "'80s",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(WORDS, max_size=25).map(" ".join))
def test_every_written_character_maps_from_what_is_spoken(text):
    mapped = normalize(text, ENGLISH)
    assert mapped.source == text
    # Outside its edits the text is copied; inside, each edit is a whole match.
    done = 0
    for edit in mapped.edits:
        assert done <= edit.src_start
        done = edit.src_end
    words = [m.span() for m in re.finditer(r"\S+", mapped.text)]
    spans = mapped.source_spans(words)
    covered = {i for a, b in spans for i in range(a, b)}
    assert all(i in covered for i, c in enumerate(text) if not c.isspace())
    assert normalize(text, ENGLISH) == mapped  # deterministic


NOISY = st.text(alphabet="0123456789 ,.:-–/%$£€¥#½'’°IVXLCDMivxkgmpa@wT\n", max_size=60)


@settings(max_examples=300, deadline=None)
@given(NOISY)
def test_any_text_normalizes_without_error_and_maps_back(text):
    mapped = normalize(text, ENGLISH)
    assert mapped.source == text
    start, end = 0, len(mapped.text)
    assert mapped.source_span(start, end)[0] <= mapped.source_span(start, end)[1] <= len(text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(0, 999_999), st.integers(0, 10**15)))
def test_cardinals_are_num2words_in_the_plain_style(value):
    from num2words import num2words

    from narrator.text.normalize.numbers import cardinal

    assert cardinal(value) == re.sub(r",| and(?= )", "", num2words(value))
