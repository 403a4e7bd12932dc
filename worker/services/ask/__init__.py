"""``AskService``: a question in plain language in, the catalog's answer and its reasons out."""
