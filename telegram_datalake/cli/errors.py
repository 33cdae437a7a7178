"""The one exception type the CLI shows its user: a sentence saying what is wrong and how to fix it."""


class CliError(Exception):
    """A failure the user can act on (missing token, unknown query, AWS error); printed without a traceback."""
