"""Readings built from structure (a verb, its object, frame words), not from one phrasing.

The prompts are written for this test, not taken from any evaluation set.
"""

from __future__ import annotations

import pytest
from pydantic import JsonValue

from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.tools.calculator.arithmetic_text import spoken_to_expression

Step = tuple[str, dict[str, JsonValue]]


def steps_of(prompt: str) -> list[Step]:
    return [(s.tool, dict(s.input)) for s in PatternPlanner().match(prompt).plan.steps]


def todo(action: str, **fields: JsonValue) -> Step:
    return ("todo_store", {"action": action, **fields})


@pytest.mark.parametrize(
    "prompt",
    [
        "let me see my whole task list",
        "could I see everything that's on my list",
        "give me an overview of my tasks",
        "go over all of my reminders",
        "i'd like to see my open todos now",
        "bring up the entire todo list again",
    ],
)
def test_a_show_verb_with_the_list_as_its_object_lists(prompt: str) -> None:
    assert steps_of(prompt) == [todo("list")]


@pytest.mark.parametrize(
    ("prompt", "steps"),
    [
        ("open the third task", [todo("get", id=3)]),
        ("cross off the first item", [todo("complete", id=1)]),
        ("erase the second one", [todo("delete", id=2)]),
        ("fetch item 4 from my list", [todo("get", id=4)]),
        ("task 5 is finished already", [todo("complete", id=5)]),
        ("todo 1 should say feed the fish instead", [todo("update", id=1, title="feed the fish")]),
        ("edit the second task so it reads pay the gas bill",
         [todo("update", id=2, title="pay the gas bill")]),
    ],
)  # fmt: skip
def test_ids_by_position_and_verbs_around_an_id(prompt: str, steps: list[Step]) -> None:
    assert steps_of(prompt) == steps


@pytest.mark.parametrize(
    ("prompt", "steps"),
    [
        ("I have to repot the basil, can you put that on my todo list",
         [todo("add", title="repot the basil")]),
        ("save sharpen the knives as a task", [todo("add", title="sharpen the knives")]),
        ("new reminder please: defrost the freezer", [todo("add", title="defrost the freezer")]),
        ("remember to oil the hinges on my list", [todo("add", title="oil the hinges")]),
        ("add three things to my list: rake leaves, wash the dog and call aunt jo",
         [todo("add", title="rake leaves"), todo("add", title="wash the dog"),
          todo("add", title="call aunt jo")]),
        ("remind me to fold laundry and then let me see my tasks",
         [todo("add", title="fold laundry"), todo("list")]),
    ],
)  # fmt: skip
def test_adds_read_from_the_verb_the_title_and_the_list(prompt: str, steps: list[Step]) -> None:
    assert steps_of(prompt) == steps


def test_a_counted_list_of_titles_must_have_that_many() -> None:
    assert steps_of("add two things to my list: rake leaves") == []


@pytest.mark.parametrize(
    ("clause", "expression"),
    [
        ("i want 6.5 times 8", "6.5 * 8"),
        ("nine cubed is what", "9 ** 3"),
        ("maths question: 7 + 2*5", "7 + 2 * 5"),
        ("how many times does 12 go into 144", "144 / 12"),
        ("split 90 between 6 people", "90 / 6"),
        ("200 shared equally among 8 is how much", "200 / 8"),
        ("what do we get if we halve 50", "50 / 2"),
    ],
)
def test_a_calculation_inside_frame_words_is_read(clause: str, expression: str) -> None:
    assert spoken_to_expression(clause) == expression


@pytest.mark.parametrize(
    "clause",
    [
        "is 5 plus 3 a lucky number",  # "lucky" frames nothing: not only a calculation
        "how many times have I been to 3 countries",
        "i want 3 tickets",
        "split the bill",
    ],
)
def test_words_that_are_not_frames_keep_a_clause_from_being_arithmetic(clause: str) -> None:
    assert spoken_to_expression(clause) is None


@pytest.mark.parametrize(
    ("clause", "expression"),
    [
        ("square 13", "13 ** 2"),
        ("what's the cube of 6", "6 ** 3"),
        ("what is 4 to the fifth power", "4 ** 5"),
        ("raise 2 to the 8th power", "2 ** 8"),
        ("take away 19 from 70", "70 - 19"),
        ("subtract 30 and 12", "30 - 12"),
        ("add up 3, 9 and 11", "3 + 9 + 11"),
        ("sum together 5 and 6", "5 + 6"),
        ("what's the total of 4, 4 and 9", "4 + 4 + 9"),
        ("21 and 9 added together", "21 + 9"),
        ("how much is 17 and 25 together", "17 + 25"),
        ("multiply together 3 and 11", "3 * 11"),
        ("six multiplied with nine", "6 * 9"),
        ("how many 8s fit into 96", "96 / 8"),
        ("how many 4s are in 52", "52 / 4"),
        ("how many times does 6 fit in 66", "66 / 6"),
        ("the ratio of 45 to 9", "45 / 9"),
        ("what percentage of 60 is 15", "15 / 60 * 100"),
        ("12 is what percent of 48", "12 / 48 * 100"),
        ("increase 80 by 25 percent", "80 * (1 + 25 / 100)"),
        ("reduce 300 by 10%", "300 * (1 - 10 / 100)"),
        ("what is 20% off 45", "45 * (1 - 20 / 100)"),
        ("what's 2.5k plus 300", "2500 + 300"),
        ("can u tell me 9 times 9", "9 * 9"),
        ("i'd like to know 63 divided by 7", "63 / 7"),
    ],
)
def test_operations_said_another_way_are_read(clause: str, expression: str) -> None:
    assert spoken_to_expression(clause) == expression


@pytest.mark.parametrize(
    ("prompt", "expression"),
    [
        ("double 14 then add 3", "(2 * 14) + 3"),
        ("work out 6 + 6, then multiply by 4", "(6 + 6) * 4"),
        ("what's 90 divided by 3, then subtract 4", "(90 / 3) - 4"),
        ("5 times 5 and then square it", "(5 * 5) ** 2"),
    ],
)
def test_an_operation_with_one_operand_continues_the_calculation_before(
    prompt: str, expression: str
) -> None:
    assert steps_of(prompt) == [("calculator", {"expression": expression})]


@pytest.mark.parametrize("prompt", ["add 5", "multiply by 3", "then subtract 2"])
def test_an_operation_with_one_operand_and_nothing_before_is_not_planned(prompt: str) -> None:
    assert steps_of(prompt) == []


@pytest.mark.parametrize(
    "clause",
    [
        "square dance lessons near me",
        "how many 5-star hotels are in paris",
        "raise the price by 5%",
        "increase my productivity by 10 percent",
        "take away pizza near me",
        "what is 5k in miles",
        "the ratio of men to women in science",
        "how many 3s are in a deck of cards",
    ],
)
def test_operation_words_without_operands_are_not_arithmetic(clause: str) -> None:
    assert spoken_to_expression(clause) is None


@pytest.mark.parametrize(
    ("prompt", "steps"),
    [
        (
            "i need to remember to renew my library card",
            [todo("add", title="renew my library card")],
        ),
        ("i mustn't forget to water the basil", [todo("add", title="water the basil")]),
        ("note down: buy stamps", [todo("add", title="buy stamps")]),
        ("which tasks are on my list", [todo("list")]),
        ("which to-dos are still open", [todo("list")]),
        ("what do i still need to do", [todo("list")]),
        ("i don't need task 4 anymore", [todo("delete", id=4)]),
    ],
)
def test_more_ways_to_add_list_and_drop(prompt: str, steps: list[Step]) -> None:
    assert steps_of(prompt) == steps


@pytest.mark.parametrize(
    "prompt",
    [
        "add an event to my calendar for monday",
        "add some cinnamon to the batter",
        "add more storage to my phone",
        "add up the receipts for me",
        "add 5",
    ],
)
def test_a_bare_add_of_a_thing_into_something_else_or_of_a_number_is_no_todo(prompt: str) -> None:
    assert [tool for tool, _ in steps_of(prompt)] != ["todo_store"]


def test_a_bare_add_of_a_task_that_mentions_a_place_is_still_a_todo() -> None:
    assert steps_of("add take the bike to the shop") == [
        todo("add", title="take the bike to the shop")
    ]


@pytest.mark.parametrize(
    ("prompt", "steps"),
    [
        ("finish task 3 followed by showing my list", [todo("complete", id=3), todo("list")]),
        ("remove task 2 and show me what's still left", [todo("delete", id=2), todo("list")]),
        (
            "put walk the dog on my list, and add feed the cat too",
            [todo("add", title="walk the dog"), todo("add", title="feed the cat")],
        ),
        (
            "mark the first one done and delete the fourth",
            [todo("complete", id=1), todo("delete", id=4)],
        ),
        (
            'add "book flights" and "pack bags" to my list',
            [todo("add", title="book flights"), todo("add", title="pack bags")],
        ),
    ],
)
def test_connectives_positions_and_quoted_titles(prompt: str, steps: list[Step]) -> None:
    assert steps_of(prompt) == steps


def test_quoted_titles_split_into_adds_only() -> None:
    assert [step[1]["action"] for step in steps_of("rename task 1 to 'a' and 'b'")] == ["update"]


def test_a_position_followed_by_another_noun_is_no_id() -> None:
    assert steps_of("remove the third paragraph") == []


@pytest.mark.parametrize(
    ("clause", "expression"),
    [
        ("i was wondering what 3 to the power of 5 is", "3 ** 5"),
        ("need the answer to 72 / 8 asap", "72 / 8"),
        ("i'd like 36 divided by 4", "36 / 4"),
        ("math time: 30 - 7", "30 - 7"),
    ],
)
def test_more_frames_around_a_calculation(clause: str, expression: str) -> None:
    assert spoken_to_expression(clause) == expression


@pytest.mark.parametrize(
    ("prompt", "steps"),
    [
        ("gotta fix the gutter, add that to my todos", [todo("add", title="fix the gutter")]),
        (
            "return the library books - put it on the list",
            [todo("add", title="return the library books")],
        ),
        ("don't let me forget the parking permit", [todo("add", title="the parking permit")]),
        ("remind me later to defrost the chicken", [todo("add", title="defrost the chicken")]),
        ("i want a reminder to renew the domain", [todo("add", title="renew the domain")]),
        ("make sure i remember to feed the fish", [todo("add", title="feed the fish")]),
        ("jot this down: dentist on tuesday", [todo("add", title="dentist on tuesday")]),
    ],
)
def test_adds_said_around_the_title(prompt: str, steps: list[Step]) -> None:
    assert steps_of(prompt) == steps


@pytest.mark.parametrize(
    "prompt",
    [
        "i remember to bring an umbrella",
        "i can't forget about the time we went to paris",
        "don't forget your keys today",  # advice to someone, not a note for the user
    ],
)
def test_remembering_as_a_statement_is_no_todo(prompt: str) -> None:
    assert steps_of(prompt) == []


@pytest.mark.parametrize(
    ("clause", "expression"),
    [
        ("what's a 12% tip on 75", "12 / 100 * 75"),
        ("how much is a 20 percent tip on a 60 dollar bill", "20 / 100 * 60"),
        ("what's 9% tax on 340", "9 / 100 * 340"),
        ("how much is 30 percent of 90 dollars", "30 / 100 * 90"),
    ],
)
def test_a_share_of_an_amount(clause: str, expression: str) -> None:
    assert spoken_to_expression(clause) == expression


@pytest.mark.parametrize(
    ("prompt", "steps"),
    [
        (
            "put call the bank on my list, but first tell me 10 percent of 70",
            [("calculator", {"expression": "10 / 100 * 70"}), todo("add", title="call the bank")],
        ),
        (
            "show my todos, but before that add buy soap",
            [todo("add", title="buy soap"), todo("list")],
        ),
        ("first show my todos, then add buy soap", [todo("list"), todo("add", title="buy soap")]),
    ],
)
def test_a_clause_that_says_it_comes_first_is_planned_first(prompt: str, steps: list[Step]) -> None:
    assert steps_of(prompt) == steps


@pytest.mark.parametrize(
    ("prompt", "steps"),
    [
        (
            "three things for my list: rake leaves, buy soil and plant bulbs",
            [
                todo("add", title="rake leaves"),
                todo("add", title="buy soil"),
                todo("add", title="plant bulbs"),
            ],
        ),
        (
            "add feed the cat to my todos, then list them all",
            [todo("add", title="feed the cat"), todo("list")],
        ),
        ("delete task 1 and show me what's there", [todo("delete", id=1), todo("list")]),
        ("what's left for me to do", [todo("list")]),
        (
            "let me look at item 2 first, then tick it off",
            [todo("get", id=2), todo("complete", id=2)],
        ),
    ],
)
def test_more_todo_shapes(prompt: str, steps: list[Step]) -> None:
    assert steps_of(prompt) == steps


@pytest.mark.parametrize(
    ("clause", "expression"),
    [
        ("take 1.5 off 9.25", "9.25 - 1.5"),
        ("split 120 dollars between 5 people", "120 / 5"),
        ("round 2.71828 off to two decimal places", "round(2.71828, 2)"),
        ("what is 9.8765 rounded to 1 decimal place", "round(9.8765, 1)"),
        ("how much should i tip on 60 bucks at 15 percent", "15 / 100 * 60"),
    ],
)
def test_amounts_rounding_and_taking_off(clause: str, expression: str) -> None:
    assert spoken_to_expression(clause) == expression


@pytest.mark.parametrize(
    ("prompt", "steps"),
    [
        (
            "add wash the car after showing me my list",
            [todo("list"), todo("add", title="wash the car")],
        ),
        ("mark task 1 done after deleting task 4", [todo("delete", id=4), todo("complete", id=1)]),
    ],
)
def test_a_request_after_a_gerund_one_comes_second(prompt: str, steps: list[Step]) -> None:
    assert steps_of(prompt) == steps


@pytest.mark.parametrize(
    "prompt",
    ["what happens after adding salt", "adding salt to taste", "showing respect is important"],
)
def test_gerunds_in_statements_stay_unplanned(prompt: str) -> None:
    assert steps_of(prompt) == []


@pytest.mark.parametrize(
    ("prompt", "steps"),
    [
        (
            "i must pick up the parcel, could it go on my list?",
            [todo("add", title="pick up the parcel")],
        ),
        ("put down 'sort the recycling' as a task", [todo("add", title="sort the recycling")]),
        ("i've done task 3, you can tick it off", [todo("complete", id=3)]),
        (
            "for task 1, the new title should be: phone the school",
            [todo("update", id=1, title="phone the school")],
        ),
        (
            "two things: note down 'order pizza', and show my list",
            [todo("add", title="order pizza"), todo("list")],
        ),
        (
            "i have to wash the dog and trim the hedge; put both on my list",
            [todo("add", title="wash the dog"), todo("add", title="trim the hedge")],
        ),
        ("what does my list look like now", [todo("list")]),
        (
            "two errands for my list: post office, bank",
            [todo("add", title="post office"), todo("add", title="bank")],
        ),
        (
            "rename task 4 to 'walk to school' and then show me how it reads",
            [todo("update", id=4, title="walk to school"), todo("get", id=4)],
        ),
        (
            "i got through tasks one and three, tick them both off",
            [todo("complete", id=1), todo("complete", id=3)],
        ),
        ("clear out items two and five", [todo("delete", id=2), todo("delete", id=5)]),
    ],
)
def test_todo_shapes_from_a_retired_holdout(prompt: str, steps: list[Step]) -> None:
    assert steps_of(prompt) == steps


@pytest.mark.parametrize(
    ("prompt", "expression"),
    [
        ("take 40 away from 95 and tell me what's left", "95 - 40"),
        ("work out 6 times 7. how much is that?", "6 * 7"),
        ("nine and a half times 2", "9.5 * 2"),
        ("the sum of 3 and 4, times five", "(3 + 4) * 5"),
        ("what remainder do you get when dividing 23 by 5", "23 % 5"),
        ("i want to leave a 10 percent tip on a $70 bill", "10 / 100 * 70"),
    ],
)
def test_calculations_from_a_retired_holdout(prompt: str, expression: str) -> None:
    assert steps_of(prompt) == [("calculator", {"expression": expression})]


def test_what_is_left_after_a_todo_step_is_still_the_list() -> None:
    assert steps_of("delete task 2 and tell me what's left") == [todo("delete", id=2), todo("list")]


@pytest.mark.parametrize(
    "prompt",
    [
        "I'll add it to my list",
        "did you add it to my list",
        "sure, add that to my list",
        "yes put it on my list",
        "what is the capital of france, add it to my list",
        "don't forget about me",
        "don't forget who you are",
        "note: the server is down",
        "write: a poem about cats",
        "set a reminder for tomorrow",
        "delete the 0th task",
        "i'd like to know 2024-01-05",
    ],
)
def test_replies_statements_and_odd_ids_are_not_todos_or_sums(prompt: str) -> None:
    assert steps_of(prompt) == []


def test_a_calculation_then_add_it_is_not_one_add_titled_with_the_calculation() -> None:
    assert [tool for tool, _ in steps_of("what's 12 times 12 then add it to my list")] == [
        "calculator"
    ]


@pytest.mark.parametrize(
    ("prompt", "steps"),
    [
        ("rename task 3 to done", [todo("update", id=3, title="done")]),
        ("set task 3 to done", [todo("complete", id=3)]),
    ],
)
def test_only_setting_a_todo_to_done_completes_it(prompt: str, steps: list[Step]) -> None:
    assert steps_of(prompt) == steps


@pytest.mark.parametrize(
    ("prompt", "steps"),
    [
        ("a" + " " * 60 + "b", []),
        ("i need to" + " " * 300 + "x", []),
        ("add milk" + "?" * 80, [todo("add", title="milk")]),
    ],
)
def test_runs_of_spaces_or_punctuation_are_read_like_one(prompt: str, steps: list[Step]) -> None:
    """Each of these took seconds to minutes when nested repeats backtracked."""
    assert steps_of(prompt) == steps
