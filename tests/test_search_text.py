"""What an operation and a query are in words: terms, intent, resource."""

from __future__ import annotations

import pytest

from connector._search_text import Operation, Query, expansions, stem, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("PostPayoutRequestCancellation", ["post", "payout", "request", "cancel"]),
        pytest.param("list_payout_requests", ["list", "payout", "request"], id="snake"),
        pytest.param("payout-requests", ["payout", "request"], id="kebab"),
        pytest.param("/repos/{owner}/issues", ["repo", "owner", "issu"], id="path"),
        pytest.param("Repositories", ["repositori"], id="plural"),
    ],
)
def test_words_split_every_naming_style_to_one_stem(text: str, expected: list[str]) -> None:
    """camelCase, snake_case, kebab-case and path segments give the same stems."""
    assert words(text) == expected


def test_singular_and_plural_meet() -> None:
    """A word and its plural (and its inflections) share a stem."""
    assert stem("repository") == stem("repositories")
    assert stem("cancellation") == stem("canceled") == stem("cancel")


def _op(method: str, path: str, title: str = "") -> Operation:
    return Operation({"method": method, "path": path, "title": title})


@pytest.mark.parametrize(
    ("method", "path", "title", "intent"),
    [
        pytest.param("POST", "/customers", "", "create", id="post-collection"),
        pytest.param("GET", "/customers/{id}", "", "get", id="get-item"),
        pytest.param("GET", "/customers", "", "list", id="get-collection"),
        pytest.param("GET", "/builds/<<id>>/app", "", "get", id="get-to-one"),
        pytest.param("PATCH", "/customers/{id}", "", "update", id="patch"),
        pytest.param("DELETE", "/customers/{id}", "", "delete", id="delete"),
        pytest.param("POST", "/transfer/create", "", "create", id="verb-segment"),
        pytest.param("POST", "/orders/{id}/ship", "", "action", id="action"),
        pytest.param("POST", "/thing", "Remove a thing", "delete", id="title-verb"),
    ],
)
def test_an_operation_says_what_it_does(method: str, path: str, title: str, intent: str) -> None:
    """The title's verb, else the method on the path's shape, names the intent."""
    assert _op(method, path, title).intent == intent


def test_a_sub_resource_action_is_the_verb_it_names() -> None:
    """`/cancellations` under a POST is matched by 'cancel' and its synonyms."""
    op = _op("POST", "/subscription-cancellations")
    assert op.resource == "cancel"
    assert "cancel" in expansions(stem("stop"))


@pytest.mark.parametrize(
    ("query", "intent"),
    [
        ("add a new client", "create"),
        ("look up a customer", "get"),
        ("every customer", "list"),
        ("change the plan", "update"),
        ("remove a card", "delete"),
        ("customers", None),
    ],
)
def test_a_query_s_verb_names_its_intent(query: str, intent: str | None) -> None:
    """The generic verbs of each intent are recognised."""
    assert Query(query).intent == intent
