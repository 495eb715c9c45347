"""The blocklist matcher (bot/moderation/blocklist.py): what an entry matches and what it
does not, look-alike and spacing tricks, the operator's file, refused entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.moderation import (
    Blocklist,
    BlocklistFileError,
    Entry,
    EntryRefused,
    Hit,
    check,
    load_file,
    parse_entry,
    parse_file,
    patterns,
)
from bot.moderation import blocklist as blocklist_module


def blocklist(*entries: str) -> Blocklist:
    return Blocklist([parse_entry(e) for e in entries])


def term(entries: tuple[str, ...], prompt: str) -> str | None:
    hit = blocklist(*entries).check(prompt)
    return hit.term if hit else None


@pytest.mark.parametrize(
    ("prompt", "why"),
    [
        ("a BAD idea", "case"),
        ("a Bad, idea", "case and punctuation"),
        ("bad", "the whole prompt"),
        ("ｂａｄ dog", "fullwidth letters"),
        ("b\u200bad dog", "zero-width space inside"),
        ("b\u200da\u200cd dog", "zero-width joiner and non-joiner inside"),
        ("b\u00adad", "soft hyphen"),
        ("b\ufe0fad", "variation selector"),
        ("b\u034fad", "combining grapheme joiner"),
        ("b\u2060ad\u202e", "word joiner and a bidi override"),
        ("b\U000e0061ad", "tag character"),
        ("bád", "accent"),
        ("b\u0338a\u0338d\u0338", "marks piled on the letters"),
        ("ⓑⓐⓓ", "circled letters"),
        ("𝐛𝐚𝐝", "mathematical bold letters"),
        ("bаd", "a Cyrillic a among Latin letters"),
        ("b a d", "spaced letters"),
        ("b.a.d dog", "dotted letters"),
        ("b - a - d", "letters with dashes"),
        ("B\u200b A D", "spaced letters with case and a zero-width space"),
        ("BAD_dog", "underscore as a separator"),
        ("b\x00a\x07d", "control characters inside"),
        ("b\x00a\x07d é", "control characters inside, in text that is not ASCII"),
    ],
)
def test_a_word_is_found_through_tricks(prompt: str, why: str) -> None:
    assert term(("bad",), prompt) == "bad", why


@pytest.mark.parametrize(
    "prompt",
    ["a badge", "badly drawn", "sinbad", "a b c d", "bad" + "ge", "ba d", "b ad", "abad"],
)
def test_a_word_matches_whole_words_only(prompt: str) -> None:
    assert term(("bad",), prompt) is None


def test_the_hit_names_the_entry_as_it_was_written() -> None:
    hit = blocklist("good", "Very Bad").check("this is very  bad.")
    assert hit is not None
    assert hit.term == "Very Bad"
    assert hit.entry.kind == "phrase"
    assert hit.source == "server"


def test_the_refusal_names_the_term_and_whose_list_it_is_on() -> None:
    server = blocklist("red `fox`").check("RED FOX")
    assert server is not None
    assert "`red 'fox'`" in server.message and "this server's blocklist" in server.message
    operator = parse_file("bad\n").check("so bad")
    assert operator is not None and "`bad` on the bot's blocklist" in operator.message
    timed_out = Hit(parse_entry("/x+y/"), "server", timed_out=True)
    assert "x+y" not in timed_out.message and "in time" in timed_out.message


@pytest.mark.parametrize(
    "prompt",
    ["red fox", "RED   FOX", "red-fox", "red, fox", "red_fox", "red...\n\tfox", "r e d fox",
     "red\u200b fox"],
)
def test_a_phrase_matches_across_any_gap_between_its_words(prompt: str) -> None:
    assert term(("red fox",), prompt) == "red fox"


@pytest.mark.parametrize("prompt", ["redfox", "red foxes", "fox red", "red big fox"])
def test_a_phrase_needs_its_words_in_order_and_whole(prompt: str) -> None:
    assert term(("red fox",), prompt) is None


def test_an_entry_written_with_look_alikes_matches_the_plain_word() -> None:
    assert term(("ＢＡＤ",), "bad") == "ＢＡＤ"
    assert term(("straße",), "STRASSE") == "straße"
    assert term(("café",), "cafe") == "café"


def test_other_scripts_are_words_too() -> None:
    assert term(("привет",), "Привет, мир") == "привет"
    # A word wholly in Cyrillic is not read as Latin: Russian for "litter" is not "cop".
    assert term(("cop",), "сор") is None
    assert term(("猫",), "一只猫在睡觉") == "猫"  # no spaces between Chinese words
    assert term(("睡觉",), "一只猫在睡觉") == "睡觉"
    assert term(("🍆",), "an 🍆 emoji") == "🍆"


@pytest.mark.parametrize(
    ("prompt", "entry"),
    [
        ("a nıpple", "nipple"),  # dotless i
        ("nսde", "nude"),  # Armenian u
        ("blօօd", "blood"),  # Armenian o
        ("nuᴅᴇ", "nude"),  # small capitals D and E
        ("ɴᴜᴅᴇ", "nude"),  # small capitals only
        ("ᏼad", "bad"),  # Cherokee small b
        ("baԁ", "bad"),  # Cyrillic komi de
        ("🅱🅰🅳", "bad"),  # negative squared letters
        ("🅑🅐🅓", "bad"),  # negative circled letters
        ("🇧🇦🇩", "bad"),  # regional indicators
        ("⒝⒜⒟", "bad"),  # parenthesized letters
        ("𝚋𝚊𝚍", "bad"),  # mathematical monospace
    ],
)
def test_look_alike_letters_of_any_script_are_read_as_latin(prompt: str, entry: str) -> None:
    assert term((entry,), prompt) == entry


@pytest.mark.parametrize(
    ("prompt", "entry"),
    [("so b4d", "bad"), ("n00d", "nood"), ("nud3 art", "nude"), ("$ex", "sex"),
     ("@ss", "ass"), ("a$$!", "ass"), ("sh!t", "shit"), ("b 4 d", "bad"),
     ("n1pple", "nipple"), ("bl0od", "blood")],
)
def test_digits_and_signs_standing_for_letters_are_read_as_letters(prompt: str, entry: str
                                                                   ) -> None:
    assert term((entry,), prompt) == entry


def test_an_entry_with_digits_matches_as_written_and_numbers_stay_numbers() -> None:
    assert term(("b4d",), "b4d") == "b4d"
    assert term(("b4d",), "bad") is None
    assert term(("area 51",), "area 51") == "area 51"
    # A number is not a word: "1990" is not "iggo", "100" is not "ioo".
    assert term(("iggo", "ioo"), "born in 1990, 100 times") is None
    # Sentence punctuation is not a letter: "hello!" is not "helloi".
    assert term(("helloi",), "hello! world") is None


@pytest.mark.parametrize(
    "prompt",
    [
        "Բարև, ինչպես ես։ "
        "Այսօր եղանակը շա"
        "տ լավ է։",  # Armenian: Hello, how are you? ...
        "Ոսկի ձուկը ջուրո"
        "ւմ է",  # Armenian: the golden fish is in the water
        "Η γάτα κοιμάται στον καναπέ και ονειρεύεται ψάρια, ναι, όχι.",
        "Ο νέος ήλιος του βουνού",
        "Кошка спит на диване, а собака сидит у окна. Все дома, нос, сор, рос.",
        "Ехо вас слышит, ох как хорошо",
        "猫がソファで寝ていて、犬は窓のそばに座っています。",
        "東京の夜景、ネオンの光",
    ],
)
def test_text_wholly_in_another_script_is_not_read_as_latin(prompt: str) -> None:
    entries = ("nude", "nipple", "blood", "bad", "sex", "ass", "cop", "poc", "bce", "hoc",
               "vai", "oxi", "exo", "ox", "hac", "oko", "ok", "nuu", "uu", "o", "e", "x")
    assert term(entries, prompt) is None


def test_spaced_letters_are_joined_only_as_a_whole_run() -> None:
    # "a b c d" joins to "abcd", which holds "bad" nowhere as a whole word.
    assert term(("bad",), "plan a b c d") is None
    assert term(("abcd",), "plan a b c d") == "abcd"
    # A run next to a word keeps the phrase readable: "b a d thing".
    assert term(("bad thing",), "b a d thing") == "bad thing"


def test_a_regex_runs_case_insensitively_on_the_folded_prompt() -> None:
    bl = blocklist(r"/b[a4]d+y?/")
    assert bl.check("so B4DDY") is not None
    assert bl.check("ＢＡＤ") is not None
    assert bl.check("b\u200bad") is not None
    assert bl.check("good") is None
    hit = bl.check("bad")
    assert hit is not None and hit.entry.kind == "regex" and hit.term == "/b[a4]d+y?/"


def test_a_regex_is_folded_like_the_prompts_it_runs_on() -> None:
    assert blocklist("/café+/").check("CAFÉÉ") is not None
    assert blocklist("/café/").check("cafe") is not None
    assert blocklist("/straße/").check("STRASSE") is not None
    # Its case is kept: \W still means a non-word character.
    assert blocklist(r"/a\Wb/").check("a-b") is not None
    assert blocklist(r"/a\Wb/").check("axb") is None


def test_a_regex_that_runs_out_of_time_refuses_the_prompt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bl = blocklist("/x+y/")
    monkeypatch.setattr(patterns, "MATCH_BUDGET", 0.0)
    hit = bl.check("xxxx")
    assert hit is not None and hit.timed_out and hit.term == "/x+y/"


def test_hostile_input_to_a_quadratic_regex_is_cut_off_and_refused() -> None:
    # `x+y` passed the add-time probes (quadratic, not catastrophic); 2,000 x's take it
    # tens of milliseconds, past the budget both times.
    hit = blocklist("/x+y/").check("x" * 2000)
    assert hit is not None and hit.timed_out
    assert blocklist("/x+y/").check("x" * 20 + "y") == Hit(parse_entry("/x+y/"), "server")


class PausedOnce:
    """A pattern whose first search runs out of time, as when the machine paused the bot."""

    pattern = "paused"

    def __init__(self) -> None:
        self.timeouts: list[float] = []

    def search(self, text: str, timeout: float) -> None:
        self.timeouts.append(timeout)
        if len(self.timeouts) == 1:
            raise TimeoutError


def test_a_regex_that_ran_out_of_time_once_gets_a_second_try() -> None:
    paused = PausedOnce()
    bl = Blocklist([Entry("/paused/", pattern=paused)])  # type: ignore[arg-type]
    assert bl.check("an ordinary prompt") is None
    assert len(paused.timeouts) == 2
    assert paused.timeouts[1] > 0


def test_check_tries_the_lists_in_order() -> None:
    operator = parse_file("bad\n", name="test")
    server = blocklist("bad", "worse")
    hit = check("bad and worse", [operator, server])
    assert hit is not None and hit.source == "operator"
    hit = check("worse", [operator, server])
    assert hit is not None and hit.source == "server"
    assert check("fine", [operator, server]) is None


def test_entries_that_match_the_same_prompts_are_kept_once() -> None:
    bl = blocklist("Bad", "bad", " BAD ", "bad  word", "bad-word")
    assert [e.text for e in bl.entries] == ["Bad", "bad  word"]
    assert len(bl) == 2


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("...!?", "no letters"),
        ("x" * 201, "too long"),
        ("/[a-/", "not a valid regex"),
        ("/(unclosed/", "not a valid regex"),
        ("//", "empty regex"),
        ("/a*/", "every prompt"),
        ("/|x/", "every prompt"),
        ("/(a+)+$/", "too long on some prompts"),
        ("/^(a|aa)+$/", "too long on some prompts"),
        ("/(x+x+)+y/", "too long on some prompts"),
        (r"/(.*?,){11}P/", "too long on some prompts"),
        ("/" + "a" * 201 + "/", "too long"),
    ],
)
def test_bad_entries_are_refused_with_the_reason(entry: str, says: str) -> None:
    with pytest.raises(EntryRefused) as refused:
        parse_entry(entry)
    assert says in refused.value.message


@pytest.mark.parametrize("entry", [r"/\bn[i1!]ggx/", "/(foo|bar)baz/", r"/\d{3}-\d{4}/",
                                   "/(a|b|ab)*c/", r"/(.*,)*x/", "/x+y/", r"/\s+$/"])
def test_sound_regexes_are_accepted(entry: str) -> None:
    # `x+y` and `\s+$` are quadratic on hostile input, not catastrophic: accepted, and
    # bounded by the match budget at check time.
    assert parse_entry(entry).kind == "regex"


def test_the_operators_file_skips_comments_and_blank_lines() -> None:
    bl = parse_file("# words\nbad\n\n   \n  # indented comment\nred fox\n/b[a4]d/\n")
    assert [e.text for e in bl.entries] == ["bad", "red fox", "/b[a4]d/"]
    assert bl.source == "operator"


def test_the_operators_file_reports_every_bad_line_with_its_number() -> None:
    with pytest.raises(BlocklistFileError) as error:
        parse_file("fine\n/(a+)+$/\nok\n/[/\n")
    assert [line.split(":")[0] for line in error.value.lines] == [
        "BLOCKLIST_FILE line 2", "BLOCKLIST_FILE line 4"]


def test_load_file_reads_the_file_or_says_why_not(tmp_path: Path) -> None:
    path = tmp_path / "blocklist.txt"
    path.write_text("\ufeffbad\nred fox\n", encoding="utf-8")  # a BOM, as Notepad writes
    assert [e.text for e in load_file(path).entries] == ["bad", "red fox"]
    assert len(load_file(None)) == 0
    with pytest.raises(BlocklistFileError, match="cannot read"):
        load_file(tmp_path / "missing.txt")
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(BlocklistFileError, match="not UTF-8"):
        load_file(path)


def test_a_long_list_finds_entries_anywhere() -> None:
    entries = [f"word{n}" for n in range(5000)] + [f"two words{n}" for n in range(5000)]
    bl = blocklist(*entries)
    prompt = "lorem ipsum " * 150 + "Two  Words4321" + " dolor" * 30
    hit = bl.check(prompt)
    assert hit is not None and hit.term == "two words4321"
    assert bl.check("lorem ipsum " * 150) is None


def test_a_prompt_is_folded_once_for_several_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = blocklist_module.text.fold

    def counting(value: str) -> str:
        calls.append(value)
        return real(value)

    lists = [blocklist("a1"), blocklist("b2"), blocklist("c3")]
    monkeypatch.setattr(blocklist_module.text, "fold", counting)
    assert check("nothing here", lists) is None
    assert calls == ["nothing here"]


def test_a_stored_list_is_rebuilt_without_probing_and_skips_what_no_longer_parses(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    def no_probes(source: str) -> list[str]:
        raise AssertionError("stored entries were probed when they were added")

    monkeypatch.setattr(patterns, "probes", no_probes)
    bl = Blocklist.from_stored(["bad", "/b[a4]d+/", "/[/", "   "])
    assert [e.text for e in bl.entries] == ["bad", "/b[a4]d+/"]
    assert bl.source == "server"
    assert bl.check("B4DD") is not None
    assert "stored blocklist entry '/[/' skipped" in caplog.text
