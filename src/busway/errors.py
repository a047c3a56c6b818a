"""Every exception Busway raises, in one tree.

    BuswayError
     +-- InvalidEventPatternError (ValueError)   an event pattern AWS would reject
     +-- InvalidEventError (ValueError)          an event TestEventPattern would reject
     +-- ValidationError (ValueError)            a request AWS rejects with ValidationException
     |    +-- TargetInputConflictError           more than one of Input, InputPath, InputTransformer
     |    +-- InvalidPlaceholderError            an InputTemplate placeholder that names nothing
     |    +-- InvalidInputPathsMapError          an InputPathsMap key or size AWS would refuse
     |    +-- InvalidParameterValueError         an SQS parameter value AWS refuses
     |    +-- MissingParameterError              an SQS parameter that must be given
     |    +-- MessageTooLongError                an SQS message over the queue's size limit
     |    +-- InvalidMessageContentsError        an SQS message with characters XML cannot hold
     |    +-- InvalidAttributeNameError          an unknown SQS queue attribute
     |    +-- InvalidAttributeValueError         an SQS queue attribute value out of range
     |    +-- ReceiptHandleIsInvalidError        a receipt handle Busway never issued
     |    +-- BatchRequestError                  an SQS batch refused as a whole
     |         +-- EmptyBatchRequestError
     |         +-- TooManyEntriesInBatchRequestError
     |         +-- BatchEntryIdsNotDistinctError
     |         +-- InvalidBatchEntryIdError
     |         +-- BatchRequestTooLongError
     +-- NotFoundError (LookupError)             a named resource that does not exist
     |    +-- QueueDoesNotExistError             a queue URL or name that names no queue
 |    +-- ResourceNotFoundError              an SQS queue ARN or move task that names nothing
     +-- AlreadyExistsError (ValueError)         a create that names an existing resource
     |    +-- QueueNameExistsError               CreateQueue with other attribute values
     +-- LimitExceededError (ValueError)         a count over one of AWS's fixed limits
     +-- InvalidStateError (ValueError)          an operation the resource's state forbids
     |    +-- PurgeQueueInProgressError          a second PurgeQueue within 60 seconds
 |    +-- UnsupportedOperationError          an SQS move task the queue's state forbids
     +-- StorageError (RuntimeError)             the store failed or is closed
     |    +-- StoreUnavailableError              the database cannot be reached (for now)
     +-- ProtocolError (ValueError)              a request refused before any service sees it
     +-- RemoteError (RuntimeError)              an error a Busway server answered the SDK with

Each exception builds its message from its fields, so the API layer can map it to
AWS's error type and message without string surgery.
"""

from __future__ import annotations


class BuswayError(Exception):
    """Base of every error Busway raises on purpose."""


class InvalidEventPatternError(BuswayError, ValueError):
    """A pattern that EventBridge rejects with ``InvalidEventPatternException``.

    ``reason`` is the part AWS prints after ``Reason:``, word for word.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"Event pattern is not valid. Reason: {reason}")


class InvalidEventError(BuswayError, ValueError):
    """An event that ``TestEventPattern`` rejects (AWS: ``ValidationException``)."""

    def __init__(self, parameter: str = "Event") -> None:
        self.parameter = parameter
        super().__init__(f"Parameter {parameter} is not valid.")


class ValidationError(BuswayError, ValueError):
    """A request that EventBridge rejects with ``ValidationException``.

    ``message`` is what AWS prints, word for word where AWS's wording is known.
    """

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class TargetInputConflictError(ValidationError):
    """A target given more than one of ``Input``, ``InputPath`` and ``InputTransformer``."""

    def __init__(self, target_id: str) -> None:
        self.target_id = target_id
        super().__init__(
            f"Only one of Input, InputPath, or InputTransformer must be provided for target "
            f"{target_id}."
        )


class InvalidPlaceholderError(ValidationError):
    """An ``InputTemplate`` placeholder that is neither an InputPathsMap key nor reserved."""

    def __init__(self, target_id: str, placeholder: str) -> None:
        self.target_id = target_id
        self.placeholder = placeholder
        super().__init__(
            f"InputTemplate for target {target_id} contains invalid placeholder {placeholder}."
        )


class InvalidInputPathsMapError(ValidationError):
    """An ``InputPathsMap`` that breaks AWS's key rules or holds too many entries.

    AWS's wording for these is not recorded; ``reason`` says what is wrong.
    """

    def __init__(self, target_id: str, reason: str) -> None:
        self.target_id = target_id
        self.reason = reason
        super().__init__(f"InputPathsMap for target {target_id} is not valid: {reason}.")


class NotFoundError(BuswayError, LookupError):
    """A resource that does not exist (AWS: ``ResourceNotFoundException``).

    ``message`` is AWS's wording, which differs per resource kind.
    """

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class AlreadyExistsError(BuswayError, ValueError):
    """A create that names an existing resource (AWS: ``ResourceAlreadyExistsException``)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class LimitExceededError(BuswayError, ValueError):
    """A count over a fixed limit (AWS: ``LimitExceededException``)."""

    def __init__(
        self, message: str = "The requested resource exceeds the maximum number allowed."
    ) -> None:
        self.message = message
        super().__init__(message)


class InvalidStateError(BuswayError, ValueError):
    """An operation that the resource's current state forbids."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class StorageError(BuswayError, RuntimeError):
    """The store could not do what was asked, or is closed."""


class StoreUnavailableError(StorageError):
    """The database cannot be reached or refused the connection for now (down,
    restarting, out of connections): the request may succeed if tried again."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the database is unavailable: {reason}")


class ProtocolError(BuswayError, ValueError):
    """A request the wire protocol refuses: bad JSON, wrong types, an unknown operation,
    a missing or wrong signature.

    ``code`` is AWS's error type (``SerializationException``,
    ``UnknownOperationException``, ``InvalidSignatureException``, ...), ``status`` the
    HTTP status AWS answers with.
    """

    def __init__(self, code: str, message: str, *, status: int = 400) -> None:
        self.code = code
        self.message = message
        self.status = status
        super().__init__(f"{code}: {message}")


# --- built-in queues (SQS); AWS's wording where it is known ----------------------------


class InvalidParameterValueError(ValidationError):
    """An SQS parameter value AWS refuses (``InvalidParameterValue``)."""

    def __init__(self, parameter: str, value: object, reason: str) -> None:
        self.parameter = parameter
        self.value = value
        self.reason = reason
        super().__init__(f"Value {value} for parameter {parameter} is invalid. Reason: {reason}")


class MissingParameterError(ValidationError):
    """An SQS parameter that the request must contain (``MissingParameter``)."""

    def __init__(self, parameter: str) -> None:
        self.parameter = parameter
        super().__init__(f"The request must contain the parameter {parameter}.")


class MessageTooLongError(ValidationError):
    """A message (body and attributes) over the queue's ``MaximumMessageSize``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"One or more parameters are invalid. Reason: Message must be shorter than "
            f"{limit} bytes."
        )


class InvalidMessageContentsError(ValidationError):
    """A message body or attribute with characters outside what SQS accepts."""

    def __init__(self) -> None:
        super().__init__(
            "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | "
            "#x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"
        )


class InvalidAttributeNameError(ValidationError):
    """A queue attribute name SQS does not know."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"Unknown Attribute {name}.")


class InvalidAttributeValueError(ValidationError):
    """A queue attribute value outside its range; ``reason`` adds what AWS adds."""

    def __init__(self, name: str, reason: str = "") -> None:
        self.name = name
        self.reason = reason
        tail = f" Reason: {reason}" if reason else ""
        super().__init__(f"Invalid value for the parameter {name}.{tail}")


class ReceiptHandleIsInvalidError(ValidationError):
    """A receipt handle that no receive handed out."""

    def __init__(self, handle: str) -> None:
        self.handle = handle
        super().__init__(f'The input receipt handle "{handle}" is not a valid receipt handle.')


class BatchRequestError(ValidationError):
    """A batch request SQS refuses as a whole; the subclass names AWS's error."""


class EmptyBatchRequestError(BatchRequestError):
    def __init__(self, entry: str) -> None:
        self.entry = entry
        super().__init__(f"There should be at least one {entry} in the request.")


class TooManyEntriesInBatchRequestError(BatchRequestError):
    def __init__(self, count: int, limit: int = 10) -> None:
        self.count = count
        self.limit = limit
        super().__init__(
            f"Maximum number of entries per request are {limit}. You have sent {count}."
        )


class BatchEntryIdsNotDistinctError(BatchRequestError):
    def __init__(self, entry_id: str) -> None:
        self.entry_id = entry_id
        super().__init__(f"Id {entry_id} repeated.")


class InvalidBatchEntryIdError(BatchRequestError):
    def __init__(self, entry_id: str) -> None:
        self.entry_id = entry_id
        super().__init__(
            "A batch entry id can only contain alphanumeric characters, hyphens and "
            "underscores. It can be at most 80 letters long."
        )


class BatchRequestTooLongError(BatchRequestError):
    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            f"Batch requests cannot be longer than {limit} bytes. You have sent {size} bytes."
        )


class QueueDoesNotExistError(NotFoundError):
    """A queue URL or name that names no queue."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__("The specified queue does not exist.")


class QueueNameExistsError(AlreadyExistsError):
    """CreateQueue of an existing name with a different value for ``attribute``."""

    def __init__(self, name: str, attribute: str) -> None:
        self.name = name
        self.attribute = attribute
        super().__init__(
            f"A queue already exists with the same name and a different value for "
            f"attribute {attribute}"
        )


class PurgeQueueInProgressError(InvalidStateError):
    """A PurgeQueue within 60 seconds of the last one on the same queue."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"Only one PurgeQueue operation on {name} is allowed every 60 seconds.")


class ResourceNotFoundError(NotFoundError):
    """An SQS queue ARN or message move task handle that names nothing."""


class UnsupportedOperationError(InvalidStateError):
    """An SQS message move task the queues' state forbids (``UnsupportedOperation``)."""


class RemoteError(BuswayError, RuntimeError):
    """What a Busway server answered the SDK with: AWS's error ``code`` and ``message``."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")
