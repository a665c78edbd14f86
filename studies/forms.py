"""Forms: joining a study with its invite code, and the staff console's study, condition and
enrolment forms."""

from __future__ import annotations

from typing import Any

from django import forms

from models_zoo.architectures import ARCHITECTURES
from studies.models import MAX_TASK_LENGTH, MAX_TASKS, Condition, Participant, Study
from studies.selectors import current_participant

# The same bounds as the API's study serializer.


def enrolment_problem(*, study: Study, user: Any) -> str | None:
    """Why the user cannot be enrolled in the study, or None."""
    if not study.is_open:
        return "This study is closed and takes no new participants."
    if Participant.objects.filter(study=study, user=user).exists():
        return "This user already takes part in this study."
    other = current_participant(user=user)
    if other is not None:
        return f"This user already takes part in the open study {other.study.title!r}."
    if not study.conditions.exists():
        return "This study has no conditions yet."
    return None


class JoinForm(forms.Form):
    invite_code = forms.CharField(
        max_length=20, help_text="The code the study's organisers gave you."
    )


class EnrolForm(forms.ModelForm):
    """The admin's add form: the condition is assigned (balanced), not chosen."""

    class Meta:
        model = Participant
        fields = ["study", "user"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        study, user = data.get("study"), data.get("user")
        if study is not None and user is not None:
            problem = enrolment_problem(study=study, user=user)
            if problem:
                raise forms.ValidationError(problem)
        return data


class TasksField(forms.CharField):
    """A study's tasks as a text box, one task per line; stored as the list of the lines that
    are not blank, each stripped of surrounding spaces."""

    widget = forms.Textarea

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text", "What participants are asked to do, in order: one task per line."
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(str(task) for task in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        return [line.strip() for line in text.splitlines() if line.strip()]

    def validate(self, value: Any) -> None:
        super().validate(value)
        if len(value) > MAX_TASKS:
            raise forms.ValidationError(f"Give at most {MAX_TASKS} tasks, not {len(value)}.")
        for number, task in enumerate(value, start=1):
            if len(task) > MAX_TASK_LENGTH:
                raise forms.ValidationError(
                    f"Task {number} is {len(task)} characters long; "
                    f"keep each to {MAX_TASK_LENGTH} characters."
                )


class StudyAdminForm(forms.ModelForm):
    tasks = TasksField()

    class Meta:
        model = Study
        fields = ["title", "description", "tasks", "is_open", "assignment_seed"]


def model_choices() -> list[tuple[str, str]]:
    return [(name, info.label) for name, info in ARCHITECTURES.items()]


class ConditionAdminForm(forms.ModelForm):
    """One arm of a study. A new arm allows neither highlighting nor drawing until staff tick
    them, so a control arm gets nothing it was not given on purpose. (The API's default for a
    condition sent without them stays as documented: both allowed.)"""

    allowed_models = forms.MultipleChoiceField(
        choices=model_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every model.",
    )
    highlighting = forms.BooleanField(
        required=False, initial=False, help_text="Whether semantic highlighting may be used."
    )
    drawing = forms.BooleanField(
        required=False,
        initial=False,
        help_text="Whether the participant's own drawn classes may be used.",
    )

    class Meta:
        model = Condition
        fields = ["name", "allowed_models", "highlighting", "drawing"]
