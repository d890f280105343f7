"""The domain errors of Paracite.

Everything that a user can cause (a bad file, a missing model, an unknown document) is raised
as one of these; the CLI and the HTTP layer turn them into a one-line message and an exit code
or a 4xx JSON body. Anything else is a bug and may show a traceback.
"""


class ParaciteError(Exception):
    """Base of every error that is the user's to fix, with a message fit to show them."""

    exit_code = 1


class InputError(ParaciteError):
    """A document or argument that cannot be used as given (missing, unsupported, corrupt, empty)."""

    exit_code = 2


class NotFoundError(ParaciteError):
    """A document or paragraph that is not in the store."""

    exit_code = 3


class ModelError(ParaciteError):
    """A model that is not pulled, cannot be fetched, or does not verify."""

    exit_code = 4


class StoreError(ParaciteError):
    """The vector store cannot be reached or is in a state we cannot use."""

    exit_code = 5
