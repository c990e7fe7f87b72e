"""Form templates: what a checkpoint asks, how the registry checks a template and how check-in checks the answers."""

from lianfang.common.forms.builtin import (
    BUILTIN_TEMPLATES,
    COMMUTER_BUS,
    HOSPITAL,
    HOSPITAL_DEPARTMENTS,
    OFFICE_VISITOR,
    RESIDENTIAL_GATE,
    TRAVEL_HISTORY_OPTIONS,
    BuiltinTemplate,
)
from lianfang.common.forms.definition import FormDefinition, PersonalData
from lianfang.common.forms.fields import (
    DEFAULT_MAX_LENGTHS,
    LENGTH_TYPES,
    MAX_FIELDS,
    MAX_LABEL_LENGTH,
    MAX_LENGTH_CEILING,
    MAX_OPTION_LENGTH,
    MAX_OPTIONS,
    MAX_PATTERN_LENGTH,
    OPTION_TYPES,
    PATTERN_TYPES,
    PERSONAL_TYPES,
    FieldType,
    FormField,
)

__all__ = [
    "BUILTIN_TEMPLATES",
    "COMMUTER_BUS",
    "DEFAULT_MAX_LENGTHS",
    "HOSPITAL",
    "HOSPITAL_DEPARTMENTS",
    "LENGTH_TYPES",
    "MAX_FIELDS",
    "MAX_LABEL_LENGTH",
    "MAX_LENGTH_CEILING",
    "MAX_OPTIONS",
    "MAX_OPTION_LENGTH",
    "MAX_PATTERN_LENGTH",
    "OFFICE_VISITOR",
    "OPTION_TYPES",
    "PATTERN_TYPES",
    "PERSONAL_TYPES",
    "RESIDENTIAL_GATE",
    "TRAVEL_HISTORY_OPTIONS",
    "BuiltinTemplate",
    "FieldType",
    "FormDefinition",
    "FormField",
    "PersonalData",
]
