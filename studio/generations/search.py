"""Searching prompts. On PostgreSQL, full-text search over a GIN index (migration 0012):
each word of the query matches the start of a word of the prompt ("fox" finds "foxes"),
all words must match, in any order; the "simple" configuration, so no language's
stemming or stop words get in the way of prompts written in any language. On SQLite (the
default, small installs), a case-insensitive substring match as before.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection
from django.db.models import F, Func, QuerySet

# The index's expression, exactly (the planner uses the index only for the same one).
CONFIG = "simple"
WORD = re.compile(r"\w+", re.UNICODE)


class PromptVector(Func):
    template = f"to_tsvector('{CONFIG}'::regconfig, %(expressions)s)"
    output_field = SearchVectorField()


def prefix_query(text: str) -> str:
    """The tsquery "red:* & fox:*" for "red fox"; "" when the text has no words."""
    return " & ".join(f"{word}:*" for word in WORD.findall(text.lower())[:20])


def matching(qs: QuerySet, text: str) -> QuerySet:
    if connection.vendor != "postgresql":
        return qs.filter(prompt__icontains=text)
    query = prefix_query(text)
    if not query:
        return qs.filter(prompt__icontains=text)
    return qs.alias(prompt_vector=PromptVector(F("prompt"))).filter(
        prompt_vector=SearchQuery(query, config=CONFIG, search_type="raw")
    )
