"""Forms: joining a study with its invite code, and staff enrolling a user in the admin."""

from __future__ import annotations

from typing import Any

from django import forms

from studies.models import Participant, Study
from studies.selectors import current_participant


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
