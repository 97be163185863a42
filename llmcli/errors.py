"""The one exception type that means "the user can fix this"."""


class UserError(Exception):
    """A problem with the user's input: shown as one line, with no traceback, unless --debug.

    The message says what is wrong and what to do about it.
    """

    exit_code = 1
