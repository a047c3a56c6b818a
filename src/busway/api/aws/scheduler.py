"""The ``scheduler`` service (REST-JSON)."""

from __future__ import annotations

from busway.api.aws.events import call
from busway.api.aws.protocol import Handler, ServiceApi
from busway.api.aws.rest import rest_errors
from busway.errors import (
    AlreadyExistsError,
    InvalidStateError,
    LimitExceededError,
    NotFoundError,
    ValidationError,
)
from busway.service.schedule_groups import ScheduleGroupService
from busway.service.schedules import ScheduleService

ERRORS = rest_errors(
    {
        NotFoundError: ("ResourceNotFoundException", 404),
        AlreadyExistsError: ("ConflictException", 409),
        InvalidStateError: ("ConflictException", 409),
        LimitExceededError: ("ServiceQuotaExceededException", 402),
        ValidationError: ("ValidationException", 400),
    }
)


def scheduler_api(schedules: ScheduleService, groups: ScheduleGroupService) -> ServiceApi:
    handlers: dict[str, Handler] = {
        "CreateSchedule": call(schedules.create),
        "GetSchedule": call(schedules.get),
        "UpdateSchedule": call(schedules.update),
        "DeleteSchedule": call(schedules.delete),
        "ListSchedules": call(schedules.list),
        "CreateScheduleGroup": call(groups.create),
        "GetScheduleGroup": call(groups.get),
        "DeleteScheduleGroup": call(groups.delete),
        "ListScheduleGroups": call(groups.list),
        "TagResource": call(groups.tag),
        "UntagResource": call(groups.untag),
        "ListTagsForResource": call(groups.tags),
    }
    return ServiceApi(
        name="scheduler",
        target_prefix="",
        json_version="1.1",
        handlers=handlers,
        errors=ERRORS,
        internal_error="InternalServerException",
    )
